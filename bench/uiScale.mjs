// UI bench at scale, in the real board and output webviews: P3 (a story file renamed by hand → its
// card in the new column), P6 (a 100,000-message transcript opened), P1 (10 agents streaming: a record
/* global document, window, MutationObserver, requestAnimationFrame -- functions passed to evaluate() run in the webview */
// written → its row on screen) and clicks with 30 agents streaming (a card button → the card's answer;
// a right-click → the context menu).
import { writeFileSync, readFileSync } from 'node:fs';
import { sleep } from '../scripts/codeServer.mjs';
import { storyFile } from './uiLib.mjs';
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
  showCard,
  timeClick,
  transcripts,
  waitRunning,
  waitStreaming,
} from './uiSteps.mjs';

const ACTIVE = ['queued', 'running', 'waiting'];

/** P3: stories 5.. renamed from 1_backlog into 3_qa; the time until the card shows with data-stage="qa". */
async function benchP3({ workspace, log, report, fmtStats, trials }, board) {
  const times = [];
  for (let i = 0; i < trials; i++) {
    const id = 5 + i;
    await board.evaluate(
      ({ sel }) => {
        window.__p3 = new Promise((res) => {
          const check = () => {
            const c = document.querySelector(sel);
            if (c && c.dataset.stage === 'qa') {
              mo.disconnect();
              requestAnimationFrame(() => res(Date.now()));
            }
          };
          const mo = new MutationObserver(check);
          mo.observe(document.body, { subtree: true, childList: true, attributes: true });
        });
      },
      { sel: cardSel(id) },
    );
    const t0 = moveStoryFile(workspace, id, '3_qa');
    const t1 = await Promise.race([board.evaluate(() => window.__p3), sleep(30_000).then(() => NaN)]);
    log(`P3 trial ${i + 1}: story ${id} → qa on the board after ${t1 - t0} ms`);
    times.push(t1 - t0);
  }
  report('P3 file renamed into 3_qa → card in the QA column', fmtStats(times));
}

/** P6: story 2 (sim: success) runs once; its transcript grows to `messages` records and is opened. */
async function benchP6({ page, workspace, log, report, fmtStats, messages, trials }, board) {
  const f = storyFile(workspace, 2);
  writeFileSync(f.path, readFileSync(f.path, 'utf8').replace(/^---\n/, '---\nsim: success\n'));
  moveStoryFile(workspace, 2, '2_current');
  await board.waitForFunction((sel) => document.querySelector(sel)?.dataset.stage === 'qa', cardSel(2), { timeout: 180_000, polling: 250 });
  const file = transcripts(workspace)[0].path;
  const t = Date.now();
  const grown = growTranscript(file, messages);
  log(`P6: ${file} now holds ${grown.records.toLocaleString()} records (${(grown.bytes / 1048576).toFixed(1)} MB, written in ${Date.now() - t} ms)`);
  const first = [];
  const rows = [];
  const parts = [];
  for (let i = 0; i < trials; i++) {
    // Each trial opens a new panel: the last one closed, the board panel shown again.
    if (i > 0) {
      await page.keyboard.press('Control+W');
      board = await openBoardPanel(page, 2, { timeout: 120_000 });
      await sleep(1000);
    }
    await showCard(board, 2);
    const t0 = Date.now();
    await board.evaluate((sel) => document.querySelector(`${sel} [data-action="output"]`)?.click(), cardSel(2));
    const out = await outputFrame(page, { timeout: 120_000 });
    const t1 = Date.now();
    await sleep(500);
    const seqs = await outputRows(out);
    rows.push(seqs.length);
    const b = await openBreakdown(out, t0);
    first.push(b.shown);
    log(
      `P6 trial ${i + 1}: first rows painted ${b.shown} ms after the click (this bench's polling found them after ${t1 - t0} ms); ${seqs.length} rows in the DOM (seq ${seqs[0]}…${seqs[seqs.length - 1]})`,
    );
    log(`P6 trial ${i + 1}: ${b.text}`);
    parts.push(b);
  }
  report(`P6 ${messages.toLocaleString()}-message transcript: click → first rows painted`, fmtStats(first));
  report(`P6 ${messages.toLocaleString()}-message transcript: DOM rows`, fmtStats(rows, 'rows'));
  report('P6 of which VS Code makes the panel and its frame (click → page start)', fmtStats(parts.map((p) => p.panel)));
  report('P6 of which the page script runs (page start → ready)', fmtStats(parts.map((p) => p.script)));
  report('P6 of which the script and style are loaded (page start → loaded)', fmtStats(parts.map((p) => p.loaded)));
  report('P6 of which the first page goes into the DOM (ready → first rows)', fmtStats(parts.map((p) => p.host)));
  report('P6 of which the first paint (first rows → first-contentful-paint)', fmtStats(parts.map((p) => p.paint)));
}

/** P1: 10 agents streaming; the output panel of one of them records when each row appears. */
async function benchP1({ page, workspace, log, report, fmtStats, rate }, board, ids) {
  for (const id of ids) moveStoryFile(workspace, id, '2_current');
  await waitRunning(page, ids.length, { log });
  const id = ids[0];
  await showCard(board, id);
  await board.evaluate((sel) => document.querySelector(`${sel} [data-action="output"]`)?.click(), cardSel(id));
  const out = await outputFrame(page, { timeout: 120_000 });
  await out.evaluate((sel) => {
    window.__seen = {};
    window.__got = {};
    window.__t0 = Date.now();
    // When each record reached the page (before it is rendered): splits the latency into transport and rendering.
    window.addEventListener('message', (e) => {
      const now = Date.now();
      for (const r of e.data?.type === 'outputAppend' ? e.data.records : []) window.__got[r.seq] ??= now;
    });
    const note = (n) => {
      if (n.nodeType !== 1) return;
      const now = Date.now();
      if (n.matches('[data-seq]')) window.__seen[n.dataset.seq] ??= now;
      for (const e of n.querySelectorAll('[data-seq]')) window.__seen[e.dataset.seq] ??= now;
    };
    new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(note))).observe(document.body, { subtree: true, childList: true });
    return document.querySelectorAll(sel).length;
  }, ROWS);
  // The cards show running once each agent is launched; some are still starting (worktree, supervisor) then.
  await waitStreaming(workspace, ids, { log });
  const streaming = Date.now();
  await sleep(20_000);
  const { seen, got, t0 } = await out.evaluate(() => ({ seen: window.__seen, got: window.__got, t0: window.__t0 }));
  // The run's transcript: the one whose init record names story `id`'s worktree.
  const file = transcripts(workspace).find((t) => new RegExp(`[/\\\\]${id}_[^/\\\\"]*"`).test(readFileSync(t.path, 'utf8').slice(0, 4000)));
  if (!file) throw new Error(`P1: no transcript names story ${id}'s worktree`);
  const recs = new Map(readRecords(file.path).map((r) => [r.seq, r.ts]));
  // Only records written after the rows were first watched: the catch-up of the panel's opening is P6's.
  const written = (s, from, to = Infinity) => recs.has(Number(s)) && recs.get(Number(s)) >= from && recs.get(Number(s)) < to;
  const starting = Object.entries(seen)
    .filter(([s]) => written(s, t0, streaming))
    .map(([s, t]) => t - recs.get(Number(s)));
  const lat = Object.entries(seen)
    .filter(([s]) => written(s, streaming))
    .map(([s, t]) => t - recs.get(Number(s)));
  log(`P1: ${Object.keys(seen).length} rows appeared; ${starting.length} written while the others started, ${lat.length} once all streamed (${file.path})`);
  report(`P1 ${ids.length} agents × ${rate} msg/s: record written → row on screen`, fmtStats(lat));
  report(`P1 the same while the other agents start`, fmtStats(starting));
  const fresh = Object.keys(seen).filter((s) => written(s, streaming) && got[s] !== undefined);
  report(`P1 of which written → message in the page`, fmtStats(fresh.map((s) => got[s] - recs.get(Number(s)))));
  report(`P1 of which message in the page → row`, fmtStats(fresh.map((s) => seen[s] - got[s])));
  await page.keyboard.press('Control+W');
}

/**
 * Clicks with `agents` streaming: Start/Stop on backlog story 3 (queued, max_coders reached), right-clicks
 * on story 4. The first clicks come while the agents start (worktrees made, supervisors spawned), the rest
 * once every agent streams: two figures, as the two are far apart.
 */
async function benchClicks({ page, workspace, log, report, fmtStats, trials, agents }, board, ids) {
  for (const id of ids) moveStoryFile(workspace, id, '2_current');
  await waitRunning(page, agents, { log });
  const sel = cardSel(3);
  await showCard(board, 3);
  const startStop = async (label) => {
    const start = await timeClick(board, `${sel} [data-action="start"]`, `() => ${JSON.stringify(ACTIVE)}.includes(document.querySelector('${sel}')?.dataset.runStatus)`);
    const stop = await timeClick(board, `${sel} [data-action="stop"]`, `() => !${JSON.stringify(ACTIVE)}.includes(document.querySelector('${sel}')?.dataset.runStatus)`);
    log(`click ${label}: Start → queued ${Math.round(start)} ms; Stop → stopped ${Math.round(stop)} ms`);
    return [start, stop];
  };
  const starting = [];
  for (let i = 0; i < 3; i++) starting.push(...(await startStop(`while the agents start ${i + 1}`)));
  report(`click, ${agents} agents starting: Start or Stop → card answers`, fmtStats(starting));
  await waitStreaming(workspace, ids, { log });
  const start = [];
  const stop = [];
  for (let i = 0; i < trials; i++) {
    const [a, b] = await startStop(`trial ${i + 1}`);
    start.push(a);
    stop.push(b);
  }
  report(`click, ${agents} agents streaming: Start → card shows queued`, fmtStats(start));
  report(`click, ${agents} agents streaming: Stop → card shows stopped`, fmtStats(stop));
  const menu = [];
  await showCard(board, 4);
  for (let i = 0; i < trials; i++) {
    await page.evaluate(() => {
      window.__menu = new Promise((res) => {
        const mo = new MutationObserver(() => {
          if (document.querySelector('.context-view .monaco-menu .action-label')) {
            mo.disconnect();
            requestAnimationFrame(() => res(Date.now()));
          }
        });
        mo.observe(document.body, { subtree: true, childList: true });
      });
    });
    const el = board.locator(cardSel(4)).first();
    const t0 = Date.now();
    await el.click({ button: 'right', position: { x: 6, y: 6 } });
    const t1 = await page.evaluate(() => window.__menu);
    menu.push(t1 - t0);
    await page.keyboard.press('Escape');
    await sleep(300);
  }
  report(`click, ${agents} agents streaming: right-click → context menu`, fmtStats(menu));
}

export async function benchScale(ctx) {
  const { page, log, only, trials, agents } = ctx;
  if (!['p3', 'click', 'p1', 'p6'].some((k) => only.has(k))) return;
  let board = await openBoardPanel(page, 5, { timeout: 120_000 });
  log('board panel open');
  if (only.has('p3')) await benchP3(ctx, board);
  if (only.has('p6')) await benchP6(ctx, board);
  // The output panel took the board panel's place in the editor: show the board again.
  if (only.has('p6')) board = await openBoardPanel(page, 5, { timeout: 120_000 });
  // Stories 20–29 stream for P1; 15–19 and 30–44 join them for the clicks (3 and 4 stay in the backlog).
  const p1 = Array.from({ length: 10 }, (_, i) => 20 + i);
  const rest = [15, 16, 17, 18, 19, ...Array.from({ length: 25 }, (_, i) => 30 + i)].slice(0, Math.max(0, agents - p1.length));
  if (only.has('p1')) await benchP1(ctx, board, p1);
  if (only.has('p1')) board = await openBoardPanel(page, 5, { timeout: 120_000 });
  if (only.has('click')) await benchClicks(ctx, board, only.has('p1') ? rest : [...p1, ...rest]);
  log(`done with ${trials} trials`);
}
