// The stage machine's rules for agent runs and timers: queue, launch, what a run learns, stop,
// ending (recorded once), what was done about it, waits; a scheduled timer's firing is in scheduleRules.
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { RunDisposition, RunRecord, RunStatus } from '../model/run';
import { isActive, roleOf } from '../model/run';
import type { Op, StateView } from '../state/types';
import { accept, newRun, refuse, type DecideContext, type Decision } from './decisions';
import { checkTransition } from './stageRules';
import { decideScheduledFire } from './scheduleRules';

export function decideRun(s: StateView, c: Extract<Command, { type: `run.${string}` | 'timer.fire' }>, ctx: DecideContext): Decision {
  switch (c.type) {
    case 'run.enqueue':
      return decideEnqueue(s, c, ctx);
    case 'run.launch': {
      const run = s.run(c.runId);
      if (!run || run.status !== 'queued') return refuse(`Run ${c.runId} is not queued.`);
      const running = s.activeRuns().filter((r) => r.status === 'running').length;
      if (running >= c.maxCoders) return refuse(`All ${c.maxCoders} agent slots are busy.`);
      const next: RunRecord = { ...run, status: 'running', agent: c.agent, runtime: c.runtime, startedAt: ctx.now };
      return accept([{ op: 'run.put', run: next }], [{ type: 'run.launched', run: next }], { id: run.storyId, runId: run.runId, reason: c.agent });
    }
    case 'run.workspace':
    case 'run.started':
    case 'run.session':
    case 'run.replied': {
      const run = s.run(c.runId);
      if (!run || run.status !== 'running') return refuse(`Run ${c.runId} is not running.`);
      let next: RunRecord;
      if (c.type === 'run.workspace') next = { ...run, worktree: c.worktree, branch: c.branch, baseCommit: run.baseCommit ?? c.baseCommit };
      else if (c.type === 'run.started') next = { ...run, pid: c.pid, pidStart: c.pidStart, supervisorPid: c.supervisorPid };
      else if (c.type === 'run.session') {
        if (run.sessionId === c.sessionId) return refuse('The session is known already.');
        next = { ...run, sessionId: c.sessionId };
      } else {
        if (run.modelReplied) return refuse('Known already.');
        next = { ...run, modelReplied: true };
      }
      return accept([{ op: 'run.put', run: next }], [{ type: 'run.updated', run: next }], { id: run.storyId, runId: run.runId });
    }
    case 'run.stop': {
      const run = s.activeRun(c.id);
      if (!run) return refuse(`Story ${c.id} has no agent running or queued.`);
      const handled: RunDisposition | undefined = c.byUser ? 'stopped-by-user' : c.handled;
      if (run.status === 'queued') {
        const reason = c.byUser ? 'removed from the queue by the user' : c.reason;
        const next: RunRecord = { ...run, status: 'stopped', outcome: c.kind, reason, endedAt: ctx.now, handled };
        return accept([{ op: 'run.put', run: next }], [{ type: 'run.ended', run: next, outcome: { ok: false, kind: c.kind, reason }, facts: {} }], {
          id: c.id,
          runId: run.runId,
          reason,
        });
      }
      const next: RunRecord = { ...run, stopRequested: { kind: c.kind, reason: c.reason, byUser: c.byUser, handled } };
      return accept([{ op: 'run.put', run: next }], [{ type: 'run.stopRequested', run: next }], { id: c.id, runId: run.runId, reason: c.reason });
    }
    case 'run.ended':
      return decideEnded(s, c, ctx);
    case 'run.handled': {
      const run = s.run(c.runId);
      if (!run) return refuse(`There is no run ${c.runId}.`);
      if (isActive(run)) return refuse(`Run ${c.runId} has not ended.`);
      if (run.handled) return refuse(`Run ${c.runId} was already handled (${run.handled}).`);
      const next: RunRecord = { ...run, handled: c.handled, ...(c.history ? { history: c.history } : {}) };
      return accept([{ op: 'run.put', run: next }], [{ type: 'run.handled', run: next }], { id: run.storyId, runId: run.runId, reason: c.handled });
    }
    case 'run.wait': {
      const run = s.run(c.runId);
      if (!run) return refuse(`There is no run ${c.runId}.`);
      if (run.handled) return refuse(`Run ${c.runId} was already handled (${run.handled}).`);
      const ops: Op[] = [{ op: 'run.put', run: { ...run, handled: 'rate_limited', retryAt: c.until } }];
      if (c.limitKey) {
        const a = s.agentState();
        ops.push({ op: 'agents.put', state: { ...a, rateLimited: { ...a.rateLimited, [c.limitKey]: { until: c.until, reason: c.reason } } } });
      }
      ops.push({
        op: 'timer.put',
        timer: {
          id: `resume-${run.runId}`,
          kind: 'resume',
          storyId: run.storyId,
          at: c.until,
          runId: run.runId,
          sessionId: c.resumeSession ? run.sessionId : undefined,
          agent: run.agent || undefined,
          reason: c.reason,
        },
      });
      return accept(ops, [{ type: 'run.waiting', run: { ...run, handled: 'rate_limited', retryAt: c.until }, key: c.limitKey, until: c.until, reason: c.reason }], {
        id: run.storyId,
        runId: run.runId,
        reason: c.reason,
      });
    }
    case 'timer.fire':
      return decideTimer(s, c, ctx);
  }
}

function decideEnqueue(s: StateView, c: Extract<Command, { type: 'run.enqueue' }>, ctx: DecideContext): Decision {
  const item = s.item(c.id);
  if (!item) return refuse(`There is no story ${c.id}.`);
  if (item.invalid) return refuse(`Story ${c.id} is invalid: ${item.invalid}`);
  if (item.blocked) return refuse(`Story ${c.id} is blocked${item.blockedReason ? `: ${item.blockedReason}` : ''}.`);
  const active = s.activeRun(c.id);
  if (active) return refuse(`Story ${c.id} already has an agent ${active.status === 'queued' ? 'queued' : 'running'} (${active.agent || 'unassigned'}).`);
  const ops: Op[] = [];
  const events: HuskiesEvent[] = [];
  let stage = item.stage;
  if (stage === 'backlog') {
    const why = checkTransition(item, 'start');
    if (why) return refuse(why);
    ops.push({ op: 'item.move', id: c.id, to: 'current' });
    events.push({ type: 'item.moved', id: c.id, from: 'backlog', to: 'current', source: c.source, kind: 'start', reason: 'agent started' });
    stage = 'current';
  } else if (c.role === 'mergemaster') {
    if (stage !== 'merge' || item.frontMatter.merge_failure === undefined) return refuse(`Story ${c.id} has no failed merge for a mergemaster to resolve.`);
  } else if (c.role === 'qa' && stage !== 'qa') {
    return refuse(`Story ${c.id} is in ${stage}; a QA agent reviews stories in qa.`);
  } else if (stage !== 'current' && stage !== 'qa') {
    return refuse(`Story ${c.id} is in ${stage}; agents work on stories in backlog, current or qa.`);
  }
  if (c.stackOn !== undefined) {
    const parent = s.item(c.stackOn);
    if (!item.dependsOn.includes(c.stackOn)) return refuse(`Story ${c.id} does not depend on #${c.stackOn}.`);
    if (!parent || (parent.stage !== 'qa' && parent.stage !== 'merge')) return refuse(`#${c.stackOn} is not coded (in QA or merge): story ${c.id} cannot start from its branch.`);
    ops.push({ op: 'item.patch', id: c.id, patch: { stacked_on: c.stackOn } });
  }
  if (c.supersedes) {
    const old = s.run(c.supersedes.runId);
    if (!old) return refuse(`There is no run ${c.supersedes.runId}.`);
    if (old.handled && !c.supersedes.ifUnhandled) return refuse(`Run ${old.runId} was already handled (${old.handled}).`);
    if (!old.handled) ops.push({ op: 'run.put', run: { ...old, handled: c.supersedes.handled } });
  }
  if (c.clearTimers) for (const t of s.timers()) if (t.storyId === c.id) ops.push({ op: 'timer.remove', id: t.id });
  const run = newRun(c.id, stage, ctx, c);
  ops.push({ op: 'run.put', run });
  events.push({ type: 'run.queued', run, source: c.source });
  const moved = stage !== item.stage ? { from: item.stage, to: stage } : {};
  return accept(ops, events, { id: c.id, runId: run.runId, reason: c.reason, ...moved });
}

function decideEnded(s: StateView, c: Extract<Command, { type: 'run.ended' }>, ctx: DecideContext): Decision {
  const run = s.run(c.runId);
  if (!run) return refuse(`There is no run ${c.runId}.`);
  if (!isActive(run)) return refuse(`Run ${c.runId} has ended already.`);
  let outcome = c.outcome;
  const item = s.item(run.storyId);
  if (outcome.ok && !c.facts.question && item?.stage === 'current' && c.facts.commitsAhead === 0) {
    outcome = { ...outcome, ok: false, kind: 'failed', reason: 'the agent finished without committing anything in its worktree' };
  }
  let handled: RunDisposition | undefined;
  if (run.stopRequested) {
    outcome = { ...outcome, ok: false, kind: run.stopRequested.kind, reason: run.stopRequested.reason };
    handled = run.stopRequested.handled;
  }
  const status: RunStatus = outcome.ok ? 'succeeded' : outcome.kind === 'cancelled' ? 'stopped' : 'failed';
  const next: RunRecord = {
    ...run,
    status,
    outcome: outcome.kind,
    reason: outcome.ok ? undefined : outcome.reason,
    endedAt: ctx.now,
    usage: outcome.usage ?? run.usage,
    costUsd: outcome.costUsd ?? run.costUsd,
    sessionId: outcome.sessionId ?? run.sessionId,
    retryAt: outcome.retryAt,
    pid: undefined,
    pidStart: undefined,
    supervisorPid: undefined,
    lastSeq: Math.max(run.lastSeq, c.lastSeq),
    ...(handled ? { handled } : {}),
  };
  const ops: Op[] = [{ op: 'run.put', run: next }];
  if (run.startedAt) {
    ops.push({
      op: 'usage.append',
      line: {
        ts: new Date(ctx.now).toISOString(),
        story: run.storyId,
        agent: run.agent,
        runtime: run.runtime,
        runId: run.runId,
        outcome: outcome.kind,
        durationMs: ctx.now - run.startedAt,
        costUsd: outcome.costUsd ?? 0,
        usage: outcome.usage,
      },
    });
  }
  return accept(ops, [{ type: 'run.ended', run: next, outcome, facts: c.facts }], {
    id: run.storyId,
    runId: run.runId,
    reason: `${status}${next.reason ? `: ${next.reason}` : ''}`,
  });
}

const STAGE_OF = { coder: 'current', qa: 'qa', mergemaster: 'merge' } as const;
const GO_ON = {
  coder: 'Continue the story where you left off, and commit your work when it is done.',
  qa: 'Continue your review where you left off, and write your verdict file when it is done.',
  mergemaster: 'Continue resolving the merge where you left off, and commit the resolution when it is done.',
};

function decideTimer(s: StateView, c: Extract<Command, { type: 'timer.fire' }>, ctx: DecideContext): Decision {
  const timer = s.timers().find((t) => t.id === c.timerId);
  if (!timer) return decideScheduledFire(s, c, ctx);
  const ops: Op[] = [{ op: 'timer.remove', id: timer.id }];
  const item = s.item(timer.storyId);
  const skip = (why: string) => accept(ops, [{ type: 'timer.fired', timer, skipped: why }], { id: timer.storyId, reason: why });
  if (!item) return skip(`story ${timer.storyId} is gone`);
  const last = timer.runId ? s.run(timer.runId) : s.latestRun(timer.storyId);
  // A wait resumes the work it interrupted: coding, a QA review or a mergemaster's resolution.
  const role = last ? roleOf(last) : 'coder';
  if (item.stage !== STAGE_OF[role]) return skip(`story ${timer.storyId} is in ${item.stage}`);
  if (role === 'mergemaster' && item.frontMatter.merge_failure === undefined) return skip(`story ${timer.storyId} has no failed merge any more`);
  if (item.stage === 'merge' && item.frontMatter.merge_failure === undefined) return skip(`story ${timer.storyId} is being merged`);
  if (item.blocked) return skip(`story ${timer.storyId} is blocked`);
  if (s.activeRun(timer.storyId)) return skip(`story ${timer.storyId} already has an agent`);
  // A session the model never answered in holds nothing to resume (and some programs refuse it).
  const sessionId = timer.sessionId && s.runs().some((r) => r.sessionId === timer.sessionId && r.modelReplied) ? timer.sessionId : undefined;
  const run = newRun(timer.storyId, item.stage, ctx, {
    agent: timer.agent,
    role: last?.role,
    attempt: last?.attempt ?? 1,
    history: last?.history,
    sessionId,
    prompt: sessionId ? `${/rate|limit|quota/i.test(timer.reason) ? 'The rate limit has lifted.' : 'The wait is over.'} ${GO_ON[role]}` : undefined,
  });
  ops.push({ op: 'run.put', run });
  return accept(ops, [{ type: 'timer.fired', timer, run }], { id: timer.storyId, runId: run.runId, reason: timer.reason });
}
