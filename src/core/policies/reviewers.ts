// The agents that act on a story after coding: a QA agent reviews each story in QA whose mode is
// `agent`, and a mergemaster is sent at each merge that failed on a conflict or a gate (the
// pipeline counts its attempts and blocks the story when they are spent). Idempotent, like
// auto-assign: the pipeline refuses a second run for a story that has one.
import type { Command } from '../model/commands';
import type { WorkItem } from '../model/workItem';
import type { StateView } from '../state/types';
import type { PolicyContext } from './types';
import { qaModeOf } from './waits';

export function reviewers(s: StateView, ctx: PolicyContext): Command[] {
  if (!ctx.autoAssign || ctx.stopped || ctx.budgetStop || s.agentState().paused) return [];
  const hasQa = ctx.agents.some((a) => a.stage === 'qa');
  const max = ctx.config.project.mergemasterAttempts;
  const hasMergemaster = max > 0 && ctx.agents.some((a) => a.stage === 'mergemaster');
  const out: Command[] = [];
  for (const item of s.items()) {
    if (item.blocked || item.invalid || item.frontMatter.paused === true || s.activeRun(item.id)) continue;
    if (s.timers().some((t) => t.storyId === item.id)) continue; // a resume timer brings its run back
    if (hasQa && item.stage === 'qa' && wantsReview(item, s, ctx)) {
      out.push({ type: 'run.enqueue', id: item.id, source: 'orchestrator', role: 'qa', attempt: 1, reason: 'QA review by an agent (qa: agent)' });
    } else if (hasMergemaster && item.stage === 'merge' && wantsMergemaster(item, s)) {
      out.push({ type: 'item.mergemaster', id: item.id, max, source: 'orchestrator' });
    }
  }
  return out;
}

/** A story in QA with mode `agent` is reviewed once per time it arrives, and again after it was unblocked. */
function wantsReview(item: WorkItem, s: StateView, ctx: PolicyContext): boolean {
  if (item.frontMatter.review_hold === true || qaModeOf(item, ctx) !== 'agent') return false;
  const last = s.latestRun(item.id);
  if (last?.role !== 'qa') return true; // the coder's run brought it here
  // blocked (then unblocked by the user) or moved away and back: review again; anything else is settled or in hand
  return last.handled === 'blocked' || last.handled === 'moved-away';
}

function wantsMergemaster(item: WorkItem, s: StateView): boolean {
  const kind = item.frontMatter.merge_failure_kind;
  if (item.frontMatter.merge_failure === undefined || (kind !== 'conflict' && kind !== 'gates')) return false;
  const last = s.latestRun(item.id);
  if (last?.role !== 'mergemaster') return true;
  // its ending is being acted on, or the user stopped it: not now
  return !!last.handled && last.handled !== 'stopped-by-user';
}
