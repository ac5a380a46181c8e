#!/usr/bin/env node
// End-to-end test: the packaged extension in a real VS Code (code-server) driven by Playwright in
// Debian's Chromium. Installs the rig if needed, packages the .vsix, makes a sample project, runs
// the scenarios of test/e2e/huskies.e2e.mjs and ends with the line "N passed, M failed".
//
// Usage: node scripts/e2e.mjs [--no-rig] [--no-build] [--vsix FILE] [--folder DIR] [--keep]
//                             [--smoke] [--screenshot FILE] [--grep TEXT] [--skip 'TEXT|TEXT'] [--port N] [--headed]
//   --no-build      use an existing .vsix (--vsix, default .vscode-test/e2e/huskies-vscode.vsix)
//   --folder DIR    use this project folder instead of a fresh sample project in a temp dir
//   --smoke         the short demo scenario (start story 1, wait for QA); used by scripts/demo.sh
//   --keep          keep the temp dir (code-server logs, workspace) for inspection
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, relative } from 'node:path';
import { ROOT, RIG, assertRig, launchChromium, onCleanup, removeDir, runCleanups, startCodeServer } from './codeServer.mjs';
import { createSampleProject } from './sample-project.mjs';
import { killWorkspaceAgents } from './agentCleanup.mjs';

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const opt = (f, d) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);
const SMOKE = flag('--smoke');
const RESULTS = join(ROOT, 'test-results');
const T0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
const log = (m) => console.log(`[e2e ${secs(Date.now() - T0).padStart(6)}] ${m}`);

let passed = 0;
let failed = 0;
const failures = [];
let summaryPrinted = false;
// Interrupted (signal, watchdog): still end with the summary line, counting the interruption.
process.on('exit', (code) => {
  if (!summaryPrinted) console.log(`${passed} passed, ${failed + (code ? 1 : 0)} failed`);
});

/** Runs a shell step, streaming its output with a prefix; returns its stdout's last line. */
function sh(label, cmd, cmdArgs) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, cmdArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    let last = '';
    const pipe = (stream, isOut) => {
      let buf = '';
      stream.on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop();
        for (const l of lines) {
          if (isOut && l.trim()) last = l.trim();
          console.log(`  ${label}| ${l}`);
        }
      });
      stream.on('end', () => {
        if (buf) {
          if (isOut && buf.trim()) last = buf.trim();
          console.log(`  ${label}| ${buf}`);
        }
      });
    };
    pipe(child.stdout, true);
    pipe(child.stderr, false);
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res(last) : rej(new Error(`${cmd} ${cmdArgs.join(' ')} exited with ${code}`))));
  });
}

async function timed(name, fn) {
  const t = Date.now();
  log(`▶ ${name}`);
  const r = await fn();
  log(`✓ ${name} (${secs(Date.now() - t)})`);
  return r;
}

/** Files under `dir` whose path relative to `dir` matches `re`. */
function findFiles(dir, re, base = dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) findFiles(p, re, base, out);
    else if (re.test(relative(base, p))) out.push(p);
  }
  return out;
}

/** Copies code-server's logs to test-results/ and prints the Huskies channel and exthost errors. */
function collectEvidence(server, tag) {
  if (!server) return;
  const dest = join(RESULTS, `${tag}-logs`);
  try {
    removeDir(dest);
    mkdirSync(dest, { recursive: true });
    const logsDir = join(server.userDataDir, 'logs');
    if (existsSync(logsDir)) cpSync(logsDir, join(dest, 'user-data-logs'), { recursive: true });
    if (existsSync(server.logFile)) cpSync(server.logFile, join(dest, 'code-server.log'));
    log(`logs copied to ${relative(ROOT, dest)}/`);
  } catch (e) {
    log(`could not copy logs: ${e.message}`);
  }
  const huskiesLogs = findFiles(join(server.userDataDir, 'logs'), /huskies/i);
  for (const f of huskiesLogs) {
    const text = readFileSync(f, 'utf8');
    console.log(`----- ${relative(server.userDataDir, f)} (last 40 lines${text.trim() ? '' : ': empty'}) -----`);
    console.log(text.split('\n').slice(-40).join('\n'));
  }
  for (const f of findFiles(join(server.userDataDir, 'logs'), /exthost\d*[\\/](remote)?exthost\.log$/)) {
    const errs = readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => /\[error\]|huskies/i.test(l));
    console.log(`----- ${relative(server.userDataDir, f)}: ${errs.length} error/huskies lines (last 30) -----`);
    console.log(errs.slice(-30).join('\n'));
  }
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  // Artifacts of an earlier run would mislead: remove them.
  for (const f of readdirSync(RESULTS)) {
    if (SMOKE ? /^demo(-logs|\.png)/.test(f) : /^e2e-(fail-|final|logs|browser-console)/.test(f)) removeDir(join(RESULTS, f));
  }
  const tmp = mkdtempSync(join(tmpdir(), 'huskies-e2e-'));
  const keep = flag('--keep');
  onCleanup(() => {
    if (keep) log(`kept ${tmp}`);
    else removeDir(tmp);
  });
  // A watchdog for the whole run: never hang CI.
  const watchdogMs = Number(opt('--timeout', SMOKE ? 600 : 900)) * 1000;
  const watchdog = setTimeout(async () => {
    console.error(`[e2e] watchdog: the run took longer than ${watchdogMs / 1000}s; stopping`);
    await runCleanups();
    process.exit(1);
  }, watchdogMs);
  watchdog.unref();

  let server;
  let browser;
  let page;
  try {
    // ------------------------------------------------------------ setup
    if (!flag('--no-rig')) await timed('rig (scripts/vscode-rig.sh)', () => sh('rig', 'bash', [join(ROOT, 'scripts/vscode-rig.sh')]));
    assertRig();
    let vsix = opt('--vsix', join(RIG, 'e2e', 'huskies-vscode.vsix'));
    if (!flag('--no-build')) {
      vsix = await timed('package (scripts/package.sh)', () => sh('package', 'bash', [join(ROOT, 'scripts/package.sh'), '-o', vsix]));
    }
    if (!existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);
    const workspace = opt('--folder') ? resolve(opt('--folder')) : join(tmp, 'greeter');
    if (!opt('--folder')) await timed('sample project', async () => createSampleProject(workspace));
    // The sample project's agents go with it (a --folder of the user's own is left alone).
    if (!opt('--folder'))
      onCleanup(() => {
        const n = killWorkspaceAgents(workspace);
        if (n) log(`killed ${n} agent processes left running in the sample project`);
      });
    server = await timed('start code-server + install the .vsix', () =>
      startCodeServer({ runDir: join(tmp, 'run'), workspace, vsix, port: Number(opt('--port', 0)) || undefined, log: (m) => log(`code-server: ${m}`) }),
    );
    const chrome = await timed('launch Chromium', () => launchChromium({ headless: !flag('--headed'), stateDir: join(tmp, 'chromium') }));
    browser = chrome;
    onCleanup(() => chrome.close().catch(() => {}));
    page = await chrome.context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await timed('open the workbench', async () => {
      // Generous: on a busy machine (others compiling, agents streaming) the first load takes minutes.
      await page.goto(server.folderUrl, { waitUntil: 'domcontentloaded', timeout: 240_000 });
      await page.locator('.monaco-workbench').first().waitFor({ state: 'visible', timeout: 240_000 });
    });

    // ------------------------------------------------------------ scenarios
    const mod = await import('../test/e2e/huskies.e2e.mjs');
    let list = SMOKE ? mod.smokeTests : mod.tests;
    if (opt('--grep')) list = list.filter((t) => t.name.includes(opt('--grep')));
    if (opt('--skip'))
      list = list.filter(
        (t) =>
          !opt('--skip')
            .split('|')
            .some((s) => t.name.includes(s)),
      );
    const ok = new Set();
    for (const t of list) {
      const t1 = Date.now();
      const missing = (t.needs ?? []).filter((n) => !ok.has(n) && list.some((x) => x.name === n));
      if (missing.length) {
        failed++;
        failures.push({ name: t.name, error: `not run: needs "${missing.join('", "')}"` });
        log(`✗ ${t.name}: not run, needs "${missing.join('", "')}"`);
        continue;
      }
      log(`▶ ${t.name}`);
      try {
        await t.run({ page, workspace, server, log: (m) => log(`    ${m}`) });
        passed++;
        ok.add(t.name);
        log(`✓ ${t.name} (${secs(Date.now() - t1)})`);
      } catch (e) {
        failed++;
        failures.push({ name: t.name, error: e.message });
        const slug = t.name
          .replace(/[^a-z0-9]+/gi, '-')
          .replace(/^-|-$/g, '')
          .toLowerCase()
          .slice(0, 60);
        const shot = join(RESULTS, `e2e-fail-${slug}.png`);
        await page.screenshot({ path: shot, fullPage: true, timeout: 15_000 }).catch(() => {});
        log(`✗ ${t.name} (${secs(Date.now() - t1)}): ${e.message}`);
        log(`  screenshot: ${relative(ROOT, shot)}`);
      }
    }
    const finalShot = opt('--screenshot', join(RESULTS, SMOKE ? 'demo.png' : failed ? 'e2e-final-failed.png' : 'e2e-final.png'));
    await page.screenshot({ path: finalShot, fullPage: true, timeout: 15_000 }).catch(() => {});
    log(`final screenshot: ${relative(ROOT, finalShot)}`);
    if (consoleErrors.length) {
      const f = join(RESULTS, 'e2e-browser-console-errors.txt');
      writeFileSync(f, consoleErrors.join('\n') + '\n');
      log(`${consoleErrors.length} browser console errors (harmless ones included) in ${relative(ROOT, f)}`);
    }
    if (failed) collectEvidence(server, SMOKE ? 'demo' : 'e2e');
  } catch (e) {
    failed++;
    failures.push({ name: 'setup', error: e.message });
    log(`✗ setup: ${e.message}`);
    if (page) await page.screenshot({ path: join(RESULTS, 'e2e-fail-setup.png'), fullPage: true, timeout: 15_000 }).catch(() => {});
    collectEvidence(server, SMOKE ? 'demo' : 'e2e');
  } finally {
    await timed('stop Chromium and code-server, remove temp dirs', async () => {
      if (browser) await browser.close().catch(() => {});
      if (server) await server.stop();
      await runCleanups();
    });
    clearTimeout(watchdog);
  }
  if (failures.length) {
    console.log('\nFailures:');
    for (const f of failures) console.log(`  - ${f.name}: ${f.error.split('\n').join('\n    ')}`);
  }
  console.log(`\ntotal ${secs(Date.now() - T0)}`);
  console.log(`${passed} passed, ${failed} failed`);
  summaryPrinted = true;
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (e) => {
  console.error(e);
  await runCleanups();
  process.exit(1);
});
