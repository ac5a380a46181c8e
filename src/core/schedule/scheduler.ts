// Carries out what scheduled timers and triggers do once the pipeline said they fire (timer.due,
// trigger.due): an orchestrator tool call, through the MCP dispatch when one is offered, or a
// prompt, which becomes an ephemeral backlog story with an agent started on it. What came of it
// goes back to the pipeline (timer.result / trigger.result) and into the record.
import type { Command, ScheduleAction, Source } from '../model/commands';
import type { EventBus } from '../pipeline/eventBus';
import type { RequestResult } from '../pipeline/pipeline';
import type { StateView } from '../state/types';
import type { Logger } from '../util/log';

/** The same dispatch an agent's MCP call uses: a refusal or failure is `ok: false` with the reason. */
export type ToolDispatch = (tool: string, args: Record<string, unknown>) => Promise<{ ok: boolean; text?: string; error?: string }>;

export interface SchedulerDeps {
  state: StateView;
  bus: EventBus;
  request(c: Command): Promise<RequestResult>;
  logger: Logger;
  /** Why no agent may start now (paused, untrusted, budget spent…); a prompt's story is then created and waits. */
  agentsStopped(): string | undefined;
}

/** The user's controls a timer or trigger may use besides the MCP tools (which agents do not have). */
export const BUILT_IN_TOOLS = ['pause', 'resume', 'add_note'] as const;

type Outcome = { ok: boolean; error?: string; storyId?: number };

export class Scheduler {
  /** The MCP tools' dispatch, the same an agent's call goes through (set by the composition). */
  callTool?: ToolDispatch;
  private subs: { dispose(): void }[] = [];
  private inFlight = new Set<string>();
  /** Settles when the actions started so far have finished (tests wait on it). */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly d: SchedulerDeps) {}

  start(): void {
    if (this.subs.length) return;
    this.subs.push(
      this.d.bus.on('timer.due', (e) =>
        this.track(`timer:${e.timer.id}`, e.timer.action, { timer: e.timer.id }, `timer ${e.timer.id}`, (o) => ({ type: 'timer.result', timerId: e.timer.id, ...o })),
      ),
      this.d.bus.on('trigger.due', (e) =>
        this.track(`trigger:${e.trigger.id}:${e.storyId}`, e.trigger.action, { trigger: e.trigger.id, story: e.storyId }, `trigger ${e.trigger.id}`, (o) => ({
          type: 'trigger.result',
          triggerId: e.trigger.id,
          ...o,
        })),
      ),
    );
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.subs = [];
  }

  /** The scheduled timers due at `now`, as commands for the pipeline (the tick sends them). */
  due(now: number): Command[] {
    return this.d.state
      .scheduled()
      .filter((t) => t.nextAt !== undefined && t.nextAt <= now && !this.inFlight.has(`timer:${t.id}`))
      .map((t) => ({ type: 'timer.fire', timerId: t.id, source: 'timer' }));
  }

  private track(key: string, action: ScheduleAction, origin: { timer: string } | { trigger: string; story: number }, who: string, result: (o: Outcome) => Command): void {
    this.inFlight.add(key);
    const p = this.act(action, origin)
      .catch((err): Outcome => ({ ok: false, error: (err as Error).message }))
      .then(async (o) => {
        if (!o.ok) this.d.logger.warn(`${who} failed: ${o.error}`);
        const r = await this.d.request(result(o));
        if (!r.ok) this.d.logger.info(`${who}: the result was not recorded: ${r.refusal}`);
      })
      .catch((err) => this.d.logger.error(`${who}: ${(err as Error).message}`))
      .finally(() => this.inFlight.delete(key));
    this.idle = Promise.all([this.idle, p]).then(() => undefined);
  }

  private async act(action: ScheduleAction, origin: { timer: string } | { trigger: string; story: number }): Promise<Outcome> {
    if ('prompt' in action) return this.prompt(action, origin);
    if (!(BUILT_IN_TOOLS as readonly string[]).includes(action.tool)) {
      if (!this.callTool) return { ok: false, error: `${action.tool}: the orchestrator's MCP tools are not available in this process` };
      const r = await this.callTool(action.tool, action.args);
      return r.ok ? { ok: true } : { ok: false, error: `${action.tool}: ${r.error ?? r.text ?? 'failed'}` };
    }
    const c = builtInCommand(action.tool, action.args, 'timer');
    if (typeof c === 'string') return { ok: false, error: c };
    const r = await this.d.request(c);
    return r.ok ? { ok: true } : { ok: false, error: `${action.tool}: ${r.refusal}` };
  }

  private async prompt(action: { prompt: string; agent?: string }, origin: { timer: string } | { trigger: string; story: number }): Promise<Outcome> {
    const text = 'story' in origin ? `${action.prompt}\n\n(Triggered by story #${origin.story}.)` : action.prompt;
    const first = action.prompt.trim().split('\n')[0];
    const name = `${first.length > 60 ? `${first.slice(0, 59)}…` : first}${'story' in origin ? ` (after #${origin.story})` : ''}`;
    const created = await this.d.request({ type: 'schedule.ephemeral', name, prompt: text, origin, agent: action.agent, source: 'timer' });
    if (!created.ok) return { ok: false, error: `the story could not be created: ${created.refusal}` };
    const ev = created.events.find((e) => e.type === 'item.created');
    const id = ev?.type === 'item.created' ? ev.item.id : undefined;
    if (id === undefined) return { ok: false, error: 'the story was written but cannot be read back' };
    const stopped = this.d.agentsStopped();
    if (stopped) return { ok: false, storyId: id, error: `story ${id} was created, but no agent starts: ${stopped}` };
    const run = await this.d.request({ type: 'run.enqueue', id, source: 'timer', agent: action.agent, attempt: 1, reason: 'started by a timer or trigger' });
    return run.ok ? { ok: true, storyId: id } : { ok: false, storyId: id, error: `story ${id} was created, but its agent did not start: ${run.refusal}` };
  }
}

/** A tool call as the one command it stands for, or why it cannot be carried out here. */
export function builtInCommand(tool: string, args: Record<string, unknown>, source: Source): Command | string {
  const num = (k: string) => (typeof args[k] === 'number' && Number.isInteger(args[k]) ? (args[k] as number) : undefined);
  const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
  const id = num('story') ?? num('id');
  switch (tool) {
    case 'pause':
      return { type: 'control.pause', ...(id !== undefined ? { id } : {}), reason: str('reason') ?? 'paused by a timer', source };
    case 'resume':
      return { type: 'control.resume', ...(id !== undefined ? { id } : {}), source };
    case 'add_note': {
      const text = str('text');
      if (!text) return 'add_note needs "text"';
      return { type: 'control.note', ...(id !== undefined ? { id } : {}), text, source };
    }
    default:
      return `the tool "${tool}" is not one of ${BUILT_IN_TOOLS.join(', ')}`;
  }
}
