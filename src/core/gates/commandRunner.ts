// Runs shell command lines from the project's own config (gates, component setup and teardown) in a
// worktree: each in its own process group with stdin closed, output line by line into a transcript
// (masked, head and tail kept when long), a time limit and an abort that take the whole group down.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fmtDuration, signalGroup } from '../agents/agentProcess';
import { TranscriptWriter } from '../agents/transcript';
import type { AgentMessage, TranscriptRecord } from '../model/agentMessage';
import { groupMembers } from '../util/proc';
import { niceCommand, runInBackground } from '../util/priority';
import { OutputSink, type Write } from './outputSink';

/** How one command ended. `command` is masked; `error` says why it could not run at all. */
export interface CommandResult {
  command: string;
  cwd: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  error?: string;
}

/** One command to run: `cwd` is absolute, or an `error` (a component folder outside the worktree) that fails it unrun. */
export interface Step {
  command: string;
  cwd: string;
  error?: string;
}

export interface RunOptions {
  /** The transcript file (opened and closed here) or an open writer (left open). */
  transcript: string | TranscriptWriter;
  /** Masks secrets in everything written or returned. */
  mask: (text: string) => string;
  /** Per command; default 20 min. */
  timeoutMs?: number;
  /** Between TERM and KILL; default 5 s. */
  graceMs?: number;
  /** Stops the running command's whole group; later commands do not start. */
  signal?: AbortSignal;
  /** Default process.env; CI=true is always added. */
  env?: NodeJS.ProcessEnv;
  /** Receives the records as they are written, for a live view. */
  onRecords?: (records: TranscriptRecord[]) => void;
  now?: () => number;
  /** The nice value (1–19) each command runs at: below the editor's priority (project.toml background_nice). */
  nice?: number;
}

export interface StepsResult {
  ok: boolean;
  /** The commands that ran, in order. */
  results: CommandResult[];
  /** One line for the card, e.g. "`npm test` failed: exit 1 after 3 s; 1 later command was not run". */
  summary: string;
  /** The last ~4 KB of output of the first failed command (or of the last one), masked, with its command line. */
  outputTail: string;
  /** The abort signal stopped the run. */
  aborted?: true;
}

export interface StepsMode {
  /** The first failure ends the run (gates, setup); otherwise every step runs and each failure is reported (teardown). */
  stopOnFailure: boolean;
  /** What a step is called in the summary, e.g. "gate command". */
  noun: string;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 20 * 60_000;
const DEFAULT_GRACE_MS = 5_000;

/** The absolute folder of a component inside `dir`, or why it cannot be used; never a folder outside `dir`. */
export function componentDir(dir: string, comp: { name: string; path: string }): { cwd: string; error?: string } {
  const cwd = path.resolve(dir, comp.path || '.');
  const rel = path.relative(dir, cwd);
  const where = `component "${comp.name}": path "${comp.path}"`;
  if (path.isAbsolute(comp.path) || rel === '..' || rel.startsWith(`..${path.sep}`)) return { cwd, error: `${where} is outside the worktree` };
  let real: string;
  try {
    real = fs.realpathSync(cwd);
    if (!fs.statSync(real).isDirectory()) return { cwd, error: `${where} is not a folder` };
  } catch {
    return { cwd, error: `${where} does not exist in ${dir}` };
  }
  const realRel = path.relative(fs.realpathSync(dir), real);
  if (realRel === '..' || realRel.startsWith(`..${path.sep}`) || path.isAbsolute(realRel)) return { cwd, error: `${where} leads outside the worktree through a symbolic link` };
  return { cwd };
}

/** The commands `pick` chooses from each component, in its folder (or failing with why the folder cannot be used). */
export function componentSteps<C extends { name: string; path: string }>(dir: string, components: readonly C[], pick: (c: C) => readonly string[]): Step[] {
  return components.flatMap((comp) => {
    const commands = pick(comp);
    if (commands.length === 0) return [];
    const { cwd, error } = componentDir(dir, comp);
    return commands.map((command) => ({ command, cwd, ...(error ? { error } : {}) }));
  });
}

/** `exit 1 after 3 s`, `stopped by the time limit of 20 min`, ... */
export function describeEnd(r: CommandResult, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): string {
  if (r.error) return `could not run: ${r.error}`;
  const after = `after ${fmtDuration(r.durationMs)}`;
  if (r.timedOut) return `stopped by the time limit of ${fmtDuration(timeoutMs)}`;
  if (r.aborted) return `stopped ${after}`;
  if (r.exitCode !== null) return `exit ${r.exitCode} ${after}`;
  return `killed by ${r.signal ?? 'a signal'} ${after}`;
}

const passed = (r: CommandResult) => r.exitCode === 0 && !r.error && !r.timedOut && !r.aborted;

/** Runs the steps in order and sums up how they went. Never throws. */
export async function runSteps(steps: readonly Step[], opts: RunOptions, mode: StepsMode): Promise<StepsResult> {
  const now = opts.now ?? Date.now;
  // The commands run even when their transcript cannot be written; the summary says so.
  let writeError: string | undefined;
  let writer: Pick<TranscriptWriter, 'append' | 'close'> | undefined;
  try {
    writer = typeof opts.transcript === 'string' ? new TranscriptWriter(opts.transcript) : opts.transcript;
  } catch (err) {
    writeError = (err as Error).message;
  }
  const env = { ...(opts.env ?? process.env), CI: 'true' };
  const results: CommandResult[] = [];
  let failedTail: string | undefined;
  let lastTail = '';
  let aborted = false;
  // Called from stream handlers, where a throw would take the host down.
  const write = (msgs: AgentMessage[]) => {
    if (!writer) return;
    let recs: TranscriptRecord[];
    try {
      recs = writer.append(msgs, now());
    } catch (err) {
      writeError ??= (err as Error).message;
      return;
    }
    try {
      if (recs.length && opts.onRecords) opts.onRecords(recs);
    } catch {
      /* a listener's failure is the listener's */
    }
  };
  try {
    for (const step of steps) {
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const { result, tail } = await runStep(step, { ...opts, env, now }, write);
      results.push(result);
      lastTail = tail;
      if (result.aborted) aborted = true;
      if (!passed(result)) failedTail ??= tail;
      if (aborted || (mode.stopOnFailure && !passed(result))) break;
    }
    let summary = summarize(results, steps.length, aborted, mode.noun, opts.timeoutMs);
    if (writeError) summary += `; the transcript could not be written (${opts.mask(writeError)})`;
    write([{ kind: 'notice', message: summary, level: aborted || !results.every(passed) ? 'warning' : 'info' }]);
    const out: StepsResult = { ok: !aborted && results.every(passed), results, summary, outputTail: failedTail ?? lastTail };
    if (aborted) out.aborted = true;
    return out;
  } finally {
    if (writer && writer !== opts.transcript) writer.close();
  }
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function summarize(results: CommandResult[], planned: number, aborted: boolean, noun: string, timeoutMs: number | undefined): string {
  if (planned === 0) return `no ${noun} is configured`;
  const failed = results.filter((r) => !passed(r) && !(aborted && r.aborted));
  const notRun = planned - results.length;
  const parts = failed.map((r) => `\`${r.command}\` failed: ${describeEnd(r, timeoutMs)}`);
  if (aborted) parts.push(`stopped after ${results.filter(passed).length} of ${plural(planned, noun)} passed`);
  else if (failed.length === 0)
    parts.push(`${planned === 1 ? `the ${noun}` : `all ${plural(planned, noun)}`} passed in ${fmtDuration(results.reduce((t, r) => t + r.durationMs, 0))}`);
  if (notRun > 0 && !aborted) parts.push(`${plural(notRun, `later ${noun}`)} ${notRun === 1 ? 'was' : 'were'} not run`);
  return parts.join('; ');
}

async function runStep(step: Step, opts: RunOptions & { env: NodeJS.ProcessEnv; now: () => number }, write: Write): Promise<{ result: CommandResult; tail: string }> {
  const shown = opts.mask(step.command);
  const header = `$ ${shown}`;
  write([{ kind: 'notice', message: `${header}   (in ${step.cwd})` }]);
  const started = opts.now();
  const result: CommandResult = { command: shown, cwd: step.cwd, exitCode: null, signal: null, durationMs: 0, timedOut: false, aborted: false };
  const output = new OutputSink(opts.mask, write);
  // spawn would blame /bin/sh for a missing working folder
  const error = step.error ?? (isFolder(step.cwd) ? undefined : `the folder ${step.cwd} does not exist`);
  if (error) result.error = opts.mask(error);
  else await runProcess(step, opts, output, result);
  result.durationMs = Math.max(0, opts.now() - started);
  output.finish();
  const end = describeEnd(result, opts.timeoutMs);
  write([{ kind: 'notice', message: end, level: passed(result) ? 'info' : 'warning' }]);
  const body = output.tail();
  return { result, tail: `${header}\n${body}${body ? '\n' : ''}[${end}]` };
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function runProcess(step: Step, opts: RunOptions & { env: NodeJS.ProcessEnv }, output: OutputSink, result: CommandResult): Promise<void> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const prefix = niceCommand(opts.nice);
  return new Promise<void>((resolve) => {
    let child: ChildProcess;
    try {
      // A shell, because these lines come from the project's own project.toml, written as shell commands.
      // Through `nice`, so that whatever the shell starts at once is already at the lower priority.
      const [file, ...args] = [...prefix, '/bin/sh', '-c', step.command];
      child = spawn(file!, args, { cwd: step.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch (err) {
      result.error = opts.mask((err as Error).message);
      return resolve();
    }
    const pgid = child.pid;
    const slower = runInBackground(pgid, opts.nice, { groupOnly: prefix.length > 0 });
    if (slower) output.feed('err', `huskies: ${slower}\n`);
    const timers: NodeJS.Timeout[] = [];
    let stopping = false;
    let exited = false;
    let settled = false;
    const stop = () => {
      if (stopping || !pgid) return;
      stopping = true;
      signalGroup(pgid, 'SIGTERM');
      timers.push(setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs));
    };
    const onAbort = () => {
      if (exited) return; // it ended on its own; the next command will not start
      result.aborted = true;
      stop();
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      void (pgid ? emptyGroup(pgid, graceMs) : Promise.resolve()).then(() => resolve());
    };
    child.on('error', (err) => {
      result.error = opts.mask(err.message);
      finish();
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => output.feed('out', d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => output.feed('err', d));
    child.on('exit', (code, signal) => {
      exited = true;
      result.exitCode = code;
      result.signal = signal;
      // Whatever it left in its group (a server started with &) is stopped too; the pipes such a
      // process inherited would otherwise hold 'close' back forever.
      stop();
      timers.push(setTimeout(finish, graceMs + 1_000));
    });
    child.on('close', finish);
    if (opts.timeoutMs !== 0)
      timers.push(
        setTimeout(() => {
          result.timedOut = true;
          stop();
        }, opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
      );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Returns once no living process is left in the group: TERM, then KILL after the grace period. */
async function emptyGroup(pgid: number, graceMs: number): Promise<void> {
  const wait = async (ms: number) => {
    const end = Date.now() + ms;
    while (groupMembers(pgid).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };
  if (!signalGroup(pgid, 0)) return;
  signalGroup(pgid, 'SIGTERM');
  await wait(graceMs);
  signalGroup(pgid, 'SIGKILL');
  await wait(2_000);
}
