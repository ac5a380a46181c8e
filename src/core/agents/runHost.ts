// Runs one AgentLaunch to its end: the program, its stream parser, the masked transcript and the
// status file beside it. The same code runs inside the host (in-process runs) and in the supervisor.
import type { AgentMessage, OutcomeKind, RunOutcome, TranscriptRecord } from '../model/agentMessage';
import type { AgentLaunch, RunSignal } from '../ports/spawner';
import { AgentProcess, systemClock, type Clock } from './agentProcess';
import { createParser } from './parsers';
import { TranscriptWriter } from './transcript';
import { writeStatus, type RunStatus } from './runStatus';
import { processStartTime } from '../util/proc';

export type MaskFn = (m: AgentMessage, secrets: readonly string[]) => AgentMessage;

export interface RunOwner {
  pid: number;
  startTime?: number;
  bootId?: string;
  /** The run lives and dies with this host (no supervisor). */
  inProcess?: boolean;
}

export interface RunHostOptions {
  mask: MaskFn;
  /** Who owns the run, as recorded in the status file. */
  owner: RunOwner;
  clock?: Clock;
  /**
   * How long output may wait in memory before it is written, so that a fast stream costs one write
   * per batch (default 25 ms; 0: every chunk of output is written at once). Output after a quiet
   * spell of at least that long is written on the next turn: only a fast stream waits. A host that
   * exits, even on an uncaught exception, writes what it holds first; only a kill -9 or a power loss
   * can lose it, besides what the OS had not flushed to the disk.
   */
  flushMs?: number;
}

export const DEFAULT_FLUSH_MS = 25;

/** Hosts holding unwritten output: written out if this process exits. */
const unflushed = new Set<RunHost>();
let exitHook = false;
function flushAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const h of [...unflushed]) {
      try {
        h.flush();
      } catch {
        /* exiting: nothing more can be done */
      }
    }
  });
}

export class RunHost {
  readonly done: Promise<RunOutcome>;
  private resolveDone!: (o: RunOutcome) => void;
  private listeners = new Set<(s: RunSignal) => void>();
  private proc?: AgentProcess;
  private writer?: TranscriptWriter;
  private status: RunStatus;
  private stopRequest?: { kind: OutcomeKind; reason: string };
  private started = false;
  private ended = false;
  private readonly clock: Clock;
  /** Records queued in the writer and not yet written nor told. */
  private batch: TranscriptRecord[] = [];
  private batchSession?: string;
  private batchReplied = false;
  private flushTimer?: NodeJS.Timeout;
  /** When the last batch was written (a monotonic clock, like the timers). */
  private lastFlushAt = -Infinity;

  constructor(
    readonly launch: AgentLaunch,
    private readonly opts: RunHostOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    flushAllOnExit();
    this.done = new Promise((r) => (this.resolveDone = r));
    const o = opts.owner;
    this.status = {
      runId: launch.runId,
      supervisorPid: o.pid,
      supervisorStart: o.startTime,
      bootId: o.bootId,
      ...(o.inProcess ? { inProcess: true } : {}),
      lastSeq: launch.fromSeq,
    };
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Records read from the program and not yet written (at most flushMs old). */
  get unwritten(): number {
    return this.batch.length;
  }

  /** What the status file says now (a copy). */
  snapshot(): RunStatus {
    return { ...this.status };
  }

  onSignal(listener: (s: RunSignal) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const l = this.launch;
    try {
      this.writer = new TranscriptWriter(l.transcript, l.fromSeq);
      this.status.lastSeq = this.writer.lastSeq;
      writeStatus(l.transcript, this.status);
      if (this.stopRequest) return this.end({ ok: false, ...this.stopRequest });
      const parser = createParser(l.runtime, { previousUsage: l.previousUsage, label: l.label });
      this.proc = new AgentProcess(l.spec, parser, (msgs) => this.write(msgs), l.limits, this.clock);
      this.proc.start();
      void this.proc.done.then((o) => this.end(o));
      const pid = this.proc.pid;
      if (pid) {
        this.status.pid = pid;
        this.status.startTime = processStartTime(pid);
        writeStatus(l.transcript, this.status);
        this.emit({ kind: 'started', pid, startTime: this.status.startTime, ...(this.opts.owner.inProcess ? {} : { supervisorPid: this.opts.owner.pid }) });
      }
    } catch (err) {
      this.failToStart(err as Error);
    }
  }

  /** Stops the program's whole group; before start, the run ends without starting it. */
  stop(kind: OutcomeKind, reason: string): void {
    if (this.ended) return;
    this.stopRequest ??= { kind, reason };
    if (this.proc) this.proc.stop(kind, reason);
    else if (this.started && this.writer) this.end({ ok: false, kind, reason });
  }

  /**
   * Masks and numbers the messages and queues them; they are written, and told, together with
   * whatever else arrives within flushMs (one write and one signal per batch, not per line).
   */
  private write(msgs: AgentMessage[]): void {
    if (this.ended || !this.writer) return;
    const secrets = this.launch.secrets;
    const clean = msgs.map((m) => this.opts.mask(m, secrets));
    const recs = this.writer.queue(clean, this.clock.now());
    for (const r of recs) this.batch.push(r);
    for (const m of clean) {
      if ((m.kind === 'init' || m.kind === 'result') && m.sessionId && m.sessionId !== (this.batchSession ?? this.status.sessionId)) this.batchSession = m.sessionId;
      else if ((m.kind === 'text' || m.kind === 'thinking' || m.kind === 'tool_use') && !this.status.replied) this.batchReplied = true;
    }
    const flushMs = this.opts.flushMs ?? DEFAULT_FLUSH_MS;
    if (flushMs <= 0) this.flush();
    else if (!this.flushTimer) {
      // After a quiet spell, on the next turn; in a stream, flushMs after the first record held, as ever.
      this.flushTimer = setTimeout(() => this.flush(), performance.now() - this.lastFlushAt >= flushMs ? 0 : flushMs);
      unflushed.add(this);
    }
  }

  /** Writes the queued records in one go, then tells them (what a listener hears is on disk). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    unflushed.delete(this);
    if (!this.writer || this.batch.length === 0) return;
    this.lastFlushAt = performance.now();
    try {
      this.writer.flush();
    } catch (err) {
      // Output that cannot be kept is output nobody can review: stop rather than run blind.
      this.batch = [];
      this.proc?.stop('failed', `could not write the transcript ${this.launch.transcript}: ${(err as Error).message}`);
      return;
    }
    const recs = this.batch;
    this.batch = [];
    this.status.lastSeq = this.writer.lastSeq;
    const session = this.batchSession;
    const replied = this.batchReplied && !this.status.replied;
    this.batchSession = undefined;
    this.batchReplied = false;
    if (session) this.status.sessionId = session;
    if (replied) this.status.replied = true;
    if (session || replied) this.saveStatus();
    this.emit({ kind: 'records', records: recs });
    if (session) this.emit({ kind: 'session', sessionId: session });
    if (replied) this.emit({ kind: 'replied' });
  }

  private failToStart(err: Error): void {
    const reason = `could not start: ${err.message}`;
    try {
      if (this.writer) this.write([{ kind: 'error', message: reason }]);
    } catch {
      /* the outcome below still carries the reason */
    }
    if (this.proc?.pid) this.proc.stop('failed', reason);
    else this.end({ ok: false, kind: 'failed', reason });
  }

  private end(ended: RunOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const outcome = this.maskOutcome(ended);
    this.flush();
    try {
      this.writer?.close();
    } catch {
      /* closing is best effort; the records were written already */
    }
    if (this.writer) this.status.lastSeq = this.writer.lastSeq;
    if (outcome.sessionId && outcome.sessionId !== this.status.sessionId) {
      this.status.sessionId = outcome.sessionId;
      this.emit({ kind: 'session', sessionId: outcome.sessionId });
    }
    this.status.outcome = outcome;
    this.saveStatus();
    this.resolveDone(outcome);
  }

  /** The outcome's texts come from the program's output (a result, the tail of stderr): masked like the rest. */
  private maskOutcome(o: RunOutcome): RunOutcome {
    const secrets = this.launch.secrets;
    const out = { ...o };
    if (o.reason !== undefined) {
      const m = this.opts.mask({ kind: 'error', message: o.reason }, secrets);
      if (m.kind === 'error') out.reason = m.message;
    }
    if (o.text !== undefined) {
      const m = this.opts.mask({ kind: 'text', text: o.text }, secrets);
      if (m.kind === 'text') out.text = m.text;
    }
    return out;
  }

  private saveStatus(): void {
    try {
      writeStatus(this.launch.transcript, this.status);
    } catch {
      // The run goes on; a later host that cannot read its status treats it as unknown and reaps it.
    }
  }

  private emit(s: RunSignal): void {
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch {
        /* one listener's failure is not the run's */
      }
    }
  }
}
