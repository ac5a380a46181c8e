// Stuck work: ready stories no agent can take, a pipeline that has not moved for a long time, a
// running agent that has gone silent, stories that wait on something that will never happen.
// Each finding is a help request; the tracker raises it once, then again with a growing interval
// while its reason holds, at once when the reason changes, and forgets it when it clears.
import type { HelpAction, HelpRequest } from '../model/commands';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import type { StateView } from '../state/types';
import type { PolicyContext } from './types';
import { agentUnavailable, candidates, dependencyWait, qaModeOf, safeIso, stackParent } from './waits';

/** A finding before the tracker dates it. */
export type HelpFinding = Omit<HelpRequest, 'since'>;

const board: HelpAction = { kind: 'openBoard' };

/** A story in current that an agent could start on now, if one were free: nothing else holds it back. */
function isReady(it: WorkItem, s: StateView, ctx: PolicyContext): boolean {
  if (it.stage !== 'current' || it.invalid || it.blocked || it.frontMatter.paused === true) return false;
  const active = s.activeRun(it.id);
  if (active?.status === 'running') return false;
  if (s.timers().some((t) => t.storyId === it.id)) return false;
  if (dependencyWait(it, s) && stackParent(it, s, ctx.config.project.stackOnParents) === undefined) return false;
  if (!active && s.latestRun(it.id)?.handled === 'stopped-by-user') return false;
  return true;
}

/** Ready work and no agent able to take it: every coder drained or rate-limited, none defined, or the budget spent. */
export function noAgentForReadyWork(s: StateView, ctx: PolicyContext): HelpFinding | undefined {
  if (ctx.stopped || s.agentState().paused) return undefined;
  const ready = s.items().filter((it) => isReady(it, s, ctx));
  if (!ready.length) return undefined;
  const ids = ready.map((it) => `#${it.id}`).join(', ');
  const what = `${ready.length === 1 ? 'Story' : 'Stories'} ${ids} ${ready.length === 1 ? 'is' : 'are'} ready`;
  if (ctx.budgetStop) return { key: 'no-agent', reason: `${what}, but ${ctx.budgetStop}`, actions: [board] };
  const coders = ctx.agents.filter((a) => a.stage === 'coder');
  if (!coders.length) return { key: 'no-agent', reason: `${what}, but no agent with stage = "coder" is defined in .huskies/agents.toml.`, actions: [board] };
  const why = coders.map((a) => ({ a, why: agentUnavailable(a, s.agentState(), ctx.now) }));
  if (why.some((w) => !w.why)) return undefined;
  const drained = why.filter((w) => s.agentState().drained[w.a.name]).map((w): HelpAction => ({ kind: 'acknowledge', agent: w.a.name }));
  return { key: 'no-agent', reason: `${what}, but no agent can take ${ready.length === 1 ? 'it' : 'them'}: ${why.map((w) => w.why).join('; ')}`, actions: [...drained, board] };
}

/** Why a story waits on something that will never happen, with what the user can do; undefined when it does not. */
export function neverHappens(it: WorkItem, s: StateView, ctx: PolicyContext): HelpFinding | undefined {
  if (it.invalid || it.blocked) return undefined;
  const key = `never:${it.id}`;
  const open: HelpAction = { kind: 'openStory', storyId: it.id };
  if (it.stage === 'current') {
    const dep = dependencyWait(it, s);
    if (dep && /itself|cycle|not exist/.test(dep)) return { key, storyId: it.id, reason: `#${it.id} ${dep}`, actions: [open] };
    const dropped = it.dependsOn.filter((d) => {
      const p = s.item(d);
      return p?.stage === 'archived' && p.frontMatter.merged_at === undefined;
    });
    if (dropped.length && !s.latestRun(it.id))
      return {
        key,
        storyId: it.id,
        reason: `#${it.id} depends on ${dropped.map((d) => `#${d}`).join(', ')}, archived without being merged: it would start without that work; edit depends_on or archive it too`,
        actions: [open],
      };
    const active = s.activeRun(it.id);
    const pinned = candidates(active ?? { agent: '', storyId: it.id }, it, ctx.agents);
    if (pinned.pinned && !pinned.list.length)
      return { key, storyId: it.id, reason: `#${it.id} is pinned to agent "${pinned.pinned}", which is not defined in .huskies/agents.toml`, actions: [open] };
    return undefined;
  }
  if (it.stage === 'qa' && !s.activeRun(it.id) && it.frontMatter.review_hold !== true && qaModeOf(it, ctx) === 'agent' && !ctx.agents.some((a) => a.stage === 'qa'))
    return {
      key,
      storyId: it.id,
      reason: `#${it.id} waits for a QA agent (qa: agent), but no agent with stage = "qa" is defined in .huskies/agents.toml: add one, or review it yourself`,
      actions: [{ kind: 'review', storyId: it.id }, open],
    };
  if (it.stage === 'merge' && it.frontMatter.merge_failure !== undefined && !s.activeRun(it.id)) {
    const kind = it.frontMatter.merge_failure_kind;
    const helped = (kind === 'conflict' || kind === 'gates') && ctx.config.project.mergemasterAttempts > 0 && ctx.agents.some((a) => a.stage === 'mergemaster');
    if (helped) return undefined;
    const latest = s.latestRun(it.id);
    return {
      key,
      storyId: it.id,
      reason: `#${it.id}'s merge failed (${String(it.frontMatter.merge_failure)}) and no mergemaster will resolve it: fix it up or demote it`,
      actions: [{ kind: 'fixup', storyId: it.id }, ...(latest ? [{ kind: 'showOutput' as const, runId: latest.runId }] : []), open],
    };
  }
  return undefined;
}

/** Every finding that needs no memory of the past: ready work without an agent, and waits that never end. */
export function findStuck(s: StateView, ctx: PolicyContext): HelpFinding[] {
  const out: HelpFinding[] = [];
  const none = noAgentForReadyWork(s, ctx);
  if (none) out.push(none);
  for (const it of s.items()) {
    const f = neverHappens(it, s, ctx);
    if (f) out.push(f);
  }
  return out;
}

/** What moved: each story's stage and every ended run. A change of this is progress. */
export function progressMark(s: StateView): string {
  const stages = s.items().map((it) => `${it.id}:${it.stage}`);
  const ended = s.runs().filter((r) => r.status !== 'queued' && r.status !== 'running').length;
  return `${stages.join(',')}|${ended}`;
}

/** Work that is open and expected to move: in current, QA or merge, neither blocked, invalid nor paused. */
function openWork(s: StateView): WorkItem[] {
  if (s.agentState().paused) return [];
  return s.items().filter((it) => (it.stage === 'current' || it.stage === 'qa' || it.stage === 'merge') && !it.blocked && !it.invalid && it.frontMatter.paused !== true);
}

export interface TrackerOptions {
  /** First repeat after this long; each later one waits twice as long, up to maxRepeatMs. */
  firstRepeatMs?: number;
  maxRepeatMs?: number;
  /** A finding is raised only once it has held this long (a moment between two runs is not stuck). */
  holdMs?: number;
}

interface Tracked {
  request: HelpRequest;
  raisedAt?: number;
  interval: number;
  nextAt: number;
}

/** Remembers what was seen and raised; driven by the 1 s tick with the injected clock's time. */
export class StuckTracker {
  private readonly firstRepeatMs: number;
  private readonly maxRepeatMs: number;
  private readonly holdMs: number;
  private tracked = new Map<string, Tracked>();
  private lastMark?: string;
  private lastProgress: number;
  private output = new Map<string, { mark: number; since: number }>();

  constructor(start: number, o: TrackerOptions = {}) {
    this.firstRepeatMs = o.firstRepeatMs ?? 5 * 60_000;
    this.maxRepeatMs = o.maxRepeatMs ?? 4 * 3_600_000;
    this.holdMs = o.holdMs ?? 30_000;
    this.lastProgress = start;
  }

  /** The findings that depend on time: no progress on the pipeline, and running agents whose output stands still. */
  timed(s: StateView, ctx: PolicyContext, outputMark: (run: RunRecord) => number): HelpFinding[] {
    const now = ctx.now;
    const limitMs = ctx.config.project.stuckAfterMinutes * 60_000;
    const mark = progressMark(s);
    if (mark !== this.lastMark) {
      this.lastMark = mark;
      this.lastProgress = now;
    }
    const out: HelpFinding[] = [];
    const running = s.activeRuns().filter((r) => r.status === 'running');
    const seen = new Set<string>();
    for (const run of running) {
      seen.add(run.runId);
      const m = outputMark(run);
      const prev = this.output.get(run.runId);
      if (!prev || prev.mark !== m) this.output.set(run.runId, { mark: m, since: now });
      else if (now - prev.since >= limitMs)
        out.push({
          key: `silent:${run.runId}`,
          storyId: run.storyId,
          reason: `${run.agent || 'The agent'} on #${run.storyId} has written no output since ${safeIso(prev.since)}`,
          actions: [{ kind: 'showOutput', runId: run.runId }, board],
        });
    }
    for (const id of [...this.output.keys()]) if (!seen.has(id)) this.output.delete(id);
    const open = openWork(s);
    if (open.length && now - this.lastProgress >= limitMs)
      out.push({
        key: 'no-progress',
        reason: `No story has moved and no run has ended since ${safeIso(this.lastProgress)} while ${open.map((it) => `#${it.id}`).join(', ')} ${open.length === 1 ? 'is' : 'are'} open`,
        actions: [...running.slice(0, 1).map((r): HelpAction => ({ kind: 'showOutput', runId: r.runId })), board],
      });
    return out;
  }

  /** Takes this tick's findings; returns the requests to raise now (new, changed, or due again). */
  update(found: readonly HelpFinding[], now: number): HelpRequest[] {
    const raise: HelpRequest[] = [];
    const keys = new Set<string>();
    for (const f of found) {
      keys.add(f.key);
      const t = this.tracked.get(f.key);
      if (!t || t.request.reason !== f.reason) {
        const since = t?.request.since ?? now;
        this.tracked.set(f.key, { request: { ...f, since }, interval: this.firstRepeatMs, nextAt: Math.max(now, since + this.holdMs) });
      } else t.request = { ...f, since: t.request.since };
    }
    for (const k of [...this.tracked.keys()]) if (!keys.has(k)) this.tracked.delete(k);
    for (const t of this.tracked.values()) {
      if (now < t.nextAt) continue;
      if (t.raisedAt !== undefined) t.interval = Math.min(t.interval * 2, this.maxRepeatMs);
      t.raisedAt = now;
      t.nextAt = now + t.interval;
      raise.push(t.request);
    }
    return raise;
  }

  /** The requests raised and still standing. */
  current(): HelpRequest[] {
    return [...this.tracked.values()].filter((t) => t.raisedAt !== undefined).map((t) => t.request);
  }
}
