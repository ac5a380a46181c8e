// The stage machine's rules for merges: a merge's result (done, or a merge failure), a mergemaster
// sent at a failure (bounded by attempts, then the story is blocked), and a mergemaster's
// resolution (the merge is tried again).
import type { Command } from '../model/commands';
import type { Op, StateView } from '../state/types';
import { accept, cutNote, newRun, refuse, type DecideContext, type Decision } from './decisions';
import { checkTransition } from './stageRules';

type MergeCommand = Extract<Command, { type: 'item.mergeResult' | 'item.mergemaster' | 'item.mergeRetry' }>;

/** Front-matter keys a merge attempt leaves; a landed, fixed-up, demoted or unblocked story drops them. */
export const MERGE_KEYS_CLEARED = { merge_failure: undefined, merge_failure_kind: undefined, mergemaster_attempts: undefined } as const;

export function decideMerge(s: StateView, c: MergeCommand, ctx: DecideContext): Decision {
  const item = s.item(c.id);
  if (!item) return refuse(`There is no story ${c.id}.`);
  if (item.stage !== 'merge') return refuse(`Story ${c.id} is in ${item.stage}, not merge.`);
  if (c.type === 'item.mergeResult') return decideMergeResult(s, c, ctx);
  if (c.type === 'item.mergeRetry') {
    const run = s.run(c.runId);
    if (!run) return refuse(`There is no run ${c.runId}.`);
    if (run.handled) return refuse(`Run ${c.runId} was already handled (${run.handled}).`);
    const settled = { ...run, handled: 'coded' as const };
    const ops: Op[] = [
      { op: 'run.put', run: settled },
      { op: 'item.patch', id: c.id, patch: { merge_failure: undefined, merge_failure_kind: undefined } },
    ];
    return accept(
      ops,
      [
        { type: 'run.handled', run: settled },
        { type: 'item.changed', id: c.id, source: c.source },
      ],
      { id: c.id, runId: c.runId, reason: 'the mergemaster resolved it; merging again' },
    );
  }
  return decideMergemaster(s, c, ctx);
}

/** A merge's result: merged → done with merged_at and the commit; failed → merge_failure, for a mergemaster or a fix-up. */
function decideMergeResult(s: StateView, c: Extract<Command, { type: 'item.mergeResult' }>, ctx: DecideContext): Decision {
  const item = s.item(c.id)!;
  if (c.ok) {
    const why = checkTransition(item, 'merged');
    if (why) return refuse(why);
    const patch = { ...MERGE_KEYS_CLEARED, merged_at: new Date(ctx.now).toISOString(), merge_commit: c.commit, merge_pending: c.pending };
    const reason = c.pending ? `merged as ${c.commit.slice(0, 10)}, not yet on ${c.base}: ${c.pending}` : `merged into ${c.base} as ${c.commit.slice(0, 10)}`;
    return accept([{ op: 'item.move', id: c.id, to: 'done', patch }], [{ type: 'item.moved', id: c.id, from: 'merge', to: 'done', source: c.source, kind: 'merged', reason }], {
      id: c.id,
      from: 'merge',
      to: 'done',
      reason,
    });
  }
  const reason = cutNote(c.reason);
  return accept([{ op: 'item.patch', id: c.id, patch: { merge_failure: reason, merge_failure_kind: c.kind } }], [{ type: 'item.changed', id: c.id, source: c.source }], {
    id: c.id,
    reason,
  });
}

function attemptsOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0;
}

function decideMergemaster(s: StateView, c: Extract<Command, { type: 'item.mergemaster' }>, ctx: DecideContext): Decision {
  const item = s.item(c.id)!;
  const failure = item.frontMatter.merge_failure;
  if (failure === undefined) return refuse(`Story ${c.id} has no merge failure to resolve.`);
  if (item.blocked) return refuse(`Story ${c.id} is blocked.`);
  if (item.invalid) return refuse(`Story ${c.id} is invalid: ${item.invalid}`);
  const active = s.activeRun(c.id);
  if (active) return refuse(`Story ${c.id} already has an agent ${active.status}.`);
  const last = s.latestRun(c.id);
  const lastMm = last?.role === 'mergemaster' ? last : undefined;
  if (lastMm && !lastMm.handled) return refuse(`The ending of run ${lastMm.runId} is not handled yet.`);
  const attempts = attemptsOf(item.frontMatter.mergemaster_attempts);
  // runEndings records why an unsuccessful mergemaster run did not resolve it as the last history line
  const lastWhy = lastMm?.history?.[lastMm.history.length - 1];
  if (attempts >= c.max) {
    const last = lastWhy ? ` (last: ${lastWhy})` : '';
    const reason = cutNote(
      `the mergemaster could not land it after ${attempts} attempt${attempts === 1 ? '' : 's'}${last}. The merge failed: ${String(failure)}. Fix it up (huskies fixup ${c.id}), resolve it by hand and unblock it, or demote it`,
    );
    return accept([{ op: 'item.patch', id: c.id, patch: { blocked: true, blocked_reason: reason } }], [{ type: 'item.blocked', id: c.id, reason, source: c.source }], {
      id: c.id,
      reason,
    });
  }
  const run = newRun(c.id, 'merge', ctx, { attempt: attempts + 1, history: lastMm?.history, role: 'mergemaster' });
  return accept(
    [
      { op: 'item.patch', id: c.id, patch: { mergemaster_attempts: attempts + 1 } },
      { op: 'run.put', run },
    ],
    [{ type: 'run.queued', run, source: c.source }],
    { id: c.id, runId: run.runId, reason: `mergemaster attempt ${attempts + 1} of ${c.max}` },
  );
}
