// Starts and stops code-server (VS Code in a browser) for the end-to-end test and the demo:
// each server runs in its own process group inside a run folder and is always killed as a group.
//
// Library: import { startCodeServer, installVsix, rigPaths, ... } from './codeServer.mjs'.
// Command line (used by scripts/demo.sh):
//   node scripts/codeServer.mjs serve --folder DIR [--vsix FILE] [--port N] [--run-dir DIR]
//   serves until Ctrl+C, printing the URL.
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RIG = process.env.HUSKIES_RIG_DIR ? resolve(process.env.HUSKIES_RIG_DIR) : join(ROOT, '.vscode-test');

/** Where scripts/vscode-rig.sh put things. */
export function rigPaths() {
  return {
    rig: RIG,
    node24: join(RIG, 'node24', 'bin', 'node'),
    entry: join(RIG, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    vsce: join(RIG, 'vsce', 'node_modules', '@vscode', 'vsce', 'vsce'),
    chromium: process.env.HUSKIES_CHROMIUM || '/usr/bin/chromium',
  };
}

/** Throws with a hint when the rig is not installed. */
export function assertRig() {
  const p = rigPaths();
  const missing = ['node24', 'entry', 'chromium'].filter((k) => !existsSync(p[k]));
  if (missing.length) {
    throw new Error(`the test rig is missing ${missing.map((k) => p[k]).join(', ')}: run bash scripts/vscode-rig.sh`);
  }
  return p;
}

/** Chromium flags that work on these machines (closed network, root, no GPU). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Settings that keep the workbench quiet and predictable. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.openRepositoryInParentFolders': 'never',
  'window.restoreWindows': 'none',
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ---------------------------------------------------------------- cleanup on exit and signals
const cleanups = new Set();
const groups = new Set(); // process-group ids to SIGKILL synchronously at exit
let handlersInstalled = false;

/** Registers an async cleanup run on SIGINT/SIGTERM/SIGHUP (and by runCleanups). Returns an unregister function. */
export function onCleanup(fn) {
  installHandlers();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered cleanup once, newest first, each bounded in time. */
export async function runCleanups() {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try {
      await Promise.race([Promise.resolve().then(fn), sleep(10_000)]);
    } catch (e) {
      console.error(`cleanup failed: ${e?.message ?? e}`);
    }
  }
}

function killGroupSync(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  let stopping = false;
  const onSignal = (sig, code) => {
    if (stopping) {
      // A second Ctrl+C: kill hard, now.
      for (const g of groups) killGroupSync(g, 'SIGKILL');
      process.exit(code);
    }
    stopping = true;
    console.error(`\n${sig}: stopping…`);
    runCleanups().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('SIGHUP', () => onSignal('SIGHUP', 129));
  // Last resort: whatever exit path, no process group we started survives us.
  process.on('exit', () => {
    for (const g of groups) killGroupSync(g, 'SIGKILL');
  });
}

// ---------------------------------------------------------------- process groups
/** Spawns `cmd args` detached (its own process group) and returns the child. */
function spawnGroup(cmd, args, opts) {
  installHandlers();
  const child = spawn(cmd, args, { ...opts, detached: true });
  if (child.pid) groups.add(child.pid);
  child.once('exit', () => {
    // The leader is gone; children may linger in the group until stopGroup finishes.
  });
  return child;
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the group, wait up to graceMs, then SIGKILL it. */
export async function stopGroup(pgid, graceMs = 4000) {
  if (!pgid) return;
  if (killGroupSync(pgid, 'SIGTERM')) {
    const until = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < until) await sleep(100);
    if (groupAlive(pgid)) killGroupSync(pgid, 'SIGKILL');
  }
  groups.delete(pgid);
}

// ---------------------------------------------------------------- code-server
function serverEnv(runDir) {
  const env = { ...process.env };
  delete env.XDG_RUNTIME_DIR;
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.NODE_OPTIONS;
  delete env.ELECTRON_RUN_AS_NODE;
  env.EXTENSIONS_GALLERY = '{}';
  env.XDG_DATA_HOME = join(runDir, 'xdg-data');
  env.XDG_CONFIG_HOME = join(runDir, 'xdg-config');
  env.XDG_CACHE_HOME = join(runDir, 'xdg-cache');
  env.TMPDIR = join(runDir, 'tmp');
  env.PATH = `${dirname(rigPaths().node24)}:${env.PATH ?? '/usr/bin:/bin'}`;
  for (const k of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'TMPDIR']) mkdirSync(env[k], { recursive: true });
  return env;
}

function runDirs(runDir) {
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  return { userDataDir, extensionsDir };
}

/** Installs a .vsix into the run folder's extensions dir (code-server --install-extension). */
export async function installVsix({ runDir, vsix, log = () => {} }) {
  const { node24, entry } = assertRig();
  const { userDataDir, extensionsDir } = runDirs(resolve(runDir));
  const t = Date.now();
  const { stdout, stderr } = await execFileP(node24, [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', resolve(vsix), '--force'], {
    env: serverEnv(resolve(runDir)),
    timeout: 120_000,
    maxBuffer: 16 << 20,
  }).catch((e) => {
    throw new Error(`installing ${vsix} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  });
  const out = `${stdout}${stderr}`;
  if (!/successfully installed/i.test(out)) throw new Error(`installing ${vsix}: unexpected output:\n${out}`);
  log(`installed ${vsix} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  return out.trim();
}

/**
 * Starts code-server on 127.0.0.1 and waits for /healthz.
 * Returns { port, url, folderUrl, runDir, userDataDir, extensionsDir, logFile, pid, stop() }.
 */
export async function startCodeServer({
  runDir,
  workspace,
  port,
  vsix,
  settings = {},
  extraArgs = [],
  watchdogMs = 20 * 60_000,
  readyTimeoutMs = 90_000,
  log = (m) => console.log(`[code-server] ${m}`),
} = {}) {
  const { node24, entry } = assertRig();
  runDir = resolve(runDir);
  mkdirSync(runDir, { recursive: true });
  const { userDataDir, extensionsDir } = runDirs(runDir);
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  if (vsix) await installVsix({ runDir, vsix, log });
  port = port || (await freePort());
  const configFile = join(runDir, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = join(runDir, 'code-server.log');
  const out = createWriteStream(logFile);
  const args = [
    entry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--config',
    configFile,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    ...extraArgs,
  ];
  if (workspace) args.push(resolve(workspace));
  const t = Date.now();
  const child = spawnGroup(node24, args, { cwd: runDir, env: serverEnv(runDir), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const pid = child.pid;
  let exited = null;
  child.once('exit', (code, sig) => {
    exited = { code, sig };
  });

  let stopped = false;
  let watchdog;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(watchdog);
    unregister();
    await stopGroup(pid);
    out.end();
  };
  const unregister = onCleanup(stop);
  watchdog = setTimeout(() => {
    console.error(`[code-server] watchdog: still running after ${watchdogMs / 1000}s, killing it`);
    stop();
  }, watchdogMs);
  watchdog.unref();

  const base = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)})`);
      if (Date.now() - t > readyTimeoutMs) throw new Error(`code-server not healthy after ${readyTimeoutMs / 1000}s`);
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
      await sleep(200);
    }
  } catch (e) {
    await stop();
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      /* none */
    }
    throw new Error(`${e.message}\n--- ${logFile} (tail) ---\n${tail}`, { cause: e });
  }
  log(`ready on ${base} in ${((Date.now() - t) / 1000).toFixed(1)}s (pid ${pid}, logs ${logFile})`);
  const folderUrl = workspace ? `${base}/?folder=${encodeURIComponent(resolve(workspace)).replace(/%2F/g, '/')}` : `${base}/`;
  return { port, url: base, folderUrl, runDir, userDataDir, extensionsDir, logFile, pid, stop };
}

/** Launches Debian's Chromium through playwright-core (headless unless told otherwise). */
// `stateDir` keeps Chromium's own files (crash-report folders under XDG_CONFIG_HOME) out of $HOME.
export async function launchChromium({ headless = true, stateDir, userDataDir, viewport = { width: 1440, height: 900 } } = {}) {
  const { chromium } = await import('playwright-core');
  const executablePath = rigPaths().chromium;
  const env = { ...process.env };
  if (stateDir) {
    for (const [k, sub] of [
      ['XDG_CONFIG_HOME', 'xdg-config'],
      ['XDG_CACHE_HOME', 'xdg-cache'],
    ]) {
      env[k] = join(resolve(stateDir), sub);
      mkdirSync(env[k], { recursive: true });
    }
  }
  const launch = { executablePath, headless, args: CHROMIUM_ARGS, env };
  if (userDataDir) {
    const context = await chromium.launchPersistentContext(userDataDir, { ...launch, viewport });
    return { context, browser: null, close: () => context.close() };
  }
  const browser = await chromium.launch(launch);
  const context = await browser.newContext({ viewport });
  return { context, browser, close: () => browser.close() };
}

/** Removes a folder, ignoring errors (used for temp dirs in finally blocks). */
export function removeDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    console.error(`could not remove ${dir}: ${e.message}`);
  }
}

// ---------------------------------------------------------------- command line
async function cli(argv) {
  const opts = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'serve') continue;
    else if (a === '--folder') opts.folder = argv[++i];
    else if (a === '--vsix') opts.vsix = argv[++i];
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--run-dir') opts.runDir = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!opts.folder) throw new Error('usage: node scripts/codeServer.mjs serve --folder DIR [--vsix FILE] [--port N] [--run-dir DIR]');
  const runDir = resolve(opts.runDir ?? join(RIG, 'demo-run'));
  removeDir(runDir);
  const server = await startCodeServer({ runDir, workspace: opts.folder, vsix: opts.vsix, port: opts.port, watchdogMs: 7 * 24 * 3600_000 });
  console.log('');
  console.log(`  Huskies demo is running. Open this in a browser:`);
  console.log(`  ${server.folderUrl}`);
  console.log('');
  console.log('  Press Ctrl+C to stop.');
  // Stay in the foreground until a signal; the cleanup handlers stop the server.
  await new Promise(() => setInterval(() => {}, 1 << 30));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch(async (e) => {
    console.error(e.message);
    await runCleanups();
    process.exit(1);
  });
}
