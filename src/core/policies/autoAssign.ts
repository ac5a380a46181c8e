// Auto-assign: every story in current that has no agent, is not waiting on anything and whose
// last episode is closed gets a run queued. Idempotent: it may run on every event, and the
// pipeline refuses a second run for a story that has one.
import type { Command } from '../model/commands';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import type { StateView } from '../state/types';
import { dependencyWait, stackParent } from './waits';
import type { PolicyContext } from './types';

export function autoAssign(s: StateView, ctx: PolicyContext): Command[] {
  if (!ctx.autoAssign || ctx.stopped || ctx.budgetStop || s.agentState().paused) return [];
  const out: Command[] = [];
  // Only stories in current can start: the rest of a big project is never looked at, in number order.
  const current = s.itemsInStage?.('current') ?? s.items().filter((i) => i.stage === 'current');
  const timed = new Set(s.timers().map((t) => t.storyId));
  for (const item of current) {
    if (item.blocked || item.invalid || item.frontMatter.paused === true) continue;
    if (s.activeRun(item.id)) continue;
    if (timed.has(item.id)) continue; // a resume timer brings it back
    // With stack_on_parents a story whose one open parent is coded starts from the parent's branch instead of waiting.
    const stackOn = stackParent(item, s, ctx.config.project.stackOnParents);
    if (dependencyWait(item, s) && stackOn === undefined) continue;
    const c = nextRun(item, s.latestRun(item.id));
    if (c) out.push(stackOn !== undefined && c.type === 'run.enqueue' && item.frontMatter.stacked_on === undefined ? { ...c, stackOn } : c);
  }
  return out;
}

/** The run to queue for a story in current with no agent, given how its last run ended. */
function nextRun(item: WorkItem, last: RunRecord | undefined): Command | undefined {
  const base = { type: 'run.enqueue' as const, id: item.id, source: 'orchestrator' as const };
  if (!last) return { ...base, attempt: 1, agent: item.agent, reason: 'new in current' };
  const resume = last.modelReplied && last.sessionId ? last.sessionId : undefined;
  switch (last.handled) {
    case 'moved-away':
      return { ...base, attempt: last.attempt, history: last.history, sessionId: resume, agent: last.agent || item.agent, reason: 'back in current' };
    case 'coded':
    case 'blocked':
    case 'no-retry':
      // A new episode: back from QA, or unblocked by the user after failures.
      return {
        ...base,
        attempt: 1,
        history: last.history,
        sessionId: last.handled === 'coded' ? resume : undefined,
        agent: item.agent,
        reason: last.handled === 'coded' ? 'back in current from a later stage' : 'unblocked',
      };
    case 'rate_limited':
    case 'question':
      // Its timer or its question is gone (removed or unblocked by hand): go on in the same session.
      return { ...base, attempt: last.attempt, history: last.history, sessionId: resume, agent: last.agent || item.agent, reason: 'no longer waiting' };
    default:
      // Not handled yet (its ending is being acted on), superseded by a newer run, or stopped by the user: nothing to do.
      return undefined;
  }
}
