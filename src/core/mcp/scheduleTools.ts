// Timers and triggers as MCP tools: an agent schedules work for later (a prompt that becomes a story
// with an agent, or a tool call) and reacts to stage changes. Each change is a command through the one
// writer; an agent may cancel only the timers and triggers agents made, never the user's.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { STAGES } from '../model/stage';
import type { Command, ScheduleAction } from '../model/commands';
import { describeAction, describeSchedule } from '../schedule/spec';
import { defineTool, ToolError, type ToolCall, type ToolDef } from './types';

const toolName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a tool name like create_story');
const action = z
  .strictObject({
    prompt: z.string().trim().min(1).max(20_000).optional().describe('a prompt: a new story with an agent on it'),
    agent: z.string().max(64).optional().describe('the agent for the prompt (by name)'),
    tool: toolName.optional().describe('or an orchestrator tool to call'),
    args: z.record(z.string(), z.unknown()).optional().describe("the tool's arguments"),
  })
  .refine((a) => (a.prompt === undefined) !== (a.tool === undefined), 'give either "prompt" or "tool", not both');
const schedId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an id from list_timers or list_triggers');

function toAction(a: z.infer<typeof action>): ScheduleAction {
  return a.prompt !== undefined ? { prompt: a.prompt, ...(a.agent ? { agent: a.agent } : {}) } : { tool: a.tool!, args: a.args ?? {} };
}

async function send(call: ToolCall<unknown>, c: Command): Promise<void> {
  const r = await call.deps.request(c);
  if (!r.ok) throw new ToolError(r.refusal);
}

const newId = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const scheduleTimer = defineTool({
  name: 'schedule_timer',
  description:
    'Schedules work: once ("at": an ISO time or "HH:MM" in the project time zone) or again and again ("every": e.g. "30m", at least 60 s; or "cron"). ' +
    'The action is a prompt (a new story with an agent on it) or an orchestrator tool call. Returns the timer id and when it fires next.',
  schema: z
    .strictObject({
      at: z.string().max(64).optional(),
      every: z
        .union([
          z.string().max(64),
          z
            .number()
            .int()
            .min(60)
            .max(366 * 86_400),
        ])
        .optional(),
      cron: z.string().max(200).optional(),
      timezone: z.string().max(64).optional().describe('an IANA zone; the project time zone by default'),
      name: z.string().trim().max(200).optional(),
      action,
    })
    .refine((t) => [t.at, t.every, t.cron].filter((x) => x !== undefined).length === 1, 'give exactly one of "at", "every", "cron"'),
  changes: true,
  async run(call) {
    const { action: a, ...when } = call.args;
    const id = newId('t');
    await send(call, { type: 'timer.add', timer: { ...when, id, timezone: when.timezone ?? call.deps.config().project.timezone, action: toAction(a) }, source: 'mcp' });
    const t = call.deps.state.scheduled().find((x) => x.id === id)!;
    const next = t.nextAt ? new Date(t.nextAt).toISOString() : 'never';
    return {
      text: `Timer ${id}: ${describeSchedule(t.schedule, t.timezone)}, next at ${next}; ${describeAction(t.action)}.`,
      data: { id, next_at: next },
      summary: `scheduled ${id}`,
    };
  },
});

export const listTimers = defineTool({
  name: 'list_timers',
  description: 'The scheduled timers: id, schedule, next firing, action, who made it, and the last error.',
  schema: z.strictObject({}),
  changes: false,
  async run(call) {
    const list = call.deps.state.scheduled().map((t) => ({
      id: t.id,
      ...(t.name ? { name: t.name } : {}),
      schedule: describeSchedule(t.schedule, t.timezone),
      next_at: t.nextAt ? new Date(t.nextAt).toISOString() : null,
      action: describeAction(t.action),
      made_by: t.source,
      fired: t.fired,
      ...(t.lastError ? { last_error: t.lastError } : {}),
    }));
    return { text: list.length ? JSON.stringify(list, null, 1) : 'No scheduled timers.', data: { timers: list }, summary: `${list.length} timers` };
  },
});

export const cancelTimer = defineTool({
  name: 'cancel_timer',
  description: 'Cancels a timer an agent scheduled (the user’s own timers are theirs to cancel).',
  schema: z.strictObject({ id: schedId }),
  changes: true,
  async run(call) {
    const t = call.deps.state.scheduled().find((x) => x.id === call.args.id);
    if (!t) throw new ToolError(`there is no timer ${call.args.id} (list_timers shows them)`, 'id');
    if (t.source !== 'mcp') throw new ToolError(`timer ${t.id} was made by the user (${t.source}); only they can cancel it`, 'id');
    await send(call, { type: 'timer.cancel', timerId: t.id, source: 'mcp' });
    return { text: `Timer ${t.id} is cancelled.`, summary: `cancelled ${t.id}` };
  },
});

const stage = z.enum(STAGES as unknown as [string, ...string[]]);

export const createTrigger = defineTool({
  name: 'create_trigger',
  description:
    'Acts when a story changes stage: "when" matches from/to stage, story type, story number, a front-matter key (and value) or a label; ' +
    'the action is a prompt (a new story naming the triggering one, with an agent) or a tool call. mode "once" fires for the first match only.',
  schema: z.strictObject({
    when: z.strictObject({
      from: stage.optional(),
      to: stage.optional(),
      type: z.enum(['story', 'bug', 'spike', 'refactor']).optional(),
      story: z.number().int().positive().max(1_000_000_000).optional(),
      key: z.string().max(64).optional(),
      value: z.union([z.string().max(200), z.number(), z.boolean()]).optional(),
      label: z.string().max(64).optional(),
    }),
    action,
    mode: z.enum(['once', 'persistent']).optional(),
    name: z.string().trim().max(200).optional(),
  }),
  changes: true,
  async run(call) {
    const id = newId('g');
    const { when, mode, name } = call.args;
    await send(call, {
      type: 'trigger.add',
      trigger: { id, when: when as never, action: toAction(call.args.action), ...(mode ? { mode } : {}), ...(name ? { name } : {}) },
      source: 'mcp',
    });
    return { text: `Trigger ${id} is set (${mode ?? 'persistent'}).`, data: { id }, summary: `trigger ${id}` };
  },
});

export const listTriggers = defineTool({
  name: 'list_triggers',
  description: 'The triggers: id, what they match, the action, how often they fired, and why one stopped.',
  schema: z.strictObject({}),
  changes: false,
  async run(call) {
    const list = call.deps.state.triggers().map((t) => ({
      id: t.id,
      ...(t.name ? { name: t.name } : {}),
      when: t.when,
      action: describeAction(t.action),
      mode: t.mode,
      made_by: t.source,
      fired: t.fired,
      ...(t.lastError ? { last_error: t.lastError } : {}),
      ...(t.disabled ? { disabled: t.disabled } : {}),
    }));
    return { text: list.length ? JSON.stringify(list, null, 1) : 'No triggers.', data: { triggers: list }, summary: `${list.length} triggers` };
  },
});

export const cancelTrigger = defineTool({
  name: 'cancel_trigger',
  description: 'Cancels a trigger an agent created (the user’s own triggers are theirs to cancel).',
  schema: z.strictObject({ id: schedId }),
  changes: true,
  async run(call) {
    const t = call.deps.state.triggers().find((x) => x.id === call.args.id);
    if (!t) throw new ToolError(`there is no trigger ${call.args.id} (list_triggers shows them)`, 'id');
    if (t.source !== 'mcp') throw new ToolError(`trigger ${t.id} was made by the user (${t.source}); only they can cancel it`, 'id');
    await send(call, { type: 'trigger.cancel', triggerId: t.id, source: 'mcp' });
    return { text: `Trigger ${t.id} is cancelled.`, summary: `cancelled ${t.id}` };
  },
});

export function scheduleTools(): ToolDef[] {
  return [scheduleTimer, listTimers, cancelTimer, createTrigger, listTriggers, cancelTrigger];
}
