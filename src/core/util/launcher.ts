// Short-lived programs (git, mostly) started by a small helper process instead of by this one.
// Starting a process copies the starting process's page tables, so the cost grows with its memory:
// 4 ms from a 50 MB process, 14 ms from a 260 MB one (an editor's extension host), 31 ms at 1.1 GB,
// and the event loop is blocked meanwhile. When 30 agents start together that is over a hundred
// git processes; from the helper each costs the host one message each way.
//
// A process installs a launcher with useLauncher(); runFile() then goes through it, and straight to
// child_process.execFile without one (or when the helper cannot be started). The helper exits with
// its parent: it reads nothing but the IPC channel, and ends when that closes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface RunFileOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long. */
  timeoutMs: number;
  maxBuffer?: number;
}

export interface RunFileResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when it was killed or never started. */
  code: number | null;
  /** It outlived timeoutMs and was killed. */
  timedOut: boolean;
  /** Why it could not be started or read (e.g. "ENOENT": no such program, or no such folder). */
  failure?: { code?: string; message: string };
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** The helper: runs each request with execFile and answers with what came of it. Plain JS, run with `node -e`. */
const HELPER = `
const { execFile } = require('node:child_process');
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  execFile(m.file, m.args, { cwd: m.cwd, env: m.env, timeout: m.timeoutMs, killSignal: 'SIGKILL', maxBuffer: m.maxBuffer, windowsHide: true, encoding: 'utf8' }, (err, stdout, stderr) => {
    const r = { id: m.id, stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), code: err ? (typeof err.code === 'number' ? err.code : null) : 0, timedOut: !!(err && err.killed && err.signal === 'SIGKILL' && typeof err.code !== 'string') };
    if (err && typeof err.code !== 'number') r.failure = { code: typeof err.code === 'string' ? err.code : undefined, message: String(err.message) };
    try { process.send(r); } catch { process.exit(1); }
  });
});
`;

function direct(file: string, args: string[], o: RunFileOptions): Promise<RunFileResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: o.cwd, env: o.env, timeout: o.timeoutMs, killSignal: 'SIGKILL', maxBuffer: o.maxBuffer ?? DEFAULT_MAX_BUFFER, windowsHide: true, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string }) | null;
        const r: RunFileResult = {
          stdout: String(stdout ?? ''),
          stderr: String(stderr ?? ''),
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          timedOut: !!(e?.killed && e.signal === 'SIGKILL' && typeof e.code !== 'string'),
        };
        if (e && typeof e.code !== 'number') r.failure = { code: typeof e.code === 'string' ? e.code : undefined, message: e.message };
        resolve(r);
      },
    );
  });
}

type Pending = { resolve: (r: RunFileResult) => void; file: string };

export class Launcher {
  private child?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** Requests the helper answered (a test counts them). */
  answered = 0;

  constructor(private readonly nodePath = process.execPath) {}

  /** The helper's pid while it runs. */
  get helperPid(): number | undefined {
    return this.child?.connected ? this.child.pid : undefined;
  }

  run(file: string, args: string[], o: RunFileOptions): Promise<RunFileResult> {
    const child = this.helper();
    if (!child) return direct(file, args, o);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, file });
      child.channel?.ref();
      const msg = { id, file, args, cwd: o.cwd, env: o.env, timeoutMs: o.timeoutMs, maxBuffer: o.maxBuffer ?? DEFAULT_MAX_BUFFER };
      try {
        child.send(msg, (err) => {
          if (err) this.settle(id, { stdout: '', stderr: '', code: null, timedOut: false, failure: { message: `the launcher could not take the request: ${err.message}` } });
        });
      } catch (err) {
        this.settle(id, { stdout: '', stderr: '', code: null, timedOut: false, failure: { message: `the launcher could not take the request: ${(err as Error).message}` } });
      }
    });
  }

  dispose(): void {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.disconnect();
    this.failAll('the launcher was stopped');
  }

  /** The helper process, started on first use (and again after it died); undefined when it cannot be. */
  private helper(): ChildProcess | undefined {
    if (this.disposed) return undefined;
    if (this.child?.connected) return this.child;
    let child: ChildProcess;
    try {
      child = spawn(this.nodePath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, windowsHide: true });
    } catch {
      return undefined;
    }
    this.child = child;
    child.on('message', (r: RunFileResult & { id: number }) => {
      const { id, ...result } = r;
      this.answered++;
      this.settle(id, result);
    });
    const gone = () => {
      if (this.child === child) this.child = undefined;
      this.failAll('the launcher process ended');
    };
    child.on('exit', gone);
    child.on('error', gone);
    child.unref();
    child.channel?.unref();
    return child;
  }

  private settle(id: number, r: RunFileResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (!this.pending.size) this.child?.channel?.unref();
    p.resolve(r);
  }

  /** What was asked and not answered: whether it ran is unknown, so it fails (the caller's error path). */
  private failAll(why: string): void {
    for (const [id] of this.pending) this.settle(id, { stdout: '', stderr: '', code: null, timedOut: false, failure: { message: why } });
  }
}

let current: Launcher | undefined;
let users = 0;

/** Whether this process starts programs from a launcher. */
export function launcherInUse(): boolean {
  return current !== undefined;
}

/** Runs file with args: through this process's launcher when one is in use, else directly. */
export function runFile(file: string, args: string[], o: RunFileOptions): Promise<RunFileResult> {
  return current ? current.run(file, args, o) : direct(file, args, o);
}

/** Starts short-lived programs from a helper process until the returned handle is disposed (counted per user). */
export function useLauncher(nodePath?: string): { launcher: Launcher; dispose(): void } {
  current ??= new Launcher(nodePath);
  users++;
  const launcher = current;
  let done = false;
  return {
    launcher,
    dispose() {
      if (done) return;
      done = true;
      if (--users === 0 && current === launcher) {
        current = undefined;
        launcher.dispose();
      }
    },
  };
}
