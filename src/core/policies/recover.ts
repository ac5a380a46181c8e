// Endings recorded but never acted on — the orchestrator stopped in between, or an ending landed
// while nothing listened — are acted on: at start-up, and by the tick as a safety net.
import type { Command } from '../model/commands';
import { unhandledEndings } from '../pipeline/reconcile';
import type { StateView } from '../state/types';
import { runEndings } from './runEndings';
import type { PolicyContext } from './types';

/** Commands for the unhandled endings recorded at or before `endedBy` (epoch ms; default: all). */
export function recoverEndings(s: StateView, ctx: PolicyContext, endedBy = Infinity): Command[] {
  return unhandledEndings(s)
    .filter((run) => (run.endedAt ?? 0) <= endedBy)
    .flatMap((run) =>
      runEndings(
        { type: 'run.ended', run, outcome: { ok: run.status === 'succeeded', kind: run.outcome ?? 'failed', reason: run.reason, retryAt: run.retryAt }, facts: {} },
        s,
        ctx,
      ),
    );
}
