// Start-up reconciliation: runs recorded as running are re-attached when their supervisor still
// runs them, recorded as ended when they finished while no orchestrator was there, and otherwise
// reaped (after checking the pid is still ours) and recorded as orphaned, so they resume. Endings
// that were recorded but never acted on (a crash in between) are acted on now.
import type { Command, RunFacts } from '../model/commands';
import type { RunRecord } from '../model/run';
import type { Spawner } from '../ports/spawner';
import type { StateView } from '../state/types';
import type { Logger } from '../util/log';
import { lastSeqOf } from '../agents/transcript';
import type { RequestResult } from './pipeline';

export interface ReconcileDeps {
  state: StateView;
  spawner: Spawner;
  request(c: Command): Promise<RequestResult>;
  /** The pool takes a live run over. */
  follow(run: RunRecord, handle: import('../ports/spawner').RunHandle): void;
  facts(run: RunRecord): Promise<RunFacts>;
  logger: Logger;
}

export async function reconcileRun(d: ReconcileDeps, run: RunRecord): Promise<'live' | 'ended' | 'orphaned'> {
  const res = await d.spawner.attach(run.runId, run.transcript, run.lastSeq).catch(() => ({ state: 'unknown' as const }));
  if (res.state === 'live') {
    d.logger.info(`Run ${run.runId} on story ${run.storyId} is still going: following it again.`);
    d.follow(run, res.handle);
    return 'live';
  }
  if (res.state === 'ended') {
    const facts = await d.facts(run).catch(() => ({}));
    await d.request({ type: 'run.ended', runId: run.runId, outcome: res.outcome, facts, lastSeq: res.lastSeq });
    return 'ended';
  }
  await d.spawner.reap(run.runId, run.transcript).catch((err) => d.logger.warn(`reaping run ${run.runId}: ${(err as Error).message}`));
  d.logger.warn(`Run ${run.runId} on story ${run.storyId} lost its process; it is resumed.`);
  // The orphan may have written more than was recorded before it was reaped.
  const lastSeq = Math.max(run.lastSeq, safeLastSeq(run.transcript));
  await d.request({
    type: 'run.ended',
    runId: run.runId,
    outcome: { ok: false, kind: 'orphaned', reason: 'the run lost its process when the orchestrator stopped; it is resumed automatically' },
    facts: {},
    lastSeq,
  });
  return 'orphaned';
}

function safeLastSeq(file: string): number {
  try {
    return lastSeqOf(file);
  } catch {
    return 0;
  }
}

export async function reconcile(d: ReconcileDeps): Promise<void> {
  for (const run of d.state.activeRuns()) if (run.status === 'running') await reconcileRun(d, run);
}

/** Runs whose ending was recorded but not acted on: for the policies to act on now. */
export function unhandledEndings(s: StateView): RunRecord[] {
  const out: RunRecord[] = [];
  for (const r of s.runs()) {
    if (r.status === 'queued' || r.status === 'running' || r.handled) continue;
    if (s.latestRun(r.storyId)?.runId !== r.runId) continue; // superseded: a newer run exists
    out.push(r);
  }
  return out;
}
