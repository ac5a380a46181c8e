// Steps shared by the UI bench (bench/ui.mjs) and the scale scenarios (test/e2e/scale.mjs): moving
// story files by hand, waiting for running agents, timing a click's answer inside a webview, reading a
/* global document, MutationObserver, requestAnimationFrame -- functions passed to evaluate() run in the webview */
// run's transcript, growing a finished run's transcript to many records, and the output panel's rows.
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../scripts/codeServer.mjs';
import { runCommand } from '../test/e2e/workbench.mjs';
import { frameWith, storyFile } from './uiLib.mjs';

export const STATUS_ITEM = 'huskies.huskies-vscode.agents';
export const cardSel = (id) => `div.card[data-story-id="${id}"]`;
export const ROWS = '#output-log [data-seq]';

/** Renames story `id`'s file into `toDir` (e.g. '2_current'), as a person would; returns the time of the rename. */
export function moveStoryFile(ws, id, toDir) {
  const f = storyFile(ws, id);
  if (!f) throw new Error(`no file for story ${id} under ${join(ws, '.huskies', 'work')}`);
  const t = Date.now();
  renameSync(f.path, join(ws, '.huskies', 'work', toDir, f.file));
  return t;
}

/** The number of running agents the status bar shows (0 when it shows none). */
export async function runningCount(page) {
  const txt = await page
    .locator(`[id="${STATUS_ITEM}"]`)
    .first()
    .textContent({ timeout: 2000 })
    .catch(() => '');
  return Number(/(\d+) running/.exec(txt ?? '')?.[1] ?? 0);
}

export async function waitRunning(page, n, { timeout = 600_000, log = () => {} } = {}) {
  const until = Date.now() + timeout;
  let last = -1;
  for (;;) {
    const c = await runningCount(page);
    if (c !== last) log(`status bar: ${c} running`);
    last = c;
    if (c >= n) return c;
    if (Date.now() > until) throw new Error(`the status bar shows ${c} running agents after ${timeout / 1000}s, expected ${n}`);
    await sleep(500);
  }
}

/** Opens the board in an editor panel (Huskies: Open Board) and returns the frame that shows card `id`. */
export async function openBoardPanel(page, id, { timeout = 60_000 } = {}) {
  // The command is there once the extension is: its status bar item says so.
  await page.locator(`[id="${STATUS_ITEM}"]`).first().waitFor({ state: 'attached', timeout: 180_000 });
  await runCommand(page, 'Huskies: Open Board', 'huskies.openBoard', { timeout: 60_000 });
  return showCard(await frameWith(page, '#filter-text', { timeout }), id, { timeout });
}

/**
 * Makes card `id` have an element in this board: a column renders only the cards in view, so when
 * the card is not there, the board's filter is set to "#id". Returns the frame.
 */
export async function showCard(frame, id, { timeout = 60_000 } = {}) {
  const has = () => frame.evaluate((sel) => !!document.querySelector(sel), cardSel(id)).catch(() => false);
  const until = Date.now() + Math.min(timeout, 5000);
  while (Date.now() < until) {
    if (await has()) return frame;
    await sleep(250);
  }
  await frame.evaluate((text) => {
    const box = document.querySelector('#filter-text');
    if (!box) throw new Error('the board has no filter box');
    box.value = text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }, `#${id}`);
  await frame.waitForFunction((sel) => !!document.querySelector(sel), cardSel(id), { timeout, polling: 250 });
  return frame;
}

/**
 * Clicks `selector` inside `frame` (the element's own click(), so no input-driver latency counts) and
 * resolves with the milliseconds until `answered` (a function source evaluated in the frame, true once
 * the answer is in the DOM) holds, measured to the next animation frame (the answer on screen).
 */
export async function timeClick(frame, selector, answered, { timeout = 20_000 } = {}) {
  return frame.evaluate(
    ({ selector, answered, timeout }) =>
      new Promise((res, rej) => {
        const done = new Function(`return (${answered})();`);
        const el = document.querySelector(selector);
        if (!el) return rej(new Error(`no ${selector} to click`));
        let finished = false;
        const t0 = performance.now();
        const check = () => {
          if (finished || !done()) return;
          finished = true;
          mo.disconnect();
          requestAnimationFrame(() => res(performance.now() - t0));
        };
        const mo = new MutationObserver(check);
        mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        setTimeout(() => {
          if (!finished) {
            mo.disconnect();
            rej(new Error(`no answer to the click on ${selector} within ${timeout} ms`));
          }
        }, timeout);
        el.click();
      }),
    { selector, answered: answered.toString(), timeout },
  );
}

/** The transcript files of the project's runs, newest first. */
export function transcripts(ws) {
  const dir = join(ws, '.huskies', 'logs');
  let names;
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return names.map((f) => ({ path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.mtime - a.mtime);
}

/**
 * Waits until every story's run streams: its transcript was written in the last 2 s. "Running" in the
 * status bar comes first, while worktrees are still being made.
 */
export async function waitStreaming(ws, ids, { timeout = 600_000, log = () => {} } = {}) {
  const t0 = Date.now();
  for (;;) {
    const now = Date.now();
    const fresh = new Set(
      transcripts(ws)
        .filter((t) => now - t.mtime < 2000)
        .map((t) => Number(/(\d+)-[^/]*\.jsonl$/.exec(t.path)?.[1])),
    );
    const streaming = ids.filter((id) => fresh.has(id)).length;
    if (streaming === ids.length) return log(`all ${ids.length} agents streaming after ${Math.round((now - t0) / 1000)} s more`);
    if (now - t0 > timeout) throw new Error(`${streaming} of ${ids.length} agents stream after ${timeout / 1000} s`);
    await sleep(500);
  }
}

/** The records of a transcript file (a torn last line is skipped). */
export function readRecords(file) {
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const r = JSON.parse(line);
      if (typeof r.seq === 'number') out.push(r);
    } catch {
      /* torn */
    }
  }
  return out;
}

/**
 * Rewrites a finished run's transcript so that it holds `total` records: synthetic text, tool calls
 * and results first, then the run's own records renumbered after them (so its result stays last).
 */
export function growTranscript(file, total) {
  const own = readRecords(file);
  const fill = Math.max(0, total - own.length);
  const t0 = own[0]?.ts ?? Date.now();
  const parts = [];
  for (let i = 1; i <= fill; i++) {
    const k = i % 4;
    const msg =
      k === 1
        ? { kind: 'text', text: `Step ${i}: reading the story and the code around it before changing anything.` }
        : k === 2
          ? { kind: 'tool_use', id: `toolu_${i}`, name: 'Read', input: { file_path: `/work/src/module${i % 97}.ts` } }
          : k === 3
            ? { kind: 'tool_result', toolUseId: `toolu_${i - 1}`, content: `line ${i}: export function f${i}() { return ${i}; }`, isError: false }
            : { kind: 'thinking', text: `Record ${i} of a long session.` };
    parts.push(JSON.stringify({ seq: i, ts: t0 + i, msg }));
  }
  own.forEach((r, j) => parts.push(JSON.stringify({ ...r, seq: fill + j + 1 })));
  writeFileSync(file, parts.join('\n') + '\n');
  return { records: fill + own.length, bytes: statSync(file).size };
}

/** The seq numbers of the output panel's rows (DOM order), and the row count. */
export async function outputRows(frame) {
  return frame.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => Number(e.dataset.seq)), ROWS);
}

/** The frame of the output panel whose rows come from story `id` (its tab is "Agent: #id …"), or any output panel. */
export async function outputFrame(page, { timeout = 60_000 } = {}) {
  return frameWith(page, ROWS, { timeout });
}

/**
 * Where the time from a click (`t0`, epoch ms) to the output panel's first rows on screen went, from
 * the page's own timings (so a test's polling for the frame adds nothing): VS Code making the panel
 * and its frame (click → page start), loading the page's script and style, running the script
 * (→ huskies:ready), putting the first page in the DOM (→ huskies:first-rows), and the first paint
 * (first-contentful-paint). `shown` is click → first paint with the rows.
 */
export async function openBreakdown(out, t0) {
  const m = await out.evaluate(() => {
    const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
    // What the page waited for: scripts and style sheets fetched before its first page was in the DOM
    // (the toolkit, loaded after the first paint, is not one of them).
    const before = performance.getEntriesByName('huskies:first-rows')[0]?.startTime ?? Infinity;
    const res = performance.getEntriesByType('resource').filter((e) => /\.(js|css)(\?|$)/.test(e.name) && e.startTime < before);
    return {
      origin: performance.timeOrigin,
      ready: at('huskies:ready'),
      rows: at('huskies:first-rows'),
      paint: at('first-contentful-paint'),
      loaded: Math.max(0, ...res.map((e) => e.responseEnd)),
      files: res.map((e) => `${e.name.split('/').pop()} ${Math.round(e.responseEnd)} ms`),
    };
  });
  const panel = Math.round(m.origin - t0);
  const ms = (v) => (v === undefined ? NaN : Math.round(v));
  const script = ms(m.ready);
  const host = m.rows === undefined || m.ready === undefined ? NaN : Math.round(m.rows - m.ready);
  const paint = m.paint === undefined || m.rows === undefined ? NaN : Math.round(m.paint - m.rows);
  const shown = m.paint === undefined ? NaN : Math.round(m.origin + m.paint - t0);
  const text =
    `shown ${shown} ms after the click: VS Code's panel and frame ${panel} ms, page script ${script} ms ` +
    `(of which files loaded ${ms(m.loaded)} ms: ${m.files.join(', ') || 'none'}), first page in the DOM ${host} ms, painted ${paint} ms later`;
  return { panel, script, host, paint, shown, loaded: ms(m.loaded), text };
}
