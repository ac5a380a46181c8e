// The Spawner that runs each agent under its own supervisor process (dist/supervisor.js), so runs
// outlive a reload of the host. A handle follows the run through the files the supervisor writes
// (transcript and status), which is also how a later host re-attaches to it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OutcomeKind, RunOutcome } from '../../model/agentMessage';
import type { AgentLaunch, AttachResult, RunHandle, RunSignal, Spawner } from '../../ports/spawner';
import { controlFileFor, readControl, readStatus, removeRunScratch, statusFileFor, supervisorLogFor, writeControl, writeStatus, type RunStatus } from '../runStatus';
import { killAgentGroup, reapRun } from '../orphans';
import { TranscriptTail } from './tail';
import { bootId, isSameProcess, processStartTime } from '../../util/proc';
import { runInBackground } from '../../util/priority';
import type { MaskFn } from '../runHost';
import { nullLogger, type Logger } from '../../util/log';

export interface SupervisedSpawnerOptions {
  /** Absolute path of dist/supervisor.js. */
  supervisorPath: string;
  /** The Node binary; under VS Code, Electron's (process.execPath), run as Node. Default: this process's. */
  nodePath?: string;
  /** The supervisor's own environment (the agent's comes with the launch). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How often a handle re-reads the files and checks the supervisor when no change is announced. */
  pollMs?: number;
  /** Masks the reasons this host writes itself (a lost supervisor's last words); the supervisor masks the run. */
  mask?: MaskFn;
  logger?: Logger;
  /** Whether anyone follows a run's records live; when not, they are left on disk unparsed. Default: always. */
  wantsRecords?: (runId: string) => boolean;
}

interface Identity {
  pid: number;
  startTime?: number;
  bootId?: string;
}

const LOST = "the run's supervisor stopped unexpectedly; the run is resumed on the next start";

export class SupervisedSpawner implements Spawner {
  constructor(private readonly opts: SupervisedSpawnerOptions) {}

  launch(l: AgentLaunch): RunHandle {
    let log: number;
    try {
      fs.mkdirSync(path.dirname(l.transcript), { recursive: true });
      fs.rmSync(controlFileFor(l.transcript), { force: true }); // a stop request left by an earlier launch is not for this one
      // Written before the supervisor exists, so a later host never finds a supervisor with no status.
      writeStatus(l.transcript, { runId: l.runId, supervisorPid: 0, lastSeq: l.fromSeq });
      log = fs.openSync(supervisorLogFor(l.transcript), 'w');
    } catch (err) {
      return this.failed(l, `could not start: ${(err as Error).message}`);
    }
    let child: ChildProcess;
    try {
      // Its own session and group, stdout ignored and stderr to a file: nothing ties it to this host.
      child = spawn(this.opts.nodePath ?? process.execPath, [this.opts.supervisorPath, statusFileFor(l.transcript)], {
        cwd: path.dirname(l.transcript),
        env: { ...(this.opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['pipe', 'ignore', log],
        detached: true,
        windowsHide: true,
      });
    } catch (err) {
      return this.failed(l, `could not start the run's supervisor: ${(err as Error).message}`);
    } finally {
      fs.closeSync(log);
    }
    // The supervisor, and so the program it starts, runs below the editor's priority from its first instruction.
    const slower = runInBackground(child.pid, l.limits.nice);
    if (slower) this.opts.logger?.warn(`#${l.runId}: ${slower}`);
    const me: Identity | undefined = child.pid ? { pid: child.pid, startTime: processStartTime(child.pid), bootId: bootId() } : undefined;
    const run = new SupervisedRun({ ...this.common(l.runId, l.transcript, l.fromSeq), supervisor: me, child });
    try {
      // Before the launch is sent: the supervisor only writes its own status once it has the launch.
      writeStatus(l.transcript, { runId: l.runId, supervisorPid: me?.pid ?? 0, supervisorStart: me?.startTime, bootId: me?.bootId, lastSeq: l.fromSeq });
      child.stdin!.on('error', () => undefined); // a supervisor that died early is noticed by the handle
      child.stdin!.end(JSON.stringify(l) + '\n');
    } catch (err) {
      // A supervisor nobody could find again must not run: it gets no launch and is killed.
      child.kill('SIGKILL');
      run.abandon();
      return this.failed(l, `could not start the run's supervisor: ${(err as Error).message}`);
    }
    child.unref();
    return run;
  }

  /** A handle for a run that never got going; its outcome goes on disk too where the disk allows. */
  private failed(l: AgentLaunch, reason: string): RunHandle {
    const outcome: RunOutcome = { ok: false, kind: 'failed', reason };
    try {
      writeStatus(l.transcript, { runId: l.runId, supervisorPid: 0, lastSeq: l.fromSeq, outcome });
    } catch {
      /* the handle still tells it */
    }
    this.opts.logger?.error(`run ${l.runId}: ${reason}`);
    const run = new SupervisedRun({ ...this.common(l.runId, l.transcript, l.fromSeq), supervisor: undefined });
    run.abandon(outcome);
    return run;
  }

  async attach(runId: string, transcript: string, fromSeq: number): Promise<AttachResult> {
    const st = readStatus(transcript);
    if (!st || st.runId !== runId) return { state: 'unknown' };
    if (st.outcome) return { state: 'ended', outcome: st.outcome, lastSeq: st.lastSeq };
    if (!st.inProcess && isSameProcess(st.supervisorPid, st.supervisorStart, st.bootId)) {
      const supervisor = { pid: st.supervisorPid, startTime: st.supervisorStart, bootId: st.bootId };
      return { state: 'live', handle: new SupervisedRun({ ...this.common(runId, transcript, fromSeq), supervisor }) };
    }
    // It may have ended between the two reads.
    const again = readStatus(transcript);
    if (again?.outcome) return { state: 'ended', outcome: again.outcome, lastSeq: again.lastSeq };
    return { state: 'unknown' };
  }

  async reap(runId: string, transcript: string): Promise<void> {
    const st = readStatus(transcript);
    if (st && st.runId === runId && !st.outcome) this.opts.logger?.info(`reaping run ${runId}: supervisor ${st.supervisorPid}, agent ${st.pid ?? 'not started'}`);
    await reapRun(runId, transcript);
  }

  private common(runId: string, transcript: string, fromSeq: number) {
    const wants = this.opts.wantsRecords;
    return {
      runId,
      transcript,
      fromSeq,
      pollMs: this.opts.pollMs ?? 1000,
      mask: this.opts.mask,
      logger: this.opts.logger ?? nullLogger,
      wanted: wants ? () => wants(runId) : () => true,
    };
  }
}

interface RunOptions {
  runId: string;
  transcript: string;
  fromSeq: number;
  supervisor: Identity | undefined;
  pollMs: number;
  mask?: MaskFn;
  logger: Logger;
  wanted: () => boolean;
  /** Only for a run this host launched. */
  child?: ChildProcess;
}

/** One supervised run seen from a host: signals from the files, stop through the supervisor. */
class SupervisedRun implements RunHandle {
  readonly runId: string;
  readonly done: Promise<RunOutcome>;
  private resolveDone!: (o: RunOutcome) => void;
  private listeners = new Set<(s: RunSignal) => void>();
  private readonly transcript: string;
  private supervisor: Identity | undefined;
  private child?: ChildProcess;
  private tail: TranscriptTail;
  private watcher?: fs.FSWatcher;
  private interval?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private polling = false;
  private pollAgain = false;
  private closed = false;
  private childExited = false;
  private spawnError?: string;
  private known: { pid?: number; sessionId?: string; replied?: boolean } = {};
  /** The status file may have changed since it was last read (it is read only then, not on every new record). */
  private statusDirty = true;

  constructor(private readonly o: RunOptions) {
    this.runId = o.runId;
    this.transcript = o.transcript;
    this.supervisor = o.supervisor;
    this.child = o.child;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.tail = TranscriptTail.after(o.transcript, o.fromSeq);
    const transcriptName = path.basename(o.transcript);
    const statusName = path.basename(statusFileFor(o.transcript));
    try {
      this.watcher = fs.watch(path.dirname(o.transcript), (_e, name) => {
        // New records alone need only the tail read; the status file is read when it (or an unnamed entry) changed.
        if (!name || String(name) === statusName) this.statusDirty = true;
        if (!name || String(name) === statusName || String(name) === transcriptName) this.schedule(2);
      });
      this.watcher.on('error', () => this.watcher?.close()); // the interval below carries on alone
    } catch {
      this.watcher = undefined;
    }
    this.interval = setInterval(() => {
      this.statusDirty = true;
      this.schedule(0);
    }, o.pollMs);
    this.child?.once('exit', () => {
      this.childExited = true;
      this.statusDirty = true;
      this.schedule(0);
    });
    this.child?.once('error', (err) => {
      this.spawnError = err.message;
      this.childExited = true;
      this.statusDirty = true;
      this.schedule(0);
    });
    this.schedule(0); // signals are delivered after the caller has had the chance to subscribe
  }

  /** Ends the handle without following the run: with an outcome when the run could not even be handed to its supervisor. */
  abandon(outcome?: RunOutcome): void {
    this.close();
    if (outcome) queueMicrotask(() => this.resolveDone(outcome));
  }

  onSignal(listener: (s: RunSignal) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  stop(kind: OutcomeKind, reason: string): void {
    if (this.closed) return;
    try {
      writeControl(this.transcript, { kind, reason });
    } catch (err) {
      this.o.logger.warn(`run ${this.runId}: the stop request could not be written (${(err as Error).message}); the supervisor stops it as orphaned`);
    }
    if (this.supervisorAlive()) process.kill(this.supervisor!.pid, 'SIGTERM');
    this.statusDirty = true;
    this.schedule(0); // without a supervisor, the next poll ends the run with this request
  }

  async detach(): Promise<void> {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.interval);
    clearTimeout(this.soon);
    this.child?.removeAllListeners('exit');
    this.child?.removeAllListeners('error');
    this.child = undefined;
  }

  private schedule(ms: number): void {
    if (this.closed || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.poll();
    }, ms);
  }

  private poll(): void {
    if (this.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      this.pollOnce();
    } catch {
      // An unreadable file now may be readable on the next look, unless nobody is left to write it.
      this.statusDirty = true;
      if (!this.supervisorAlive()) this.lost(undefined);
    } finally {
      this.polling = false;
      if (this.pollAgain) {
        this.pollAgain = false;
        this.schedule(0);
      }
    }
  }

  private pollOnce(): void {
    if (!this.statusDirty) {
      // Only the transcript grew (a streaming agent): read the new records, nothing else.
      if (this.readTail()) this.schedule(0);
      return;
    }
    this.statusDirty = false;
    // The status first: whatever it says was written after the records that led to it.
    const st = readStatus(this.transcript);
    if (st?.runId !== this.runId) return this.supervisorAlive() ? undefined : this.lost(undefined);
    if (st.supervisorPid && st.supervisorPid !== this.supervisor?.pid) this.supervisor = { pid: st.supervisorPid, startTime: st.supervisorStart, bootId: st.bootId };
    if (st.pid && st.pid !== this.known.pid) {
      this.known.pid = st.pid;
      this.emit({ kind: 'started', pid: st.pid, startTime: st.startTime, supervisorPid: st.supervisorPid });
    }
    const more = this.readTail();
    if (st.sessionId && st.sessionId !== this.known.sessionId) {
      this.known.sessionId = st.sessionId;
      this.emit({ kind: 'session', sessionId: st.sessionId });
    }
    if (st.replied && !this.known.replied) {
      this.known.replied = true;
      this.emit({ kind: 'replied' });
    }
    if (more) {
      this.statusDirty = true; // the outcome, if any, is acted on once every record before it is read
      return this.schedule(0);
    }
    if (st.outcome) return this.finish(st.outcome);
    if (!this.supervisorAlive()) this.lost(st);
  }

  /** Reads what the transcript gained and tells it; true when there is more to read now. */
  private readTail(): boolean {
    const before = this.tail.lastSeq;
    const wanted = this.o.wanted();
    const { records, more } = this.tail.read(undefined, wanted);
    if (records.length) this.emit({ kind: 'records', records });
    else if (this.tail.lastSeq > before) this.emit({ kind: 'records', records: [], upTo: this.tail.lastSeq });
    return more;
  }

  private supervisorAlive(): boolean {
    const sup = this.supervisor;
    return !this.childExited && !!sup && isSameProcess(sup.pid, sup.startTime, sup.bootId);
  }

  /** The supervisor is gone without an outcome: end what it left and write the outcome in its place. */
  private lost(seen: RunStatus | undefined): void {
    let st = seen;
    try {
      st = readStatus(this.transcript) ?? seen;
    } catch {
      /* unreadable: the outcome below replaces it */
    }
    if (st?.outcome && st.runId === this.runId) return this.schedule(0); // it finished just now: read the rest
    const req = readControl(this.transcript);
    let outcome: RunOutcome;
    if (st?.pid) {
      killAgentGroup(st);
      outcome = { ok: false, kind: req?.kind ?? 'orphaned', reason: req?.reason ?? LOST };
    } else {
      const why = this.spawnError ?? readSupervisorLog(this.transcript);
      outcome = { ok: false, kind: req?.kind ?? 'failed', reason: req?.reason ?? `the run's supervisor exited before it started the agent${why ? `: ${this.masked(why)}` : ''}` };
    }
    this.o.logger.warn(`run ${this.runId}: ${outcome.reason}`);
    // Only the supervisor appended to the transcript, so what is there now is all there is.
    while (this.readTail()) {
      /* until the end of the transcript */
    }
    const base: RunStatus = st && st.runId === this.runId ? st : { runId: this.runId, supervisorPid: this.supervisor?.pid ?? 0, lastSeq: 0 };
    try {
      writeStatus(this.transcript, { ...base, lastSeq: Math.max(base.lastSeq, this.tail.lastSeq), outcome });
      removeRunScratch(this.transcript);
    } catch (err) {
      this.o.logger.error(`run ${this.runId}: could not record its outcome: ${(err as Error).message}`);
    }
    this.finish(outcome);
  }

  private masked(text: string): string {
    if (!this.o.mask) return text;
    const m = this.o.mask({ kind: 'error', message: text }, []);
    return m.kind === 'error' ? m.message : text;
  }

  private finish(outcome: RunOutcome): void {
    this.close();
    this.resolveDone(outcome);
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

function readSupervisorLog(transcript: string): string {
  try {
    return fs.readFileSync(supervisorLogFor(transcript), 'utf8').trim().split('\n').slice(-3).join(' ').slice(0, 500);
  } catch {
    return '';
  }
}
