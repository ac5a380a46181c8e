// `huskies timer add|list|cancel` and `huskies trigger add|list|cancel`: scheduled timers and
// triggers on stage changes, sent to the process that drives the project when one does.
import { parseArgs } from 'node:util';
import { describeAction, describePredicate, describeSchedule, isStage, type ScheduleAction, type TimerSpec, type TriggerPredicate } from '../core/api';
import type { Once } from './control';
import { out } from './session';
import { UsageError, storyNumber } from './usage';

export const SCHEDULE_USAGE = `  timer add (--at T | --every 30m | --cron "0 9 * * 1-5") [--tz Zone] (--prompt "…" [--agent a] | --tool name [--args JSON])
                             a timer: T is an ISO time or HH:MM (the next one, in project.toml's timezone)
  timer list | timer cancel <id>
  trigger add [--from S] [--to S] [--type T] [--story n] [--key k [--value v]] [--label l] [--once]
              (--prompt "…" [--agent a] | --tool name [--args JSON])   an action when a story moves
  trigger list | trigger cancel <id>`;

const OPTIONS = {
  at: { type: 'string' },
  every: { type: 'string' },
  cron: { type: 'string' },
  tz: { type: 'string' },
  prompt: { type: 'string' },
  agent: { type: 'string' },
  tool: { type: 'string' },
  args: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string' },
  story: { type: 'string' },
  key: { type: 'string' },
  value: { type: 'string' },
  label: { type: 'string' },
  once: { type: 'boolean' },
  name: { type: 'string' },
  C: { type: 'string', short: 'C' },
} as const;

function actionOf(v: { prompt?: string; agent?: string; tool?: string; args?: string }): ScheduleAction {
  if (!!v.prompt === !!v.tool) throw new UsageError('give exactly one action: --prompt "…" or --tool name [--args JSON]');
  if (v.prompt) return { prompt: v.prompt, ...(v.agent ? { agent: v.agent } : {}) };
  let args: unknown = {};
  if (v.args) {
    try {
      args = JSON.parse(v.args);
    } catch (err) {
      throw new UsageError(`--args must be a JSON object: ${(err as Error).message}`);
    }
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new UsageError('--args must be a JSON object, e.g. \'{"story": 3, "to": "current"}\'');
  return { tool: v.tool!, args: args as Record<string, unknown> };
}

const when = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());

export async function scheduleCommand(cmd: 'timer' | 'trigger', argv: string[], once: Once): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, strict: true });
  const [sub, ...rest] = positionals.slice(1);
  switch (sub) {
    case 'list':
      return once(
        async (o) => {
          const list = cmd === 'timer' ? o.timers() : o.triggers();
          if (!list.length) out(`No ${cmd}s.`);
          for (const t of o.timers().filter(() => cmd === 'timer'))
            out(
              `${t.id}${t.name ? ` (${t.name})` : ''}: ${describeSchedule(t.schedule, t.timezone)} → ${describeAction(t.action)} · next ${when(t.nextAt)} · fired ${t.fired}×${t.lastError ? ` · FAILED: ${t.lastError}` : ''}`,
            );
          for (const t of o.triggers().filter(() => cmd === 'trigger'))
            out(
              `${t.id}${t.name ? ` (${t.name})` : ''} [${t.mode}]: ${describePredicate(t)} → ${describeAction(t.action)} · fired ${t.fired}× · last ${when(t.lastFiredAt)}${t.disabled ? ` · OFF: ${t.disabled}` : ''}${t.lastError && t.lastError !== t.disabled ? ` · FAILED: ${t.lastError}` : ''}`,
            );
          return 0;
        },
        { readOnly: true },
      );
    case 'cancel': {
      const id = rest[0];
      if (!id) throw new UsageError(`${cmd} cancel needs the ${cmd}'s id (see huskies ${cmd} list)`);
      return once(async (o) => {
        await (cmd === 'timer' ? o.cancelTimer(id, 'cli') : o.cancelTrigger(id, 'cli'));
        out(`Cancelled ${cmd} ${id}.`);
        return 0;
      });
    }
    case 'add': {
      const action = actionOf(v);
      if (cmd === 'timer') {
        const given = [v.at, v.every, v.cron].filter((x) => x !== undefined);
        if (given.length !== 1) throw new UsageError('timer add needs exactly one of --at, --every, --cron');
        const spec: TimerSpec = { at: v.at, every: v.every, cron: v.cron, timezone: v.tz, action, name: v.name };
        return once(async (o) => {
          const t = await o.addTimer(spec, 'cli');
          out(`Timer ${t.id}: ${describeSchedule(t.schedule, t.timezone)} → ${describeAction(t.action)}; first at ${when(t.nextAt)}.`);
          return 0;
        });
      }
      for (const s of [v.from, v.to]) if (s !== undefined && !isStage(s)) throw new UsageError(`"${s}" is not a stage`);
      if (v.type !== undefined && !['story', 'bug', 'spike', 'refactor'].includes(v.type)) throw new UsageError(`--type must be story, bug, spike or refactor, not "${v.type}"`);
      const pred: TriggerPredicate = {
        ...(v.from ? { from: v.from as TriggerPredicate['from'] } : {}),
        ...(v.to ? { to: v.to as TriggerPredicate['to'] } : {}),
        ...(v.type ? { type: v.type as TriggerPredicate['type'] } : {}),
        ...(v.story !== undefined ? { story: storyNumber(v.story) } : {}),
        ...(v.key ? { key: v.key } : {}),
        ...(v.value !== undefined ? { value: v.value } : {}),
        ...(v.label ? { label: v.label } : {}),
      };
      if (!Object.keys(pred).length) throw new UsageError('trigger add needs a condition: --from, --to, --type, --story, --key or --label');
      return once(async (o) => {
        const t = await o.addTrigger({ when: pred, action, mode: v.once ? 'once' : 'persistent', name: v.name }, 'cli');
        out(`Trigger ${t.id} [${t.mode}]: ${describePredicate(t)} → ${describeAction(t.action)}.`);
        return 0;
      });
    }
    default:
      throw new UsageError(`${cmd} needs add, list or cancel${sub ? `, not "${sub}"` : ''}`);
  }
}

/** Where `timer` or `trigger` stands when it is the command (its own options follow it), else -1. */
export function scheduleCommandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-C' || a === '--C') i++;
    else if (!a.startsWith('-')) return a === 'timer' || a === 'trigger' ? i : -1;
  }
  return -1;
}
