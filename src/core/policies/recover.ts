// Endings recorded but never acted on (the orchestrator stopped in between) are acted on at start.
import type { Command } from '../model/commands';
import { unhandledEndings } from '../pipeline/reconcile';
import type { StateView } from '../state/types';
import { runEndings } from './runEndings';
import type { PolicyContext } from './types';

export function recoverEndings(s: StateView, ctx: PolicyContext): Command[] {
  return unhandledEndings(s).flatMap((run) =>
    runEndings({ type: 'run.ended', run, outcome: { ok: run.status === 'succeeded', kind: run.outcome ?? 'failed', reason: run.reason, retryAt: run.retryAt }, facts: {} }, s, ctx),
  );
}
