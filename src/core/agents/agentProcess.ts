// Runs one agent program: its own process group, stdin closed, stdout parsed line by line,
// stderr kept apart, watchdogs for wall-clock and inactivity, and a stop that takes the whole
// group down (TERM, then KILL after a grace period). Nothing it started outlives it, and no
// line it prints can throw out of here. Plain child_process rather than execa: a run must end on
// the program's exit and reap its group (execa waits for the pipes, which a background child can
// hold open, and signals only the child), and lines need a size cap execa's `lines` lacks.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { AgentMessage, RunOutcome } from '../model/agentMessage';
import type { StreamParser } from './parsers/types';
import { runInBackground } from '../util/priority';

export interface LaunchSpec {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Shown in reasons, e.g. "Claude Code (claude)". */
  label: string;
  /** What to tell the user when the program is not found. */
  missingHint: string;
}

export interface ProcessLimits {
  /** Wall-clock limit in ms. */
  timeoutMs?: number;
  /**
   * No output for this long stops the run. A tool call in flight or a rate-limit wait holds it
   * off; an announced API retry adds its delay.
   */
  inactivityMs?: number;
  /** Between TERM and KILL. */
  graceMs?: number;
  /**
   * The program's own retries of a request that gets no answer (refused, no DNS) in a row, with
   * no real output between them, before the run is stopped as `network`. Default 8; 0: never.
   */
  maxNetworkRetries?: number;
  /**
   * The nice value (1–19) the program runs at, with everything it starts: below the editor's own
   * priority. Undefined or 0: the priority it inherits.
   */
  nice?: number;
}

export const DEFAULT_MAX_NETWORK_RETRIES = 8;

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

const STDERR_TAIL = 8 * 1024;

export class AgentProcess {
  private child?: ChildProcess;
  private pending = '';
  private stderrTail = '';
  private stderrPending = '';
  private lastOutput = 0;
  private openTools = new Set<string>();
  private waitingOnRateLimit = false;
  /** Epoch ms until which silence is an announced retry wait. */
  private quietUntil = 0;
  private networkRetries = 0;
  private stopReason?: { kind: RunOutcome['kind']; reason: string };
  private timers: NodeJS.Timeout[] = [];
  private killTimer?: NodeJS.Timeout;
  private exited = false;
  readonly done: Promise<RunOutcome>;
  private resolveDone!: (o: RunOutcome) => void;

  constructor(
    private readonly spec: LaunchSpec,
    private readonly parser: StreamParser,
    /** Receives each batch of messages parsed from one chunk of output, in order. */
    private readonly onMessages: (msgs: AgentMessage[]) => void,
    private readonly limits: ProcessLimits = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.lastOutput = this.clock.now();
    if (!fs.existsSync(this.spec.cwd)) {
      this.exited = true;
      this.resolveDone({ ok: false, kind: 'failed', reason: `the working directory ${this.spec.cwd} is missing (was the worktree removed?)` });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(this.spec.program, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so stop can signal the whole group
        windowsHide: true,
      });
    } catch (err) {
      this.finishEarly(err as NodeJS.ErrnoException);
      return;
    }
    this.child = child;
    const slower = runInBackground(child.pid, this.limits.nice);
    if (slower) process.emitWarning(slower);
    child.on('error', (err: NodeJS.ErrnoException) => this.finishEarly(err));
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.on('data', (chunk: string) => this.onStderr(chunk));
    child.on('close', (code, signal) => this.onClose(code, signal));
    // When the program exits, whatever it left in its group (a server started with &) is killed,
    // which also closes the pipes they inherited; otherwise 'close' would wait for them forever.
    child.on('exit', () => {
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
    });

    if (this.limits.timeoutMs) {
      this.timers.push(setTimeout(() => this.stop('timeout', `stopped after the time limit of ${fmtDuration(this.limits.timeoutMs!)}`), this.limits.timeoutMs));
    }
    if (this.limits.inactivityMs) {
      const every = Math.min(5_000, Math.max(50, this.limits.inactivityMs / 4));
      const t = setInterval(() => {
        if (this.openTools.size > 0 || this.waitingOnRateLimit) {
          this.lastOutput = this.clock.now(); // a long tool call or a rate-limit wait is not silence
          return;
        }
        if (this.clock.now() - Math.max(this.lastOutput, this.quietUntil) >= this.limits.inactivityMs!) {
          this.stop('inactivity', `stopped: no output for ${fmtDuration(this.limits.inactivityMs!)}`);
        }
      }, every);
      this.timers.push(t);
    }
  }

  /** Stops the whole process group: TERM now, KILL after the grace period. */
  stop(kind: RunOutcome['kind'] = 'cancelled', reason = 'stopped by the user'): void {
    if (this.exited || !this.child?.pid) return;
    if (!this.stopReason) this.stopReason = { kind, reason };
    signalGroup(this.child.pid, 'SIGTERM');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
      }, this.limits.graceMs ?? 5_000);
    }
  }

  private onStdout(chunk: string): void {
    this.lastOutput = this.clock.now();
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > 64 * 1024 * 1024) {
      lines.push(this.pending); // a pathological line with no newline: cut it rather than grow forever
      this.pending = '';
    }
    const out: AgentMessage[] = [];
    for (const line of lines) {
      const l = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (l) out.push(...this.parse(() => this.parser.line(l)));
    }
    this.deliver(out);
  }

  /** A parser is not to throw; if one does, the line is lost but the run goes on. */
  private parse(f: () => AgentMessage[]): AgentMessage[] {
    try {
      const r = f();
      return Array.isArray(r) ? r : [];
    } catch {
      return [];
    }
  }

  private onStderr(chunk: string): void {
    this.lastOutput = this.clock.now();
    this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    const lines = (this.stderrPending + chunk).split('\n');
    this.stderrPending = (lines.pop() ?? '').slice(-STDERR_TAIL);
    const out: AgentMessage[] = [];
    for (const l of lines) if (l.trim()) out.push(...this.parse(() => this.parser.stderrLine(l)));
    this.deliver(out);
  }

  private deliver(msgs: AgentMessage[]): void {
    if (msgs.length === 0) return;
    let networkGiveUp: string | undefined;
    for (const m of msgs) {
      if (m.kind === 'tool_use') this.openTools.add(m.id);
      else if (m.kind === 'tool_result') this.openTools.delete(m.toolUseId);
      else if (m.kind === 'rate_limit') this.waitingOnRateLimit = m.status === 'rejected';
      if (m.kind === 'retry') {
        // The program sleeps before it retries: that wait is not silence.
        if (typeof m.delayMs === 'number' && Number.isFinite(m.delayMs) && m.delayMs > 0) this.quietUntil = Math.max(this.quietUntil, this.clock.now() + m.delayMs);
        if (m.cause === 'network') {
          this.networkRetries++;
          const max = this.limits.maxNetworkRetries ?? DEFAULT_MAX_NETWORK_RETRIES;
          if (max > 0 && this.networkRetries >= max) networkGiveUp ??= `(${this.networkRetries} retries in a row): ${m.message}`;
        }
      } else if (m.kind !== 'notice') this.networkRetries = 0;
    }
    try {
      this.onMessages(coalesceText(msgs));
    } catch (err) {
      // Whatever the receiver choked on, the orchestrator must not go down with it.
      this.stop('failed', `the output of ${this.spec.label} could not be recorded: ${(err as Error)?.message ?? String(err)}`);
    }
    if (networkGiveUp !== undefined) {
      this.stop('network', `${this.spec.label} could not reach the API ${networkGiveUp}`);
    }
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    if (this.pending.trim()) this.deliver(this.parse(() => this.parser.line(this.pending.trim())));
    if (this.stderrPending.trim()) this.deliver(this.parse(() => this.parser.stderrLine(this.stderrPending)));
    // Reap what the program left behind in its group (e.g. a background server it started).
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
    this.clearTimers();
    let outcome: RunOutcome;
    try {
      outcome = this.parser.finish({ code, signal, stderrTail: this.stderrTail }, this.clock.now());
    } catch (err) {
      outcome = { ok: false, kind: 'failed', reason: `${this.spec.label} ended, but its outcome could not be read: ${(err as Error)?.message ?? String(err)}` };
    }
    if (this.stopReason) outcome = { ...outcome, ok: false, kind: this.stopReason.kind, reason: this.stopReason.reason };
    this.resolveDone(outcome);
  }

  private finishEarly(err: NodeJS.ErrnoException): void {
    if (this.exited) return;
    this.exited = true;
    this.clearTimers();
    if (err.code === 'ENOENT') {
      this.resolveDone({ ok: false, kind: 'missing_program', reason: `${this.spec.label} was not found (${this.spec.program}). ${this.spec.missingHint}` });
    } else if (err.code === 'EACCES') {
      this.resolveDone({ ok: false, kind: 'missing_program', reason: `${this.spec.label} could not be started: ${this.spec.program} is not executable.` });
    } else {
      this.resolveDone({ ok: false, kind: 'failed', reason: `${this.spec.label} could not be started: ${err.message}` });
    }
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.killTimer) clearTimeout(this.killTimer);
  }
}

/** Sends a signal to a process group; a group that is gone already is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Merges consecutive text messages so a stream of small deltas becomes one record. */
export function coalesceText(msgs: AgentMessage[]): AgentMessage[] {
  if (msgs.length < 2) return msgs;
  const out: AgentMessage[] = [];
  for (const m of msgs) {
    const last = out[out.length - 1];
    if (m.kind === 'text' && last?.kind === 'text') {
      const sep = m.delta || last.text.endsWith('\n') ? '' : '\n';
      out[out.length - 1] = { kind: 'text', text: last.text + sep + m.text, ...(m.delta && last.delta ? { delta: true } : {}) };
    } else out.push(m);
  }
  return out;
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}
