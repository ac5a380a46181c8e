// Turns the orchestrator's snapshot into what the board shows. No vscode import: unit-tested.
import * as path from 'node:path';
import { describeAction, describePredicate, describeSchedule, type AgentSpec, type RunRecord, type Snapshot } from '../core/api';
import type { AgentView, BoardState, CardView, RunView } from '../protocol/messages';
import { programName } from '../protocol/programs';
import { helpLabel } from './helpActions';

/** A run as the board and the output panel show it; `agents` names a custom command's program. */
export function runView(r: RunRecord, agents?: readonly AgentSpec[]): RunView {
  const program = programName(r.runtime, agents?.find((a) => a.name === r.agent)?.program);
  return {
    runId: r.runId,
    storyId: r.storyId,
    agent: r.agent,
    runtime: r.runtime,
    ...(program ? { program } : {}),
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    reason: r.reason,
    outcome: r.outcome,
    costUsd: r.costUsd,
    inputTokens: r.usage?.inputTokens,
    outputTokens: r.usage?.outputTokens,
    lastSeq: r.lastSeq,
  };
}

/** The latest rate limit on an agent (its own, or its runtime's account-wide one) that still holds, if any. */
function limitOn(snap: Snapshot, a: AgentSpec, now: number): number | undefined {
  const until = [snap.rateLimits?.[a.name]?.until, snap.rateLimits?.[`runtime:${a.runtime}`]?.until].filter((u): u is number => u !== undefined && u > now);
  return until.length ? Math.max(...until) : undefined;
}

/**
 * When the story's next run waits for one agent that is rate-limited (a queued run pinned to it, or a
 * resume timer for it): that agent, until when, and the other coder agents that could take the story
 * now (not limited, not drained, their program found; none for a QA agent or a mergemaster).
 */
export function agentLimitOf(it: Snapshot['items'][number], snap: Snapshot, now: number): CardView['agentLimit'] {
  const run = snap.latestRun.get(it.id);
  let name: string | undefined;
  if (run?.status === 'queued') name = run.agent || ((run.role ?? 'coder') === 'coder' ? it.agent : undefined);
  else if (run?.status !== 'running') name = snap.timers?.find((t) => t.storyId === it.id)?.agent;
  const agents = snap.agents ?? [];
  const spec = name ? (agents.find((a) => a.name === name) ?? agents.find((a) => a.model === name)) : undefined;
  const until = spec && limitOn(snap, spec, now);
  if (!spec || until === undefined) return undefined;
  // Another agent starts the story as its coder (startAgent): a QA or merge run waits for its own agent.
  const others = agents
    .filter((a) => spec.stage === 'coder' && a.name !== spec.name && a.stage === 'coder' && limitOn(snap, a, now) === undefined && !snap.drained?.[a.name])
    .filter((a) => snap.preflight?.find((p) => p.agent === a.name)?.ok !== false)
    .map((a) => a.name);
  return { agent: spec.name, until, others };
}

/** A wait that asks the user for a verdict on a story in QA (qa: human, review_hold, no gates to run). */
export const REVIEW_WAIT = /approve or reject it/;

export function buildBoardState(snap: Snapshot): BoardState {
  const cost = new Map<number, number>();
  const runCount = new Map<number, number>();
  const workspace = new Map<number, { branch: boolean; worktree: boolean }>();
  for (const r of snap.runs) {
    if (r.costUsd) cost.set(r.storyId, (cost.get(r.storyId) ?? 0) + r.costUsd);
    runCount.set(r.storyId, (runCount.get(r.storyId) ?? 0) + 1);
    const w = workspace.get(r.storyId) ?? { branch: false, worktree: false };
    workspace.set(r.storyId, { branch: w.branch || !!r.branch || !!r.worktree, worktree: w.worktree || !!r.worktree });
  }
  const now = Date.now();
  const cards: CardView[] = snap.items.map((it) => {
    const run = snap.latestRun.get(it.id);
    const inProgress = it.stage === 'current' || it.stage === 'qa' || it.stage === 'merge';
    const merged = (it.stage === 'done' || it.stage === 'archived') && typeof it.frontMatter.merge_commit === 'string';
    const failure = it.frontMatter.merge_failure;
    const wait = snap.waits?.get(it.id);
    return {
      id: it.id,
      type: it.type,
      name: it.name,
      stage: it.stage,
      fileName: it.fileName,
      criteriaDone: it.criteria.filter((c) => c.done).length,
      criteriaTotal: it.criteria.length,
      agent: run?.agent || it.agent,
      blocked: it.blocked,
      blockedReason: it.blockedReason,
      invalid: it.invalid,
      run: run ? runView(run, snap.agents) : undefined,
      costUsd: snap.costByStory?.get(it.id)?.costUsd ?? cost.get(it.id),
      question: typeof it.frontMatter.question === 'string' ? it.frontMatter.question : undefined,
      questionOptions: questionOptions(it.frontMatter),
      agentLimit: agentLimitOf(it, snap, now),
      resumeAt: snap.timers?.find((t) => t.storyId === it.id)?.at,
      // Blocked, invalid and resume-timer waits have lines of their own on the card.
      // So are a merge failure's.
      waiting:
        it.blocked || it.invalid || it.frontMatter.paused === true || (it.stage === 'merge' && failure != null) || snap.timers?.some((t) => t.storyId === it.id) ? undefined : wait,
      reviewable: (inProgress && !!workspace.get(it.id)?.branch) || merged,
      hasWorktree: inProgress && !!workspace.get(it.id)?.worktree,
      mergeFailure: it.stage === 'merge' && failure != null ? String(failure) : undefined,
      needsReview: it.stage === 'qa' && !it.blocked && run?.status !== 'running' && run?.status !== 'queued' && !!wait && REVIEW_WAIT.test(wait),
      runCount: runCount.get(it.id) ?? 0,
      stackedOn: typeof it.frontMatter.stacked_on === 'number' && inProgress ? it.frontMatter.stacked_on : undefined,
      paused: it.frontMatter.paused === true ? (typeof it.frontMatter.paused_reason === 'string' && it.frontMatter.paused_reason) || 'paused' : undefined,
      note: typeof it.frontMatter.note === 'string' && it.frontMatter.note ? it.frontMatter.note : undefined,
    };
  });
  const agents: AgentView[] = (snap.agents ?? []).map((a) => {
    const pf = snap.preflight?.find((p) => p.agent === a.name);
    const rl = [snap.rateLimits?.[a.name], snap.rateLimits?.[`runtime:${a.runtime}`]].filter((r) => r && r.until > now).sort((x, y) => y!.until - x!.until)[0];
    return {
      name: a.name,
      runtime: a.runtime,
      program: programName(a.runtime, a.program),
      running: snap.runs.filter((r) => r.status === 'running' && r.agent === a.name).length,
      ok: pf ? pf.ok : true,
      status: pf ? pf.message : 'checking…',
      rateLimitedUntil: rl?.until,
      drained: snap.drained?.[a.name]?.reason,
      costUsd: snap.costByAgent?.get(a.name)?.costUsd ?? 0,
    };
  });
  return {
    projectName: path.basename(snap.root),
    initialized: snap.initialized,
    trusted: snap.trusted,
    cards,
    running: snap.running,
    queued: snap.queued,
    maxCoders: snap.maxCoders,
    problems: snap.problems,
    // before a project exists there is no agent to show (the built-in one is only a default for a project)
    agents: snap.initialized ? agents : [],
    spentToday: snap.spentToday ?? 0,
    paused: snap.paused,
    help: (snap.help ?? []).map((h) => ({ key: h.key, storyId: h.storyId, reason: h.reason, since: h.since, actions: h.actions.map(helpLabel) })),
    project: { paused: snap.projectPaused ? { since: snap.projectPaused.since, reason: snap.projectPaused.reason } : undefined, notes: (snap.notes ?? []).slice(-5) },
    timers: (snap.scheduled ?? []).map((t) => ({
      id: t.id,
      name: t.name,
      schedule: describeSchedule(t.schedule, t.timezone),
      action: describeAction(t.action),
      nextAt: t.nextAt,
      fired: t.fired,
      lastError: t.lastError,
    })),
    triggers: (snap.triggers ?? []).map((t) => ({
      id: t.id,
      name: t.name,
      when: describePredicate(t),
      action: describeAction(t.action),
      mode: t.mode,
      fired: t.fired,
      lastError: t.lastError,
      disabled: t.disabled,
    })),
  };
}

/** The options of an open question (front matter question_options), when it has an open question and they are strings. */
function questionOptions(fm: Record<string, unknown>): string[] | undefined {
  const o = fm.question_options;
  if (typeof fm.question !== 'string' || !Array.isArray(o)) return undefined;
  const list = o.filter((x): x is string => typeof x === 'string' && x.trim() !== '').slice(0, 10);
  return list.length ? list : undefined;
}

/** The status-bar text: running and queued agents, at a glance. */
export function statusText(snap: Pick<Snapshot, 'running' | 'queued' | 'initialized'> & Partial<Pick<Snapshot, 'projectPaused'>>): string {
  if (!snap.initialized) return '$(circle-outline) Huskies';
  if (snap.projectPaused) return `$(debug-pause) Huskies: paused${snap.running ? `, ${snap.running} finishing` : ''}`;
  if (snap.running > 0) return `$(pulse) Huskies: ${snap.running} running${snap.queued ? `, ${snap.queued} queued` : ''}`;
  if (snap.queued > 0) return `$(clock) Huskies: ${snap.queued} queued`;
  return '$(check) Huskies: idle';
}
