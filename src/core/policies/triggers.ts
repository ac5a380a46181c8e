// Triggers: a stage change (item.moved) that matches a trigger's condition is answered with a
// trigger.fire command; the rule applies the loop guard, and the scheduler runs the action.
import type { Command, Trigger } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { WorkItem } from '../model/workItem';
import type { StateView } from '../state/types';

export function matches(t: Trigger, e: Extract<HuskiesEvent, { type: 'item.moved' }>, item: WorkItem | undefined): boolean {
  const w = t.when;
  if (w.from !== undefined && w.from !== e.from) return false;
  if (w.to !== undefined && w.to !== e.to) return false;
  if (w.story !== undefined && w.story !== e.id) return false;
  if (w.type !== undefined && item?.type !== w.type) return false;
  if (w.key !== undefined) {
    const v = item?.frontMatter[w.key];
    if (v === undefined || (w.value !== undefined && String(v) !== String(w.value))) return false;
  }
  if (w.label !== undefined) {
    const l = item?.frontMatter.labels;
    const labels = Array.isArray(l) ? l.map(String) : typeof l === 'string' ? l.split(',').map((x) => x.trim()) : [];
    if (!labels.includes(w.label)) return false;
  }
  return true;
}

export function triggers(e: HuskiesEvent, s: StateView): Command[] {
  if (e.type !== 'item.moved') return [];
  const item = s.item(e.id);
  return s
    .triggers()
    .filter((t) => !t.disabled && matches(t, e, item))
    .map((t) => ({ type: 'trigger.fire', triggerId: t.id, storyId: e.id, from: e.from, to: e.to, source: 'orchestrator' }));
}
