#!/usr/bin/env node
// UI bench: the packaged extension in a real VS Code (code-server) driven by Playwright in Chromium.
// Prints numbers (p50 / p95 / max over repeated trials) and asserts nothing:
//   P8  activation time (VS Code's own figures) and the .vsix size
//   P3  a story file renamed by hand into another stage folder → its card in the new column (webview DOM)
//   click  with N simulated agents streaming: a card button's click → the card's answer on screen,
//          and a right-click → the card's context menu on screen
//   P1  with 10 agents streaming: a transcript record written → its row in the output webview
//   P6  a 100,000-message transcript opened in the output panel: first rows on screen, DOM rows
//
// Usage: node bench/ui.mjs [--vsix FILE] [--no-build] [--trials N] [--only p8,p3,click,p1,p6]
//                          [--agents 30] [--rate 20] [--messages 100000] [--keep] [--headed]
// Also: npm run bench -- --ui-only [same options]
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, RIG, assertRig, launchChromium, onCleanup, removeDir, runCleanups, startCodeServer } from '../scripts/codeServer.mjs';
import { openWorkbench } from '../test/e2e/workbench.mjs';
import { fmtStats, makeBenchProject } from './uiLib.mjs';
import { killWorkspaceAgents } from '../scripts/agentCleanup.mjs';
import { benchActivation } from './uiActivation.mjs';
import { benchScale } from './uiScale.mjs';

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const opt = (f, d) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);
const ONLY = new Set(String(opt('--only', 'p8,p3,click,p1,p6')).split(','));
const TRIALS = Number(opt('--trials', 10));
const AGENTS = Number(opt('--agents', 30));
const RATE = Number(opt('--rate', 20));
const MESSAGES = Number(opt('--messages', 100_000));
const T0 = Date.now();
const log = (m) => console.error(`[ui-bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${m}`);
const results = [];
/** One result line: printed at once and again in the summary. */
export function report(name, value) {
  const line = `${name.padEnd(58)} ${value}`;
  results.push(line);
  console.log(line);
}

function packageVsix(out) {
  return new Promise((res, rej) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'package.sh'), '-o', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    child.stdout.on('data', (d) => (last = String(d).trim().split('\n').pop() || last));
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res(last) : rej(new Error(`scripts/package.sh exited with ${code}`))));
  });
}

async function main() {
  assertRig();
  const tmp = mkdtempSync(join(tmpdir(), 'huskies-ui-bench-'));
  onCleanup(() => (flag('--keep') ? log(`kept ${tmp}`) : removeDir(tmp)));
  const watchdog = setTimeout(
    async () => {
      console.error('[ui-bench] watchdog: stopping after 30 minutes');
      await runCleanups();
      process.exit(1);
    },
    Number(opt('--timeout', 1800)) * 1000,
  );
  watchdog.unref();

  let vsix = opt('--vsix', join(RIG, 'e2e', 'huskies-vscode.vsix'));
  if (!flag('--no-build')) {
    log('packaging (scripts/package.sh)…');
    vsix = await packageVsix(vsix);
  }
  const size = statSync(vsix).size;
  report('P8 .vsix size', `${(size / 1024 / 1024).toFixed(2)} MB (${size.toLocaleString()} bytes, ${vsix.replace(ROOT + '/', '')})`);

  const workspace = makeBenchProject(join(tmp, 'bench'), { agents: AGENTS, rate: RATE, extra: 50 });
  log(`bench project: ${workspace} (${AGENTS} streaming agents at ${RATE} msg/s each)`);
  onCleanup(() => {
    const n = killWorkspaceAgents(workspace);
    if (n) log(`killed ${n} agent processes left streaming in the bench project`);
  });
  const server = await startCodeServer({ runDir: join(tmp, 'run'), workspace, vsix, log });
  const chrome = await launchChromium({ headless: !flag('--headed'), stateDir: join(tmp, 'chromium') });
  onCleanup(() => chrome.close().catch(() => {}));
  const page = await chrome.context.newPage();
  await openWorkbench(page, server.folderUrl, { timeout: 240_000 });
  const ctx = { page, server, workspace, log, report, fmtStats, trials: TRIALS, agents: AGENTS, rate: RATE, messages: MESSAGES, only: ONLY };
  try {
    if (ONLY.has('p8')) await benchActivation(ctx);
    await benchScale(ctx);
  } finally {
    await chrome.close().catch(() => {});
    await server.stop();
    await runCleanups();
    clearTimeout(watchdog);
  }
  console.log('\nUI bench summary');
  for (const l of results) console.log(`  ${l}`);
  console.log(`total ${((Date.now() - T0) / 1000).toFixed(0)}s`);
}

main().catch(async (e) => {
  console.error(e);
  await runCleanups();
  process.exit(1);
});
