// Why a story is not moving: every wait has a reason a user can read, on the card and in
// `huskies status`. Nothing waits forever without one.
import type { AgentSpec } from '../config/config';
import { roleOf, type RunRecord } from '../model/run';
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

/**
 * The parent a story may start from instead of waiting (stack_on_parents): its one parent that is not done yet,
 * when that parent is coded (in QA or merge) and neither blocked nor invalid. Undefined when it must wait.
 */
export function stackParent(item: WorkItem, s: Pick<StateView, 'item'>, stackOnParents: boolean): number | undefined {
  if (!stackOnParents || !item.dependsOn.length || item.dependsOn.includes(item.id) || findCycle(item, s)) return undefined;
  const open = item.dependsOn.filter((d) => {
    const st = s.item(d)?.stage;
    return st !== 'done' && st !== 'archived';
  });
  if (open.length !== 1) return undefined;
  const parent = s.item(open[0]);
  if (!parent || parent.blocked || parent.invalid || (parent.stage !== 'qa' && parent.stage !== 'merge')) return undefined;
  return parent.id;
}

/** The parent a story was started from, while that parent has not landed (done or archived with merged_at). */
export function stackedOn(item: WorkItem, s: Pick<StateView, 'item'>): number | undefined {
  const p = item.frontMatter.stacked_on;
  if (typeof p !== 'number') return undefined;
  const parent = s.item(p);
  if (!parent) return undefined;
  const landed = parent.stage === 'done' || (parent.stage === 'archived' && parent.frontMatter.merged_at !== undefined);
  return landed ? undefined : p;
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

/** The agents that could run a queued run: the run's pinned agent, else for a coder the story's pinned one, else every agent of the run's role. */
export function candidates(run: Pick<RunRecord, 'agent' | 'storyId' | 'role'>, item: WorkItem | undefined, agents: AgentSpec[]): { list: AgentSpec[]; pinned?: string } {
  const role = roleOf(run);
  const pinned = run.agent || (role === 'coder' ? item?.agent : undefined);
  if (pinned) {
    const a = agents.find((x) => x.name === pinned) ?? agents.find((x) => x.model === pinned && x.stage === role);
    return { list: a ? [a] : [], pinned };
  }
  return { list: agents.filter((a) => a.stage === role) };
}

/** The QA mode of a story: its `qa:` front matter, else the project's default_qa. */
export function qaModeOf(item: WorkItem, ctx: Pick<PolicyContext, 'config'>): string {
  return typeof item.frontMatter.qa === 'string' ? item.frontMatter.qa : ctx.config.project.defaultQa;
}

/** Why the story's agent run (queued, or none) has not started. */
function runWait(item: WorkItem, s: StateView, ctx: PolicyContext, who: string): string | undefined {
  const active = s.activeRun(item.id);
  if (active?.status === 'running') return undefined;
  if (ctx.stopped) return `waits for ${who}: ${ctx.stopped}`;
  if (ctx.budgetStop) return `waits for ${who}: ${ctx.budgetStop}`;
  const paused = s.agentState().paused;
  if (paused) return `waits for ${who}: the project is paused (${paused.reason}); resume it (huskies resume)`;
  if (!active) return undefined;
  const { list, pinned } = candidates(active, item, ctx.agents);
  if (pinned && !list.length) return `pinned to agent "${pinned}", which is not defined in .huskies/agents.toml`;
  const why = list.map((a) => agentUnavailable(a, s.agentState(), ctx.now)).filter((x): x is string => !!x);
  if (list.length && why.length === list.length) return `no agent can take it: ${why.join('; ')}`;
  const running = s.activeRuns().filter((r) => r.status === 'running').length;
  if (running >= ctx.config.project.maxCoders) return `queued for ${who}: all ${ctx.config.project.maxCoders} agent slots are busy`;
  return `queued for ${who}`;
}

/** What a story in QA or merge waits for. */
function stageWait(item: WorkItem, s: StateView, ctx: PolicyContext): string | undefined {
  if (s.activeRun(item.id)?.status === 'running') return undefined;
  if (item.stage === 'merge') {
    const failure = item.frontMatter.merge_failure;
    const parent = stackedOn(item, s);
    if (failure === undefined && parent !== undefined) {
      if (s.item(parent)?.stage === 'archived')
        return `stacked on #${parent}, which was archived without landing, and its branch holds #${parent}'s commits: remove stacked_on from its front matter to merge both, or demote it`;
      return `stacked on #${parent}: merged after #${parent} lands`;
    }
    if (failure === undefined) return ctx.stopped ? `waits to be merged: ${ctx.stopped}` : 'being merged into the base branch';
    const active = s.activeRun(item.id);
    if (active && roleOf(active) === 'mergemaster') return runWait(item, s, ctx, 'the mergemaster') ?? undefined;
    const kind = item.frontMatter.merge_failure_kind;
    const max = ctx.config.project.mergemasterAttempts;
    const fixIt = `fix it up (huskies fixup ${item.id}) or demote it`;
    if ((kind === 'conflict' || kind === 'gates') && max > 0) {
      if (!ctx.agents.some((a) => a.stage === 'mergemaster'))
        return `the merge failed: ${String(failure)} — no agent with stage = "mergemaster" in .huskies/agents.toml can resolve it: ${fixIt}`;
      const latest = s.latestRun(item.id);
      if (latest?.role === 'mergemaster' && latest.handled === 'stopped-by-user') return `the merge failed: ${String(failure)} — the mergemaster was stopped by you: ${fixIt}`;
      const spent = item.frontMatter.mergemaster_attempts;
      return `the merge failed: ${String(failure)} — a mergemaster starts on it${typeof spent === 'number' ? ` (attempt ${spent + 1} of ${max})` : ''}`;
    }
    return `the merge failed: ${String(failure)} — ${fixIt}`;
  }
  if (item.frontMatter.review_hold === true) return `held for review (review_hold): approve or reject it (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  const mode = qaModeOf(item, ctx);
  if (mode === 'human') return `waiting for your review: approve or reject it (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  if (mode === 'server' && !hasGates(ctx.config.project))
    return `QA mode "server" has no test command to run (add qa_command or a [[component]] test to .huskies/project.toml): approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
  if (mode === 'server') return ctx.stopped ? `waits for the QA gates: ${ctx.stopped}` : 'the QA gates run (qa: server)';
  if (mode === 'agent') {
    const active = s.activeRun(item.id);
    if (active) return runWait(item, s, ctx, 'the QA agent');
    if (!ctx.agents.some((a) => a.stage === 'qa'))
      return `QA mode "agent" needs an agent with stage = "qa" in .huskies/agents.toml: add one, or approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
    const latest = s.latestRun(item.id);
    if (latest?.role === 'qa' && latest.handled === 'stopped-by-user')
      return `the QA agent was stopped by you: start it again, or approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
    return ctx.stopped ? `waits for the QA agent: ${ctx.stopped}` : 'a QA agent reviews it (qa: agent)';
  }
  return `QA mode "${mode}" is not one of server, agent, human: approve or reject it yourself (huskies approve ${item.id} / huskies reject ${item.id} "why")`;
}

/** Why a story in current is not being worked on right now, or undefined when it is (or will be at once). */
export function whyWaiting(item: WorkItem, s: StateView, ctx: PolicyContext): string | undefined {
  if (item.invalid) return `invalid: ${item.invalid}`;
  if (item.blocked) return `blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}`;
  const busy = s.activeRun(item.id)?.status === 'running';
  if (item.frontMatter.paused === true && !busy && (item.stage === 'current' || item.stage === 'qa' || item.stage === 'merge'))
    return `paused${typeof item.frontMatter.paused_reason === 'string' ? ` (${item.frontMatter.paused_reason})` : ''}: no agent starts on it until you resume it (huskies resume ${item.id})`;
  const paused = s.agentState().paused;
  if (paused && !busy && item.stage === 'current') return `the project is paused (${paused.reason}): no agent starts until you resume it (huskies resume)`;
  if (item.stage === 'qa' || item.stage === 'merge') return stageWait(item, s, ctx);
  if (item.stage !== 'current') return undefined;
  const active = s.activeRun(item.id);
  if (active?.status === 'running') return undefined;
  const timer = s.timers().find((t) => t.storyId === item.id);
  if (timer) return `resumes at ${safeIso(timer.at)} (${timer.reason})`;
  const dep = dependencyWait(item, s);
  if (dep && stackParent(item, s, ctx.config.project.stackOnParents) === undefined) return dep;
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
