// Which stage moves the orchestrator makes, and why a move is refused. Moves made by hand
// in the file system are facts, not requests: they are recorded, never refused.
import type { Stage } from '../model/stage';
import type { WorkItem } from '../model/workItem';

import type { TransitionKind } from '../model/commands';

export type { TransitionKind };

const ALLOWED: Record<TransitionKind, { from: Stage[]; to: Stage }> = {
  start: { from: ['backlog'], to: 'current' },
  coded: { from: ['current'], to: 'qa' },
  qa_passed: { from: ['qa'], to: 'merge' },
  merged: { from: ['merge'], to: 'done' },
  archive: { from: ['done'], to: 'archived' },
  demote: { from: ['current', 'qa', 'merge'], to: 'backlog' },
  fixup: { from: ['merge'], to: 'current' },
  qa_failed: { from: ['qa'], to: 'current' },
  abandon: { from: ['backlog', 'current', 'qa', 'merge', 'done'], to: 'archived' },
};

export function targetOf(kind: TransitionKind): Stage {
  return ALLOWED[kind].to;
}

/** Returns undefined when the move is allowed, else a readable reason. */
export function checkTransition(item: WorkItem, kind: TransitionKind): string | undefined {
  const rule = ALLOWED[kind];
  if (item.invalid) return `Story ${item.id} cannot move: ${item.invalid}`;
  if (!rule.from.includes(item.stage)) return `Story ${item.id} is in ${item.stage}; "${kind}" moves only from ${rule.from.join(' or ')}.`;
  // a fix-up is the user's answer to a blocked merge: it unblocks the story
  if (item.blocked && kind !== 'abandon' && kind !== 'demote' && kind !== 'fixup')
    return `Story ${item.id} is blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}. Unblock it first.`;
  return undefined;
}

/**
 * Why a user's move of a story (a drag on the board, \`huskies move\`) to \`to\` is refused, or undefined. Moves made
 * by hand in the file system are facts and never pass here.
 */
export function userMoveRefusal(item: WorkItem, to: Stage): string | undefined {
  if (item.stage === to) return `Story ${item.id} is already in ${to}.`;
  if (item.invalid) return `Story ${item.id} cannot move: ${item.invalid}`;
  if (item.blocked && to !== 'backlog' && to !== 'archived')
    return `Story ${item.id} is blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}. Unblock it first (or move it to backlog or archived).`;
  if (to === 'done') return `Done means merged: story ${item.id} gets there by its merge. Approve it in QA, or archive it.`;
  if (to === 'merge' && item.stage !== 'qa') return `Story ${item.id} is in ${item.stage}: a story reaches merge from QA, where it is checked first.`;
  return undefined;
}

/** Whether an agent may start on the item now; undefined means yes, else why not. */
export function canStartAgent(item: WorkItem, all: Map<number, WorkItem>, stacked = false): string | undefined {
  if (item.invalid) return `Story ${item.id} is invalid: ${item.invalid}`;
  if (item.stage !== 'backlog' && item.stage !== 'current') return `Story ${item.id} is in ${item.stage}; agents start on backlog or current stories.`;
  if (item.blocked) return `Story ${item.id} is blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}.`;
  const waiting = item.dependsOn.filter((d) => {
    const dep = all.get(d);
    return !dep || (dep.stage !== 'done' && dep.stage !== 'archived');
  });
  if (waiting.length && !stacked) return `Story ${item.id} waits for ${waiting.map((d) => `#${d}`).join(', ')} to be done.`;
  return undefined;
}
