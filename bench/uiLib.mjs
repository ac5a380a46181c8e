// Helpers for the UI bench (bench/ui.mjs) and the scale scenarios (test/e2e/scale.mjs): statistics,
// a bench project with many simulated agents, webview frames to evaluate in, VS Code's activation figures.
/* global document -- functions passed to evaluate() run in the webview */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../scripts/codeServer.mjs';
import { createSampleProject } from '../scripts/sample-project.mjs';
import { runCommand } from '../test/e2e/workbench.mjs';

/** p50 / p95 / max of a list of numbers (nearest rank). */
export function stats(xs) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return { n: 0, p50: NaN, p95: NaN, max: NaN };
  const rank = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { n: s.length, p50: rank(50), p95: rank(95), max: s[s.length - 1] };
}

/** "p50 12 ms  p95 30 ms  max 41 ms  (n=10)" */
export function fmtStats(xs, unit = 'ms') {
  const { n, p50, p95, max } = stats(xs);
  if (!n) return '(no samples)';
  const f = (v) => `${Math.round(v * 10) / 10} ${unit}`.padStart(10);
  return `p50 ${f(p50)}  p95 ${f(p95)}  max ${f(max)}  (n=${n})`;
}

const STORY = (id, name) => ['---', `name: ${name}`, '---', `# ${name}`, '', '## Acceptance criteria', '- [ ] It works', ''].join('\n');

/**
 * The sample project with `agents` simulated agents (max_coders = agents) that stream
 * `rate` messages a second for `seconds` (HUSKIES_SIM=stream), and `extra` more backlog stories
 * numbered from 5. Returns the workspace path.
 */
export function makeBenchProject(dir, { agents = 30, rate = 20, seconds = 600, extra = 40 } = {}) {
  createSampleProject(dir);
  const env = `env = { HUSKIES_SIM = "stream", HUSKIES_SIM_RATE = "${rate}", HUSKIES_SIM_SECONDS = "${seconds}" }`;
  const toml = Array.from({ length: agents }, (_, i) => `[[agent]]\nname = "sim-${i + 1}"\nstage = "coder"\nruntime = "sim"\nmodel = "sim"\n${env}\n`).join('\n');
  writeFileSync(join(dir, '.huskies', 'agents.toml'), `# Simulated agents streaming for the UI bench.\n${toml}`);
  writeFileSync(
    join(dir, '.huskies', 'project.toml'),
    ['default_qa = "human"', 'default_coder_model = "sim"', `max_coders = ${agents}`, 'max_retries = 0', 'base_branch = "main"', 'timezone = "UTC"', ''].join('\n'),
  );
  for (let id = 5; id < 5 + extra; id++) writeFileSync(join(dir, '.huskies', 'work', '1_backlog', `${id}_story_bench_${id}.md`), STORY(id, `Bench story ${id}`));
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  git('add', '-A');
  git('commit', '-q', '-m', 'Bench stories and streaming agents');
  return dir;
}

/** The file of story `id` in any stage folder, as { stageDir, file, path }. */
export function storyFile(ws, id) {
  const work = join(ws, '.huskies', 'work');
  for (const stageDir of readdirSync(work)) {
    const dir = join(work, stageDir);
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const file = names.find((f) => f.startsWith(`${id}_`) && f.endsWith('.md'));
    if (file) return { stageDir, file, path: join(dir, file) };
  }
  return undefined;
}

/** The Playwright Frame (a webview's inner document) that holds `selector`; polls until `timeout`. */
export async function frameWith(page, selector, { timeout = 30_000 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      const has = await f.evaluate((s) => !!document.querySelector(s), selector).catch(() => false);
      if (has) return f;
    }
    if (Date.now() > until) throw new Error(`no webview frame holds ${selector} after ${timeout / 1000}s (${page.frames().length} frames)`);
    await sleep(200);
  }
}

/** Every frame that holds `selector` right now. */
export async function framesWith(page, selector) {
  const out = [];
  for (const f of page.frames()) if (await f.evaluate((s) => !!document.querySelector(s), selector).catch(() => false)) out.push(f);
  return out;
}

/**
 * VS Code's own activation figures for the extension, from two of its views:
 *  - "Developer: Show Running Extensions": the number it shows (code loading + activate call);
 *  - "Developer: Startup Performance": Load Code, Call Activate and Finish Activate (the promise
 *    activate() returned resolved), found with the editor's Find and read from the rendered line.
 * Returns { shown, load, call, finish, event } (ms; undefined where a view did not answer).
 */
export async function activationFigures(page, { name = 'Huskies', id = 'huskies.huskies-vscode', timeout = 90_000 } = {}) {
  const out = {};
  await runCommand(page, 'Developer: Show Running Extensions', 'workbench.action.showRuntimeExtensions');
  const row = page.locator('.runtime-extensions-editor .extension').filter({ has: page.locator('.name', { hasText: name }) });
  const until = Date.now() + timeout;
  for (;;) {
    const t = await row
      .locator('.activation-time')
      .first()
      .textContent({ timeout: 2000 })
      .catch(() => '');
    const m = /(\d+)\s*ms/.exec(t ?? '');
    if (m) {
      out.shown = Number(m[1]);
      break;
    }
    if (Date.now() > until) {
      out.error = `Running Extensions shows no activation time for ${name} (last: ${JSON.stringify(t)})`;
      break;
    }
    await sleep(250);
  }
  await page.keyboard.press('Control+W');
  await runCommand(page, 'Developer: Startup Performance', 'perfview.show');
  const lines = page.locator('.editor-group-container.active .view-lines');
  await lines.first().waitFor({ state: 'visible', timeout });
  await sleep(300);
  await page.keyboard.press('Control+F');
  const find = page.locator('.editor-group-container.active .find-widget textarea, .editor-group-container.active .find-widget input').first();
  await find.waitFor({ state: 'visible', timeout: 20_000 });
  await find.fill(id);
  await page.keyboard.press('Enter');
  // A row: | extension | eager | load code | call activate | finish activate | event | by |
  const tableRow = /^\|\s*([\w.-]+)\s*\|\s*(true|false)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([^|]*)\|/;
  for (let i = 0; i < 20; i++) {
    const rows = {};
    for (const t of await page.locator('.editor-group-container.active .view-line').allTextContents()) {
      const m = tableRow.exec(t.replace(/\u00a0/g, ' ').trim());
      if (m) rows[m[1]] = { load: Number(m[3]), call: Number(m[4]), finish: Number(m[5]), event: m[6].trim() };
    }
    if (rows[id]) {
      Object.assign(out, rows[id]);
      out.others = rows;
      break;
    }
    await sleep(250);
  }
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+W');
  return out;
}

/** The extension host log of the current window (newest exthost.log under the user-data dir). */
export function newestExthostLog(userDataDir) {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return undefined;
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/exthost\.log$/.test(e.name)) found.push(p);
    }
  };
  walk(logs);
  return found.sort().pop();
}

export function readText(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
