// The read model the board, the status bar and `huskies status` render: built from the state
// view, with a readable wait reason for every story that is not moving.
import type { AgentSpec } from '../config/config';
import type { ConfigProblem } from '../config/types';
import type { HelpRequest, ScheduledTimer, Timer, Trigger } from '../model/commands';
import type { Drain, RateLimit } from '../model/events';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import type { Preflight } from '../agents/preflight';
import type { Totals } from '../agents/usageLog';
import { whyWaiting } from '../policies/waits';
import type { Orchestrator } from '../orchestrator';
import { findStuck } from '../policies/stuck';

export interface Snapshot {
  root: string;
  initialized: boolean;
  items: WorkItem[];
  runs: RunRecord[];
  latestRun: Map<number, RunRecord>;
  running: number;
  queued: number;
  maxCoders: number;
  problems: string[];
  /** The config problems of `problems` as records (file, line, key, severity), for editors to place them. */
  configProblems: ConfigProblem[];
  agents: AgentSpec[];
  trusted: boolean;
  timers: readonly Timer[];
  rateLimits: Readonly<Record<string, RateLimit>>;
  drained: Readonly<Record<string, Drain>>;
  preflight: Preflight[];
  costByStory: Map<number, Totals>;
  costByAgent: Map<string, Totals>;
  spentToday: number;
  /** Why a story is not moving, for every story that waits on something. */
  waits: Map<number, string>;
  /** Why new agents are not starting, when they are not (budget reached, not trusted…). */
  paused?: string;
  /** Stuck work that needs the user (the driving process's raised requests; elsewhere what the state shows now). */
  help: HelpRequest[];
  /** The project's pause (no new agent starts) and its latest notes, newest last. */
  projectPaused?: { since: number; reason: string; source: string };
  notes: { at: number; text: string; source: string }[];
  /** Scheduled timers (soonest first) and triggers. */
  scheduled: ScheduledTimer[];
  triggers: Trigger[];
  /** Set when another process drives the project. */
  leader?: { pid: number; by: string; startedAt: string };
}

export function buildSnapshot(o: Orchestrator, preflight: Preflight[]): Snapshot {
  const s = o.state;
  const runs = s.runs();
  const latestRun = new Map<number, RunRecord>();
  for (const r of [...runs].sort((a, b) => a.queuedAt - b.queuedAt)) latestRun.set(r.storyId, r);
  const totals = s.usage.totals();
  const ctx = o.standing.policyContext();
  const waits = new Map<number, string>();
  const items = s.items();
  for (const it of items) {
    if (it.stage !== 'current' && it.stage !== 'qa' && it.stage !== 'merge' && !it.blocked && !it.invalid) continue;
    const w = whyWaiting(it, s, ctx);
    if (w) waits.set(it.id, w);
  }
  const paused = !o.standing.trusted ? 'The workspace is not trusted: agents are disabled.' : (ctx.budgetStop ?? (o.follower || !o.standing.initialized ? undefined : ctx.stopped));
  return {
    root: o.root,
    initialized: o.standing.initialized,
    items,
    runs,
    latestRun,
    running: runs.filter((r) => r.status === 'running').length,
    queued: runs.filter((r) => r.status === 'queued').length,
    maxCoders: o.config.project.maxCoders,
    problems: [
      ...o.configStore.getProblems(),
      ...o.configStore.getWarnings(),
      ...s.loadProblems(),
      ...s.work.getProblems(),
      ...preflight.filter((p) => !p.ok).map((p) => `Agent ${p.agent}: ${p.message}`),
    ],
    configProblems: o.configStore.getDiagnostics(),
    agents: o.standing.agents(),
    trusted: o.standing.trusted,
    timers: s.timers(),
    rateLimits: s.agentState().rateLimited,
    drained: s.agentState().drained,
    preflight,
    costByStory: totals.byStory,
    costByAgent: totals.byAgent,
    spentToday: s.spentOn(new Date(o.clock.now()).toISOString().slice(0, 10)),
    waits,
    paused,
    help: o.leads() ? o.life.help.current() : findStuck(s, ctx).map((f) => ({ ...f, since: ctx.now })),
    projectPaused: s.agentState().paused ? { ...s.agentState().paused! } : undefined,
    notes: [...(s.agentState().notes ?? [])],
    scheduled: [...s.scheduled()].sort((a, b) => (a.nextAt ?? Infinity) - (b.nextAt ?? Infinity)),
    triggers: [...s.triggers()],
    leader: o.follower ? { pid: o.follower.pid, by: o.follower.by, startedAt: o.follower.startedAt } : undefined,
  };
}
