// End to end at scale (run last: they load the machine): 30 simulated agents streaming while a card's
// click still answers; a 100,000-record transcript opened in the output panel and scrolled back
// through (the DOM stays at most 2,000 rows); a window reload that brings back the board panel and
// the output panel without losing a record. Timings are printed; a scenario fails only on a broken
// feature or beyond a generous bound.
import { closeSync, existsSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../scripts/codeServer.mjs';
import { frameWith, framesWith } from '../../bench/uiLib.mjs';
import {
  ROWS,
  cardSel,
  growTranscript,
  moveStoryFile,
  openBoardPanel,
  openBreakdown,
  outputFrame,
  outputRows,
  readRecords,
  runningCount,
  showCard,
  timeClick,
  transcripts,
  waitStreaming,
  waitRunning,
} from '../../bench/uiSteps.mjs';
import { SEL, runCommand, openWorkbench } from './workbench.mjs';

const AGENTS = 30;
const MAX_ROWS = 2000;
const ACTIVE = ['queued', 'running', 'waiting'];
const STORY = (name) => ['---', `name: ${name}`, '---', `# ${name}`, '', '## Acceptance criteria', '- [ ] It works', ''].join('\n');

/** 30 streaming simulated agents (up to 10 minutes at 20 messages a second each: the last scenario stops them) and 30 stories for them. */
function scaleUp(ws) {
  const env = 'env = { HUSKIES_SIM = "stream", HUSKIES_SIM_RATE = "20", HUSKIES_SIM_SECONDS = "600" }';
  const agents = Array.from({ length: AGENTS }, (_, i) => `[[agent]]\nname = "stream-${i + 1}"\nstage = "coder"\nruntime = "sim"\nmodel = "sim"\n${env}\n`);
  writeFileSync(join(ws, '.huskies', 'agents.toml'), `# Streaming simulated agents for the scale scenarios.\n${agents.join('\n')}`);
  writeFileSync(
    join(ws, '.huskies', 'project.toml'),
    ['default_qa = "human"', 'default_coder_model = "sim"', `max_coders = ${AGENTS}`, 'max_retries = 0', 'base_branch = "main"', 'timezone = "UTC"', ''].join('\n'),
  );
  const ids = [];
  for (let i = 0; i < AGENTS; i++) {
    const id = 100 + i;
    writeFileSync(join(ws, '.huskies', 'work', '1_backlog', `${id}_story_scale_${id}.md`), STORY(`Scale story ${id}`));
    ids.push(id);
  }
  // One more in the backlog, for the clicks: it is queued (every slot is taken) and stopped again.
  writeFileSync(join(ws, '.huskies', 'work', '1_backlog', '199_story_click_target.md'), STORY('Click target'));
  return ids;
}

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const scaleTests = [
  {
    name: 'scale: a 100,000-record transcript opens in the output panel and pages back on scroll (≤ 2,000 DOM rows)',
    needs: ['story 1 ends in QA'],
    async run({ page, workspace, log }) {
      const file = runTranscript(workspace, 1);
      if (!file || !existsSync(file.path)) throw new Error("no transcript of story 1's run");
      const grown = growTranscript(file.path, 100_000);
      log(`story 1's transcript now holds ${grown.records.toLocaleString()} records (${(grown.bytes / 1048576).toFixed(1)} MB)`);
      const t0 = Date.now();
      await runCommand(page, 'Huskies: Show Agent Output', 'huskies.showAgentOutput');
      await sleep(300);
      const pick = page.locator(`${SEL.quickInput} .monaco-list-row`, { hasText: '#1 ' }).first();
      if (await pick.isVisible().catch(() => false)) await pick.click();
      const out = await waitForRows(page, (seqs) => seqs.includes(100_000), 120_000);
      let seqs = await outputRows(out);
      log(`first rows after ${Date.now() - t0} ms: ${seqs.length} rows, seq ${Math.min(...seqs)}…${Math.max(...seqs)}`);
      log(`the page's own timings: ${(await openBreakdown(out, t0)).text} (the quick pick included)`);
      if (seqs.length > MAX_ROWS) throw new Error(`${seqs.length} rows in the DOM on opening (at most ${MAX_ROWS})`);
      // The document carries its script, style and first page: nothing fetched before the rows paint.
      // The toolkit comes after, as a script of its own, and its buttons work once it is there.
      const doc = await out.evaluate(() => ({
        fetched: document.querySelectorAll('script[src]:not([data-after-paint]), link[rel="stylesheet"]').length,
        data: !!document.getElementById('huskies-data'),
      }));
      log(`document: ${doc.fetched} script/style file(s) to fetch, first page in it: ${doc.data}`);
      if (doc.fetched || !doc.data) throw new Error('the output page had to fetch its script or style, or its first page was not in the document');
      await out.waitForFunction(() => !!customElements.get('vscode-button') && !!document.querySelector('script[data-after-paint]'), null, { timeout: 30_000 });
      log('the toolkit loaded after the first paint: vscode-button is defined');
      let low = Math.min(...seqs);
      for (let page_ = 0; page_ < 6; page_++) {
        await out.evaluate(() => {
          const log = document.querySelector('#output-log');
          log.scrollTop = 0;
          log.dispatchEvent(new Event('scroll'));
        });
        const until = Date.now() + 20_000;
        while (Date.now() < until) {
          seqs = await outputRows(out);
          if (Math.min(...seqs) < low) break;
          await sleep(200);
        }
        const now = Math.min(...seqs);
        log(`scrolled to the top: rows ${seqs.length}, oldest seq ${now}`);
        if (now >= low) throw new Error(`scrolling to the top loaded no older records (oldest still ${now})`);
        if (seqs.length > MAX_ROWS) throw new Error(`${seqs.length} rows in the DOM after paging back (at most ${MAX_ROWS})`);
        low = now;
      }
    },
  },
  {
    name: 'scale: 30 agents streaming, a click on a card answers (printed: click → answer ms)',
    needs: ['board lists the backlog stories'],
    async run({ page, workspace, log }) {
      const ids = scaleUp(workspace);
      const board = await openBoardPanel(page, 199, { timeout: 60_000 });
      await sleep(2000); // the new agents.toml is read by the watcher
      for (const id of ids) moveStoryFile(workspace, id, '2_current');
      await waitRunning(page, AGENTS, { timeout: 600_000, log });
      await waitStreaming(workspace, ids, { timeout: 600_000, log });
      const sel = cardSel(199);
      // Filtered to its number, the card keeps its element when Start moves it to the 30 cards of Current
      // (a long column renders only the cards in view).
      await board.evaluate((text) => {
        const box = document.querySelector('#filter-text');
        box.value = text;
        box.dispatchEvent(new Event('input', { bubbles: true }));
      }, '#199');
      await board.waitForFunction((s) => !!document.querySelector(s), sel, { timeout: 30_000, polling: 250 });
      const times = [];
      for (let i = 0; i < 5; i++) {
        const start = await timeClick(board, `${sel} [data-action="start"]`, `() => ${JSON.stringify(ACTIVE)}.includes(document.querySelector('${sel}')?.dataset.runStatus)`, {
          timeout: 30_000,
        });
        const stop = await timeClick(board, `${sel} [data-action="stop"]`, `() => !${JSON.stringify(ACTIVE)}.includes(document.querySelector('${sel}')?.dataset.runStatus)`, {
          timeout: 30_000,
        });
        times.push(start, stop);
        log(`Start → queued ${Math.round(start)} ms; Stop → stopped ${Math.round(stop)} ms`);
      }
      log(`click → answer with ${AGENTS} agents streaming: p50 ${Math.round(p50(times))} ms, max ${Math.round(Math.max(...times))} ms (goal: 200 ms)`);
      // Each click must be answered (timeClick fails after 30 s); how fast is a figure, printed here and in the bench, not asserted.
    },
  },
  {
    name: 'scale: a window reload restores the board panel and the output panel, no record lost',
    needs: ['scale: 30 agents streaming, a click on a card answers (printed: click → answer ms)'],
    async run({ page, workspace, server, log }) {
      const board = await showCard(await frameWith(page, cardSel(199)), 100);
      await board.evaluate((sel) => document.querySelector(`${sel} [data-action="output"]`)?.click(), cardSel(100));
      await outputFrame(page, { timeout: 60_000 });
      await sleep(2000);
      await runCommand(page, 'Developer: Reload Window', 'workbench.action.reloadWindow').catch(() => {});
      await page.waitForLoadState('domcontentloaded', { timeout: 120_000 }).catch(() => {});
      await openWorkbench(page, server.folderUrl, { timeout: 180_000 }).catch(() => {});
      await page.locator(SEL.workbench).first().waitFor({ state: 'visible', timeout: 180_000 });
      const tab = page.locator('.editor-group-container .tab .label-name', { hasText: 'Huskies Board' });
      await tab
        .first()
        .waitFor({ state: 'attached', timeout: 120_000 })
        .catch(() => {});
      if (!(await tab.count())) throw new Error('no "Huskies Board" editor tab after the reload: the board panel was not restored');
      // The output panel was the active editor: it comes back first.
      const out = await outputFrame(page, { timeout: 120_000 }).catch(() => undefined);
      if (!out) throw new Error('no output panel rows after the reload: the output panel was not restored');
      // The transcript of story 100's run, as it was a moment after the reload.
      const file = runTranscript(workspace, 100);
      if (!file) throw new Error("no transcript names story 100's worktree");
      const lastOnDisk = readRecords(file.path).at(-1).seq;
      const until = Date.now() + 60_000;
      let seqs = [];
      while (Date.now() < until) {
        seqs = await outputRows(out);
        if (seqs.length && Math.max(...seqs) >= lastOnDisk) break;
        await sleep(500);
      }
      const onDisk = new Set(readRecords(file.path).map((r) => r.seq));
      const sorted = [...seqs].sort((a, b) => a - b);
      const gaps = sorted.filter((s, i) => i > 0 && s !== sorted[i - 1] + 1 && [...Array(s - sorted[i - 1] - 1)].some((_, k) => onDisk.has(sorted[i - 1] + 1 + k)));
      log(`after the reload: ${seqs.length} rows, seq ${sorted[0]}…${sorted.at(-1)}; transcript had ${lastOnDisk} then; ${gaps.length} gaps`);
      if (!seqs.length || sorted.at(-1) < lastOnDisk) throw new Error(`the output panel shows up to seq ${sorted.at(-1)}, the transcript had ${lastOnDisk} at the reload`);
      if (gaps.length) throw new Error(`records missing in the output panel before seq ${gaps.slice(0, 5).join(', ')}`);
      if (new Set(seqs).size !== seqs.length) throw new Error('a record is shown twice');
      if (seqs.length > MAX_ROWS) throw new Error(`${seqs.length} rows in the DOM (at most ${MAX_ROWS})`);
      // The board panel, in the background until its tab is shown, comes back with its filter (#100, set above).
      await tab.first().click();
      const boards = await frameWith(page, cardSel(100), { timeout: 120_000 }).catch(() => undefined);
      if (!boards) throw new Error('the board panel came back without card #100');
      const filter = await boards.evaluate(() => document.querySelector('#filter-text')?.value);
      log(`board panel back with card #100 and the filter "${filter}"`);
      if (filter !== '#100') throw new Error(`the board's filter is "${filter}" after the reload, not "#100"`);
    },
  },
  {
    name: 'scale: the 30 stories moved back to the backlog by hand: their agents stop',
    async run({ page, workspace, log }) {
      let moved = 0;
      for (let i = 0; i < AGENTS; i++) {
        try {
          moveStoryFile(workspace, 100 + i, '1_backlog');
          moved++;
        } catch {
          /* not created (an earlier scenario did not run) */
        }
      }
      if (!moved) return;
      const until = Date.now() + 180_000;
      let n = await runningCount(page);
      while (n > 0 && Date.now() < until) {
        await sleep(1000);
        n = await runningCount(page);
      }
      log(`${moved} stories moved back; ${n} agents still running`);
      if (n > 0) throw new Error(`${n} agents still run after their stories left current`);
    },
  },
];

/** The newest transcript of a run on story `id`: its init record names the story's worktree (.huskies/worktrees/<id>_<slug>). */
function runTranscript(ws, id) {
  const re = new RegExp(`[/\\\\]${id}_[^/\\\\"]*"`);
  return transcripts(ws).find((t) => re.test(readHead(t.path)));
}

function readHead(file, bytes = 65536) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The output frame whose row seqs satisfy `ok`. */
async function waitForRows(page, ok, timeout) {
  const until = Date.now() + timeout;
  for (;;) {
    for (const f of await framesWith(page, ROWS)) if (ok(await outputRows(f))) return f;
    if (Date.now() > until) throw new Error(`no output panel with the expected rows after ${timeout / 1000}s`);
    await sleep(250);
  }
}
