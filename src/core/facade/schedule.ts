// How the facade's commands reach the one writer (or the process that drives the project), and
// the commands for pauses, notes, timers, triggers and drained agents, read back where needed.
import { randomBytes } from 'node:crypto';
import type { Command, ScheduledTimer, Source, TimerSpec, Trigger, TriggerSpec } from '../model/commands';
import { NotFoundError, NotInitializedError, RefusedError } from '../model/errors';
import type { Orchestrator } from '../orchestrator';

/** The facade's way to change the project: a command here, or a request to the process that drives it. */
export type Send = (c: Command) => Promise<{ runId?: string; itemId?: number }>;

/** A command to the pipeline when this process leads; a request to the leader when it follows. */
export async function sendCommand(o: Orchestrator, c: Command): Promise<{ runId?: string; itemId?: number }> {
  if (o.follower) {
    const r = await o.requests.send(c);
    if (!r.ok) throw new RefusedError(r.refusal ?? 'refused');
    await o.state.load(); // what the leader wrote
    return { runId: r.runId, itemId: r.itemId };
  }
  if (!o.leads()) throw new RefusedError('This process cannot change the project (read-only, or no project here).');
  const events = await o.pipeline.require(c);
  const queued = events.find((e) => e.type === 'run.queued');
  const created = events.find((e) => e.type === 'item.created');
  return { runId: queued?.type === 'run.queued' ? queued.run.runId : undefined, itemId: created?.type === 'item.created' ? created.item.id : undefined };
}

/** What `controls()` returns: the project's pause and notes, and the stories paused or noted. */
export interface Controls {
  paused?: { since: number; reason: string; source: string };
  notes: readonly { at: number; text: string; source: string }[];
  stories: { id: number; paused: boolean; pausedReason?: string; note?: string }[];
}

export async function pause(send: Send, id: number | undefined, reason: string | undefined, source: Source): Promise<void> {
  await send({ type: 'control.pause', ...(id !== undefined ? { id } : {}), reason: reason ?? '', source });
}

export async function resume(send: Send, id: number | undefined, source: Source): Promise<void> {
  await send({ type: 'control.resume', ...(id !== undefined ? { id } : {}), source });
}

export async function note(send: Send, text: string, id: number | undefined, source: Source): Promise<void> {
  if (!text.trim()) throw new RefusedError('A note needs some text.');
  await send({ type: 'control.note', ...(id !== undefined ? { id } : {}), text, source });
}

/** The project's pause and notes from the agent state; each story's from its front matter. */
export function controls(o: Orchestrator): Controls {
  const a = o.state.agentState();
  const stories = o.state
    .items()
    .filter((i) => i.frontMatter.paused === true || typeof i.frontMatter.note === 'string')
    .map((i) => ({
      id: i.id,
      paused: i.frontMatter.paused === true,
      ...(typeof i.frontMatter.paused_reason === 'string' ? { pausedReason: i.frontMatter.paused_reason } : {}),
      ...(typeof i.frontMatter.note === 'string' ? { note: i.frontMatter.note } : {}),
    }));
  return { ...(a.paused ? { paused: a.paused } : {}), notes: a.notes ?? [], stories };
}

/** The timer gets a fresh id here, so that it can be read back once the writer has added it. */
export async function addTimer(o: Orchestrator, send: Send, spec: TimerSpec, source: Source): Promise<ScheduledTimer> {
  if (!o.standing.initialized) throw new NotInitializedError();
  const id = `t-${randomBytes(4).toString('hex')}`;
  await send({ type: 'timer.add', timer: { ...spec, id, timezone: spec.timezone ?? o.config.project.timezone }, source });
  const t = o.state.scheduled().find((x) => x.id === id);
  if (!t) throw new NotFoundError('The timer was added but cannot be read back.');
  return t;
}

export function timers(o: Orchestrator): ScheduledTimer[] {
  return [...o.state.scheduled()].sort((a, b) => (a.nextAt ?? Infinity) - (b.nextAt ?? Infinity));
}

export async function cancelTimer(send: Send, id: string, source: Source): Promise<void> {
  await send({ type: 'timer.cancel', timerId: id, source });
}

/** Like a timer, the trigger gets its id here to be read back. */
export async function addTrigger(o: Orchestrator, send: Send, spec: TriggerSpec, source: Source): Promise<Trigger> {
  if (!o.standing.initialized) throw new NotInitializedError();
  const id = `g-${randomBytes(4).toString('hex')}`;
  await send({ type: 'trigger.add', trigger: { ...spec, id }, source });
  const t = o.state.triggers().find((x) => x.id === id);
  if (!t) throw new NotFoundError('The trigger was added but cannot be read back.');
  return t;
}

export function triggers(o: Orchestrator): Trigger[] {
  return [...o.state.triggers()];
}

export async function cancelTrigger(send: Send, id: string, source: Source): Promise<void> {
  await send({ type: 'trigger.cancel', triggerId: id, source });
}

/** Lets a drained agent take work again; false when it was not drained. */
export async function acknowledgeAgent(send: Send, name: string, source: Source): Promise<boolean> {
  try {
    await send({ type: 'agent.acknowledge', name, source });
    return true;
  } catch (err) {
    if (err instanceof RefusedError && /was not drained/.test(err.message)) return false;
    throw err;
  }
}
