// The end-to-end scenarios: the packaged extension in code-server, driven through the UI only.
// Each test gets ctx = { page, workspace, log }. Run by scripts/e2e.mjs, in this order.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../scripts/codeServer.mjs';
import { SEL, activityBarEntry, expandAllStages, findInWebviews, quickInputVisible, runCommand, statusBarItem, waitForInputBox, waitInWebviews } from './workbench.mjs';
import { contextMenuLabels, dragCardTo, waitForChangesEditor } from './review.mjs';
import { scheduleTests } from './schedule.mjs';
import { mcpTests } from './mcp.mjs';
import { scaleTests } from './scale.mjs';

export const STATUS_ITEM_ID = 'huskies.huskies-vscode.agents';
const card = (id) => `div.card[data-story-id="${id}"]`;
const stageDir = (ws, stage) => join(ws, '.huskies', 'work', stage);

async function dismissQuickInput(page) {
  if (await quickInputVisible(page)) {
    await page.keyboard.press('Escape');
    await sleep(200);
  }
}

export const tests = [
  {
    name: 'activity bar shows the Huskies entry and opens the board',
    async run({ page, log }) {
      const entry = activityBarEntry(page, 'Huskies');
      await entry.waitFor({ state: 'visible', timeout: 60_000 });
      log(`activity bar entry: aria-label="${await entry.getAttribute('aria-label')}"`);
      // Open the container unless it is already open (a click on an open one would close it).
      const checked = await entry.evaluate(
        (el) => el.closest('[aria-checked], .checked')?.getAttribute('aria-checked') === 'true' || el.closest('.action-item')?.classList.contains('checked') === true,
      );
      if (!checked) await entry.click();
      await page.locator('.sidebar, #workbench\\.parts\\.sidebar').first().waitFor({ state: 'visible', timeout: 10_000 });
    },
  },
  {
    name: 'board lists the backlog stories',
    async run({ page, log }) {
      const loc = await findInWebviews(page, card(1), { timeout: 45_000, state: 'visible' });
      // The sidebar opens only the stage with work in progress: open them all for the scenarios that follow.
      log(`stage sections opened: ${await expandAllStages(page)}`);
      const stage = await loc.first().getAttribute('data-stage');
      const text = (await loc.first().innerText()).replace(/\s+/g, ' ').trim();
      log(`card #1: data-stage="${stage}" text="${text.slice(0, 80)}"`);
      if (!/add a greeting/i.test(text)) throw new Error(`card #1 does not show its name: "${text}"`);
      if (stage && !/backlog/i.test(stage)) throw new Error(`card #1 is in stage "${stage}", expected the backlog`);
      for (const id of [2, 3, 4]) await findInWebviews(page, card(id), { timeout: 5_000 });
      log('cards #1–#4 present');
    },
  },
  {
    name: 'start agent from the board: status bar shows it running',
    needs: ['board lists the backlog stories'],
    async run({ page, log }) {
      await dismissQuickInput(page);
      const start = await findInWebviews(page, `${card(1)} [data-action="start"]`, { timeout: 10_000, state: 'visible' });
      // Watch the status bar from before the click: the simulated agent is quick.
      const running = page.waitForFunction((id) => (document.querySelector(`[id="${id}"]`)?.textContent ?? '').toLowerCase().includes('running'), STATUS_ITEM_ID, {
        polling: 50,
        timeout: 20_000,
      });
      running.catch(() => {});
      const t = Date.now();
      await start.first().click();
      try {
        await running;
      } catch {
        const item = statusBarItem(page, STATUS_ITEM_ID);
        const txt = (await item.count()) ? await item.textContent() : '(no such status bar item)';
        throw new Error(`status bar item [id="${STATUS_ITEM_ID}"] never said "running"; now: ${JSON.stringify(txt)}`);
      }
      const txt = (await statusBarItem(page, STATUS_ITEM_ID).textContent()) ?? '';
      const aria = (await statusBarItem(page, STATUS_ITEM_ID).getAttribute('aria-label')) ?? '';
      log(`status bar after ${Date.now() - t} ms: text=${JSON.stringify(txt.trim())} aria-label=${JSON.stringify(aria)}`);
      if (!/\b1 running/i.test(txt)) throw new Error(`status bar says ${JSON.stringify(txt.trim())}, expected "1 running"`);
    },
  },
  {
    name: 'output panel streams the agent output',
    needs: ['start agent from the board: status bar shows it running'],
    async run({ page, log }) {
      let opened = 'board button';
      try {
        const btn = await findInWebviews(page, `${card(1)} [data-action="output"]`, { timeout: 5_000, state: 'visible' });
        await btn.first().click();
      } catch (e) {
        log(`no output button on card #1 (${e.message.split('\n')[0]}); using the palette`);
        opened = 'palette';
        await runCommand(page, 'Huskies: Show Agent Output', 'huskies.showAgentOutput');
        await sleep(500);
        if (await quickInputVisible(page)) await page.keyboard.press('Enter'); // pick the first run
      }
      const tab = page.locator(SEL.activeTab).first();
      await page
        .waitForFunction((sel) => /^Agent: #1\b/.test(document.querySelector(sel)?.textContent ?? ''), SEL.activeTab, { timeout: 15_000, polling: 100 })
        .catch(async () => {
          throw new Error(`no editor tab "Agent: #1 …" (active tab: ${JSON.stringify(await tab.textContent().catch(() => null))})`);
        });
      log(`output panel opened via ${opened}: tab "${await tab.textContent()}"`);
      const tool = await findInWebviews(page, '#output-log .msg[data-kind="tool_use"]', { timeout: 30_000 });
      log(`tool_use messages: ${await tool.count()}`);
      const result = await findInWebviews(page, '#output-log .msg[data-kind="result"]', { timeout: 60_000 });
      log(`result: ${JSON.stringify(((await result.first().innerText()) ?? '').replace(/\s+/g, ' ').slice(0, 100))}`);
    },
  },
  {
    name: 'story 1 ends in QA',
    needs: ['start agent from the board: status bar shows it running'],
    async run({ page, workspace, log }) {
      await waitInWebviews(page, card(1), async (loc) => (await loc.first().getAttribute('data-stage')) === 'qa', {
        timeout: 90_000,
        what: `${card(1)}[data-stage="qa"]`,
      });
      const onDisk = existsSync(join(stageDir(workspace, '3_qa'), '1_story_add_greeting.md'));
      log(`card #1 data-stage="qa"; file in .huskies/work/3_qa: ${onDisk}`);
      if (!onDisk) throw new Error(`the board says QA but .huskies/work/3_qa holds: ${readdirSync(stageDir(workspace, '3_qa')).join(', ')}`);
      // The status bar goes back to idle.
      const txt =
        (await statusBarItem(page, STATUS_ITEM_ID)
          .textContent()
          .catch(() => '')) ?? '';
      log(`status bar now: ${JSON.stringify(txt.trim())}`);
    },
  },
  {
    name: 'context menu on the QA card: the review actions, no Start',
    needs: ['story 1 ends in QA'],
    async run({ page, log }) {
      await dismissQuickInput(page);
      const labels = await contextMenuLabels(page, card(1));
      log(`context menu: ${labels.join(' | ')}`);
      for (const want of ['Approve Story (QA)', 'Reject Story with Feedback (QA)', 'Review Changes', 'Show Runs', 'Move Story to…'])
        if (!labels.includes(want)) throw new Error(`the context menu of card #1 (QA) lacks "${want}": ${JSON.stringify(labels)}`);
      for (const never of ['Start Agent', 'Unblock Story', 'Fix Up Failed Merge', 'Cut', 'Copy', 'Paste'])
        if (labels.includes(never)) throw new Error(`the context menu of card #1 (QA) offers "${never}": ${JSON.stringify(labels)}`);
    },
  },
  {
    name: 'Diff on the QA card opens the changes editor',
    needs: ['story 1 ends in QA'],
    async run({ page, log }) {
      await dismissQuickInput(page);
      const diff = await findInWebviews(page, `${card(1)} [data-action="review"]`, { timeout: 15_000, state: 'visible' });
      await diff.first().click();
      const { tab, files } = await waitForChangesEditor(page, /^#1 Add a greeting/);
      log(`changes editor tab "${tab}" with ${files} file(s)`);
    },
  },
  {
    name: 'Approve on the card: story 1 is merged and done',
    needs: ['story 1 ends in QA'],
    async run({ page, workspace, log }) {
      await dismissQuickInput(page);
      const approve = await findInWebviews(page, `${card(1)} [data-action="approve"]`, { timeout: 10_000, state: 'visible' });
      await approve.first().click();
      await waitInWebviews(page, card(1), async (loc) => (await loc.first().getAttribute('data-stage')) === 'done', { timeout: 90_000, what: `${card(1)}[data-stage="done"]` });
      const file = join(stageDir(workspace, '5_done'), '1_story_add_greeting.md');
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const commit = /merge_commit: "?([0-9a-f]{7,64})/.exec(text)?.[1];
      log(`card #1 data-stage="done"; merge_commit ${commit ?? '(none)'}`);
      if (!commit) throw new Error(`${file} has no merge_commit:\n${text.slice(0, 400)}`);
      // The done card reviews the merge commit.
      const diff = await findInWebviews(page, `${card(1)} [data-action="review"]`, { timeout: 10_000, state: 'visible' });
      await diff.first().click();
      const { tab } = await waitForChangesEditor(page, new RegExp(`merge ${commit.slice(0, 8)}`));
      log(`merged changes: tab "${tab}"`);
    },
  },
  {
    name: 'drag a backlog card onto the Archived column moves the story',
    needs: ['board lists the backlog stories'],
    async run({ page, workspace, log }) {
      await dismissQuickInput(page);
      const how = await dragCardTo(page, card(4), 'archived');
      await waitInWebviews(page, card(4), async (loc) => (await loc.first().getAttribute('data-stage')) === 'archived', {
        timeout: 20_000,
        what: `${card(4)}[data-stage="archived"]`,
      });
      const onDisk = existsSync(join(stageDir(workspace, '6_archived'), '4_spike_compare_cli_parsers.md'));
      log(`card #4 dragged (${how}) to archived; file in .huskies/work/6_archived: ${onDisk}`);
      if (!onDisk) throw new Error(`the board says archived but .huskies/work/6_archived holds: ${readdirSync(stageDir(workspace, '6_archived')).join(', ')}`);
    },
  },
  {
    name: 'palette: Huskies: New Story adds a backlog card',
    async run({ page, workspace, log }) {
      await dismissQuickInput(page);
      await runCommand(page, 'Huskies: New Story', 'huskies.newStory');
      const first = await waitForInputBox(page);
      log(`input box: placeholder=${JSON.stringify(first.placeholder)} prompt=${JSON.stringify(first.message)}`);
      await first.box.fill('Palette story');
      await first.box.press('Enter');
      // Further prompts (acceptance criteria, maybe a type): accept the default / skip.
      for (let i = 0; i < 3; i++) {
        await sleep(800);
        if (!(await quickInputVisible(page))) break;
        const next = await waitForInputBox(page, { timeout: 1000 }).catch(() => null);
        if (!next) break;
        const value = await next.box.inputValue().catch(() => '');
        if (value === 'Palette story') continue; // the first box is still closing
        const focused = await next.box.evaluate((el) => document.activeElement === el).catch(() => false);
        log(`next prompt: placeholder=${JSON.stringify(next.placeholder)} prompt=${JSON.stringify(next.message)} (input focused: ${focused}): Enter`);
        // Press Enter in the input itself: after the first box closes, focus may go back to a webview.
        await next.box.press('Enter');
      }
      const loc = await findInWebviews(page, 'div.card:has-text("Palette story")', { timeout: 20_000 });
      const id = await loc.first().getAttribute('data-story-id');
      const stage = await loc.first().getAttribute('data-stage');
      log(`new card: data-story-id="${id}" data-stage="${stage}"`);
      if (stage && !/backlog/i.test(stage)) throw new Error(`the new card is in "${stage}", not the backlog`);
      const files = readdirSync(stageDir(workspace, '1_backlog')).filter((f) => /palette/i.test(f));
      log(`backlog file: ${files.join(', ') || '(none)'}`);
      if (!files.length) throw new Error('no palette story file in .huskies/work/1_backlog');
    },
  },
  ...scheduleTests,
  ...mcpTests,
  // Last: they start 30 agents and grow a transcript to 100,000 records.
  ...scaleTests,
];

/** The subset that scripts/demo.sh --smoke runs. */
export const smokeTests = tests.filter((t) => !/palette|output panel|^scale:/.test(t.name));
