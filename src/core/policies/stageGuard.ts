// A story that leaves current (moved by hand, by the board, or removed) takes its agent with it.
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { StateView } from '../state/types';

export function stageGuard(e: HuskiesEvent, s: StateView): Command[] {
  if (e.type !== 'item.moved' || e.from === e.to || e.to === 'current' || e.to === 'qa') return [];
  const run = s.activeRun(e.id);
  if (!run) return [];
  const where = e.to === null ? 'nowhere (deleted)' : e.to;
  return [
    {
      type: 'run.stop',
      id: e.id,
      kind: 'cancelled',
      reason: `the story was moved to ${where}${e.source === 'watcher' ? ' by hand' : ''}`,
      byUser: false,
      source: 'orchestrator',
      handled: 'moved-away',
    },
  ];
}
