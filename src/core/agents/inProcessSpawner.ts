// The Spawner that runs agents inside this process (no supervisor): runs end with the host.
// For unit tests and as the fallback when the supervisor script is not available.
import type { OutcomeKind } from '../model/agentMessage';
import type { AgentLaunch, AttachResult, RunHandle, RunSignal, Spawner } from '../ports/spawner';
import type { Clock } from './agentProcess';
import { RunHost, type MaskFn } from './runHost';
import { readStatus } from './runStatus';
import { reapRun } from './orphans';
import { selfIdentity } from '../util/proc';

export interface InProcessSpawnerOptions {
  mask: MaskFn;
  clock?: Clock;
}

export class InProcessSpawner implements Spawner {
  constructor(private readonly opts: InProcessSpawnerOptions) {}

  launch(l: AgentLaunch): RunHandle {
    const host = new RunHost(l, { mask: this.opts.mask, clock: this.opts.clock, owner: { ...selfIdentity(), inProcess: true } });
    // Started after the caller has subscribed: the first signals come synchronously out of start().
    queueMicrotask(() => host.start());
    return {
      runId: l.runId,
      done: host.done,
      onSignal: (listener: (s: RunSignal) => void) => host.onSignal(listener),
      stop: (kind: OutcomeKind, reason: string) => host.stop(kind, reason),
      detach: async () => {
        host.stop('orphaned', 'the orchestrator shut down while this run was going; it is resumed on the next start');
        await host.done;
      },
    };
  }

  /** An in-process run cannot outlive its host: it has ended (with an outcome on disk) or is unknown. */
  async attach(runId: string, transcript: string): Promise<AttachResult> {
    const st = readStatus(transcript);
    if (st?.runId === runId && st.outcome) return { state: 'ended', outcome: st.outcome, lastSeq: st.lastSeq };
    return { state: 'unknown' };
  }

  /** A host that crashed leaves its agents' groups running: they are killed here (never a reused pid). */
  reap(runId: string, transcript: string): Promise<void> {
    return reapRun(runId, transcript);
  }
}
