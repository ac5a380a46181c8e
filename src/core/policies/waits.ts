// Why a story is not moving: every wait has a reason a user can read, on the card and in
// `huskies status`. Nothing waits forever without one.
import type { AgentSpec } from '../config/config';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import type { AgentStateData, StateView } from '../state/types';
import type { PolicyContext } from './types';
import { hasGates } from '../gates/serverGates';

/** Dependencies that hold a story back: missing, itself, a cycle, or not done yet. */
export function dependencyWait(item: WorkItem, s: Pick<StateView, 'item'>): string | undefined {
  if (!item.dependsOn.length) return undefined;
  if (item.dependsOn.includes(item.id)) return `#${item.id} depends on itself (depends_on in its front matter): remove it`;
  const cycle = findCycle(item, s);
  if (cycle) return `depends_on forms a cycle: ${cycle.map((n) => `#${n}`).join(' → ')}; none of them can start until it is broken`;
  const missing = item.dependsOn.filter((d) => !s.item(d));
  if (missing.length) return `waits for ${missing.map((d) => `#${d}`).join(', ')}, which ${missing.length === 1 ? 'does' : 'do'} not exist`;
  const open = item.dependsOn.filter((d) => {
    const st = s.item(d)?.stage;
    return st !== 'done' && st !== 'archived';
  });
  if (open.length) return `waits for ${open.map((d) => `#${d}`).join(', ')} to be done`;
  return undefined;
}

function findCycle(start: WorkItem, s: Pick<StateView, 'item'>): number[] | undefined {
  const stack: number[] = [start.id];
  const seen = new Set<number>();
  const visit = (id: number): number[] | undefined => {
    const it = s.item(id);
    if (!it) return undefined;
    for (const d of it.dependsOn) {
      if (d === start.id) return [...stack, d];
      if (seen.has(d)) continue;
      seen.add(d);
      stack.push(d);
      const c = visit(d);
      if (c) return c;
      stack.pop();
    }
    return undefined;
  };
  return visit(start.id);
}

/** Why an agent cannot take work now: drained or rate-limited. */
export function agentUnavailable(agent: AgentSpec, a: AgentStateData, now: number): string | undefined {
  const d = a.drained[agent.name];
  if (d) return `${agent.name} is drained after ${d.failures} failures in a row (last: ${d.reason}); acknowledge it to give it work again (huskies ack ${agent.name})`;
  const limits = [a.rateLimited[agent.name], a.rateLimited[`runtime:${agent.runtime}`]].filter((r) => r && r.until > now);
  const rl = limits.sort((x, y) => y!.until - x!.until)[0];
  if (rl) return `${agent.name} is rate-limited until ${safeIso(rl.until)}: ${rl.reason}`;
  return undefined;
}

export function safeIso(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : 'an unknown time';
}

/** The agents that could run a queued run, given a pinned agent on the run or the story. */
export function candidates(run: Pick<RunRecord, 'agent' | 'storyId'>, item: WorkItem | undefined, agents: AgentSpec[]): { list: AgentSpec[]; pinned?: string } {
  const pinned = run.agent || item?.agent;
  if (pinned) {
    const a = agents.find((x) => x.name === pinned) ?? agents.find((x) => x.model === pinned && x.stage === 'coder');
    return { list: a ? [a] : [], pinned };
  }
  return { list: agents.filter((a) => a.stage === 'coder') };
}

/** What a story in QA or merge waits for. */
function stageWait(item: WorkItem, s: StateView, ctx: PolicyContext): string | undefined {
  if (s.activeRun(item.id)?.status === 'running') return undefined;
  if (item.stage === 'merge') {
    const failure = item.frontMatter.merge_failure;
    if (failure !== undefined) return `the merge failed: ${String(failure)} — fix it up (huskies fixup ${item.id}) or demote it`;
    return ctx.stopped ? `waits to be merged: ${ctx.stopped}` : 'being merged into the base branch';
  }
  if (item.frontMatter.review_hold === true) return `held for review (review_hold): approve or reject it (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  const mode = typeof item.frontMatter.qa === 'string' ? item.frontMatter.qa : ctx.config.project.defaultQa;
  if (mode === 'human') return `waiting for your review: approve or reject it (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  if (mode === 'server' && !hasGates(ctx.config.project))
    return `QA mode "server" has no test command to run (add qa_command or a [[component]] test to .huskies/project.toml): approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  if (mode === 'server') return ctx.stopped ? `waits for the QA gates: ${ctx.stopped}` : 'the QA gates run (qa: server)';
  return `QA mode "${mode}" does not run in this version yet: approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
}

/** Why a story in current is not being worked on right now, or undefined when it is (or will be at once). */
export function whyWaiting(item: WorkItem, s: StateView, ctx: PolicyContext): string | undefined {
  if (item.invalid) return `invalid: ${item.invalid}`;
  if (item.blocked) return `blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}`;
  if (item.stage === 'qa' || item.stage === 'merge') return stageWait(item, s, ctx);
  if (item.stage !== 'current') return undefined;
  const active = s.activeRun(item.id);
  if (active?.status === 'running') return undefined;
  const timer = s.timers().find((t) => t.storyId === item.id);
  if (timer) return `resumes at ${safeIso(timer.at)} (${timer.reason})`;
  const dep = dependencyWait(item, s);
  if (dep) return dep;
  if (ctx.stopped) return ctx.stopped;
  if (ctx.budgetStop) return ctx.budgetStop;
  const last = s.latestRun(item.id);
  if (!active) {
    if (last?.handled === 'stopped-by-user') return 'stopped by you: start it again to go on';
    return undefined;
  }
  const { list, pinned } = candidates(active, item, ctx.agents);
  if (pinned && !list.length) return `pinned to agent "${pinned}", which is not defined in .huskies/agents.toml`;
  if (!list.length) return 'no coder agent is defined in .huskies/agents.toml';
  const why = list.map((a) => agentUnavailable(a, s.agentState(), ctx.now)).filter((x): x is string => !!x);
  if (why.length === list.length) return `no agent can take it: ${why.join('; ')}`;
  const running = s.activeRuns().filter((r) => r.status === 'running').length;
  if (running >= ctx.config.project.maxCoders) return `queued: all ${ctx.config.project.maxCoders} agent slots are busy`;
  return 'queued: waiting for a free agent';
}
