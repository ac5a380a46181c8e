// The 1 s tick: expired rate limits, due timers (resume and scheduled: one that came due while
// nothing ran fires once now), runs that lost their process, and requests from other processes.
// Everything it finds becomes a command for the pipeline.
import type { Command } from '../model/commands';
import type { RunRecord } from '../model/run';
import type { RequestResult } from '../pipeline/pipeline';
import type { StateView } from '../state/types';

export interface TickDeps {
  state: StateView;
  now(): number;
  request(c: Command): Promise<RequestResult>;
  /** Whether the pool has a process (or a launch under way) for the run. */
  owns(runId: string): boolean;
  orphaned(run: RunRecord): Promise<unknown>;
  /** Done stories whose retention has passed. */
  archive?(now: number): Command[];
  /** Endings recorded a while ago that no policy acted on. */
  recover?(now: number): Command[];
  /** Scheduled timers that are due. */
  scheduled?(now: number): Command[];
}

/** A run that has just been launched may not be owned for a moment; give it this long. */
const LAUNCH_GRACE_MS = 3_000;

export async function tick(d: TickDeps): Promise<void> {
  const now = d.now();
  const limits = d.state.agentState().rateLimited;
  if (Object.values(limits).some((r) => r.until <= now)) await d.request({ type: 'agent.expireLimits', now });
  for (const t of d.state.timers().filter((x) => x.at <= now)) await d.request({ type: 'timer.fire', timerId: t.id, source: 'timer' });
  for (const c of d.scheduled?.(now) ?? []) await d.request(c);
  for (const c of d.archive?.(now) ?? []) await d.request(c);
  for (const c of d.recover?.(now) ?? []) await d.request(c);
  for (const run of d.state.activeRuns()) {
    if (run.status !== 'running' || d.owns(run.runId)) continue;
    if ((run.startedAt ?? 0) > now - LAUNCH_GRACE_MS) continue;
    await d.orphaned(run);
  }
}
