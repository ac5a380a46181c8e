// The stage machine's rules for scheduled timers and triggers: add, cancel, fire (with the loop
// guard for triggers), what an action came to, and the ephemeral story a prompt action works on.
// Pure: the time comes in the context; croner's calendar arithmetic is deterministic.
import type { Command, ScheduledTimer, Trigger } from '../model/commands';
import type { StateView } from '../state/types';
import { checkAction, describeAction, describeSchedule, firstAt, nextAfter, parseSchedule } from '../schedule/spec';
import { accept, cutNote, refuse, type DecideContext, type Decision } from './decisions';

/** The loop guard: more firings than this within the window stop a trigger. */
export const TRIGGER_MAX_FIRINGS = 5;
export const TRIGGER_WINDOW_MS = 60_000;
/** A timer counts as caught up (fired late) when it fires this long after it was due. */
const LATE_MS = 60_000;

export type ScheduleCommand = Extract<Command, { type: `timer.${'add' | 'cancel' | 'result'}` | `trigger.${string}` | 'schedule.ephemeral' }>;

export function isScheduleCommand(c: Command): c is ScheduleCommand {
  return c.type === 'timer.add' || c.type === 'timer.cancel' || c.type === 'timer.result' || c.type.startsWith('trigger.') || c.type === 'schedule.ephemeral';
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const fail = (err: unknown) => refuse((err as Error).message.replace(/^./, (ch) => ch.toUpperCase()));

export function decideSchedule(s: StateView, c: ScheduleCommand, ctx: DecideContext): Decision {
  switch (c.type) {
    case 'timer.add': {
      const spec = c.timer;
      if (!ID.test(spec.id)) return refuse(`"${spec.id}" is not a timer id (letters, digits, _ . -).`);
      if (s.scheduled().some((t) => t.id === spec.id)) return refuse(`There is a timer ${spec.id} already.`);
      let timer: ScheduledTimer;
      try {
        const schedule = parseSchedule(spec);
        const nextAt = firstAt(schedule, spec.timezone, ctx.now);
        if (nextAt === undefined) return refuse(`The time ${spec.at} has passed.`);
        timer = {
          id: spec.id,
          ...(spec.name ? { name: spec.name } : {}),
          schedule,
          timezone: spec.timezone,
          action: spec.action,
          nextAt,
          anchorAt: ctx.now,
          createdAt: ctx.now,
          source: c.source,
          fired: 0,
        };
      } catch (err) {
        return fail(err);
      }
      return accept([{ op: 'schedule.put', timer }], [{ type: 'timer.added', timer, source: c.source }], {
        reason: `timer ${timer.id}: ${describeSchedule(timer.schedule, timer.timezone)} → ${describeAction(timer.action)}; first at ${new Date(timer.nextAt!).toISOString()}`,
      });
    }
    case 'timer.cancel': {
      const timer = s.scheduled().find((t) => t.id === c.timerId);
      if (!timer) return refuse(`There is no scheduled timer ${c.timerId}.`);
      return accept([{ op: 'schedule.remove', id: timer.id }], [{ type: 'timer.cancelled', timer, source: c.source }], { reason: `timer ${timer.id} cancelled` });
    }
    case 'timer.result': {
      const timer = s.scheduled().find((t) => t.id === c.timerId);
      if (!timer) return refuse(`There is no scheduled timer ${c.timerId}.`);
      const error = c.ok ? undefined : cutNote(c.error ?? 'failed');
      const next: ScheduledTimer = { ...timer, lastError: error };
      if (c.ok) delete next.lastError;
      // A one-shot timer that did its work is done; one that failed stays, with the reason, until cancelled.
      const ops = c.ok && timer.nextAt === undefined ? [{ op: 'schedule.remove' as const, id: timer.id }] : [{ op: 'schedule.put' as const, timer: next }];
      return accept(ops, [{ type: 'timer.finished', timer: next, ok: c.ok, error, storyId: c.storyId }], {
        id: c.storyId,
        reason: `timer ${timer.id} ${c.ok ? 'did its work' : `failed: ${error}`}`,
      });
    }
    case 'trigger.add': {
      const spec = c.trigger;
      if (!ID.test(spec.id)) return refuse(`"${spec.id}" is not a trigger id (letters, digits, _ . -).`);
      if (s.triggers().some((t) => t.id === spec.id)) return refuse(`There is a trigger ${spec.id} already.`);
      const w = spec.when ?? {};
      if (![w.from, w.to, w.type, w.story, w.key, w.label].some((v) => v !== undefined))
        return refuse('A trigger needs a condition: from, to, type, story, key (and value) or label.');
      if (w.value !== undefined && w.key === undefined) return refuse('A trigger with a value needs the front-matter key it is compared with.');
      try {
        checkAction(spec.action);
      } catch (err) {
        return fail(err);
      }
      const trigger: Trigger = {
        id: spec.id,
        ...(spec.name ? { name: spec.name } : {}),
        when: { ...w },
        action: spec.action,
        mode: spec.mode ?? 'persistent',
        createdAt: ctx.now,
        source: c.source,
        fired: 0,
        recent: [],
      };
      return accept([{ op: 'trigger.put', trigger }], [{ type: 'trigger.added', trigger, source: c.source }], {
        reason: `trigger ${trigger.id} (${trigger.mode}): ${describePredicate(trigger)} → ${describeAction(trigger.action)}`,
      });
    }
    case 'trigger.cancel': {
      const trigger = s.triggers().find((t) => t.id === c.triggerId);
      if (!trigger) return refuse(`There is no trigger ${c.triggerId}.`);
      return accept([{ op: 'trigger.remove', id: trigger.id }], [{ type: 'trigger.cancelled', trigger, source: c.source }], { reason: `trigger ${trigger.id} cancelled` });
    }
    case 'trigger.fire':
      return decideTriggerFire(s, c, ctx);
    case 'trigger.result': {
      const trigger = s.triggers().find((t) => t.id === c.triggerId);
      if (!trigger) return refuse(`There is no trigger ${c.triggerId}.`);
      const error = c.ok ? undefined : cutNote(c.error ?? 'failed');
      const next: Trigger = { ...trigger, lastError: error };
      // A success clears an old failure, not the loop guard's reason for stopping it.
      if (c.ok) next.lastError = trigger.disabled?.includes('loop guard') ? trigger.lastError : undefined;
      if (next.lastError === undefined) delete next.lastError;
      const ops = c.ok && trigger.mode === 'once' ? [{ op: 'trigger.remove' as const, id: trigger.id }] : [{ op: 'trigger.put' as const, trigger: next }];
      return accept(ops, [{ type: 'trigger.finished', trigger: next, ok: c.ok, error, storyId: c.storyId }], {
        id: c.storyId,
        reason: `trigger ${trigger.id} ${c.ok ? 'did its work' : `failed: ${error}`}`,
      });
    }
    case 'schedule.ephemeral': {
      const name = c.name.trim();
      if (!name || !c.prompt.trim()) return refuse('An ephemeral story needs a name and a prompt.');
      const origin = 'timer' in c.origin ? { timer: c.origin.timer } : { trigger: c.origin.trigger, trigger_story: c.origin.story };
      return accept(
        [{ op: 'item.create', name, itemType: 'story', criteria: [], description: c.prompt, frontMatter: { ephemeral: true, ...origin, ...(c.agent ? { agent: c.agent } : {}) } }],
        (r) => (r.created ? [{ type: 'item.created', item: r.created, source: c.source }] : []),
        { to: 'backlog', reason: `ephemeral story for ${'timer' in c.origin ? `timer ${c.origin.timer}` : `trigger ${c.origin.trigger}`}: ${name}` },
      );
    }
  }
}

function decideTriggerFire(s: StateView, c: Extract<Command, { type: 'trigger.fire' }>, ctx: DecideContext): Decision {
  const trigger = s.triggers().find((t) => t.id === c.triggerId);
  if (!trigger) return refuse(`There is no trigger ${c.triggerId}.`);
  if (trigger.disabled) return refuse(`Trigger ${trigger.id} does not fire: ${trigger.disabled}.`);
  const item = s.item(c.storyId);
  const recent = [...trigger.recent.filter((t) => t > ctx.now - TRIGGER_WINDOW_MS), ctx.now];
  let stop: string | undefined;
  if (item && item.frontMatter.trigger === trigger.id)
    stop = `stopped by the loop guard: it fired on a move of story ${c.storyId}, which it created itself (${c.from ?? '∅'} → ${c.to ?? '∅'})`;
  else if (recent.length > TRIGGER_MAX_FIRINGS)
    stop = `stopped by the loop guard: it fired ${recent.length} times within ${TRIGGER_WINDOW_MS / 1000} s (last on story ${c.storyId})`;
  if (stop) {
    const stopped: Trigger = { ...trigger, disabled: stop, lastError: stop };
    return accept([{ op: 'trigger.put', trigger: stopped }], [{ type: 'trigger.stopped', trigger: stopped, reason: stop }], {
      id: c.storyId,
      reason: `trigger ${trigger.id} ${stop}`,
    });
  }
  const next: Trigger = {
    ...trigger,
    fired: trigger.fired + 1,
    lastFiredAt: ctx.now,
    recent,
    // A once trigger fires no more; it is removed when its action has done its work.
    ...(trigger.mode === 'once' ? { disabled: 'fired (once)' } : {}),
  };
  return accept([{ op: 'trigger.put', trigger: next }], [{ type: 'trigger.due', trigger: next, storyId: c.storyId }], {
    id: c.storyId,
    from: c.from,
    to: c.to,
    reason: `trigger ${trigger.id} fired → ${describeAction(trigger.action)}`,
  });
}

/** Fires a scheduled timer that is due: re-armed from its schedule (the next time after now), or spent when one-shot. */
export function decideScheduledFire(s: StateView, c: Extract<Command, { type: 'timer.fire' }>, ctx: DecideContext): Decision {
  const timer = s.scheduled().find((t) => t.id === c.timerId);
  if (!timer) return refuse(`There is no timer ${c.timerId}.`);
  if (timer.nextAt === undefined || timer.nextAt > ctx.now) return refuse(`Timer ${timer.id} is not due.`);
  const late = ctx.now - timer.nextAt >= LATE_MS;
  let nextAt: number | undefined;
  let problem: string | undefined;
  try {
    nextAt = timer.schedule.kind === 'at' ? undefined : nextAfter(timer.schedule, timer.timezone, ctx.now, timer.anchorAt);
  } catch (err) {
    problem = `cannot compute the next time: ${(err as Error).message}`;
  }
  const next: ScheduledTimer = { ...timer, fired: timer.fired + 1, lastFiredAt: ctx.now, ...(problem ? { lastError: problem } : {}) };
  if (nextAt === undefined) delete next.nextAt;
  else next.nextAt = nextAt;
  return accept([{ op: 'schedule.put', timer: next }], [{ type: 'timer.due', timer: next, late }], {
    reason: `timer ${timer.id} fired${late ? ` (late: it was due at ${new Date(timer.nextAt).toISOString()})` : ''} → ${describeAction(timer.action)}${nextAt !== undefined ? `; next at ${new Date(nextAt).toISOString()}` : ''}`,
  });
}

export function describePredicate(t: Pick<Trigger, 'when'>): string {
  const w = t.when;
  const parts = [
    w.story !== undefined ? `story #${w.story}` : undefined,
    w.type ? `type ${w.type}` : undefined,
    w.from ? `from ${w.from}` : undefined,
    w.to ? `to ${w.to}` : undefined,
    w.key ? `${w.key}${w.value !== undefined ? ` = ${String(w.value)}` : ' set'}` : undefined,
    w.label ? `label ${w.label}` : undefined,
  ].filter(Boolean);
  return `a story moves${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
