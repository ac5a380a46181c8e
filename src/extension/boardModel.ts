// Turns the orchestrator's snapshot into what the board shows. No vscode import: unit-tested.
import * as path from 'node:path';
import { describeAction, describePredicate, describeSchedule, type RunRecord, type Snapshot } from '../core/api';
import type { AgentView, BoardState, CardView, RunView } from '../protocol/messages';
import { helpLabel } from './helpActions';

export function runView(r: RunRecord): RunView {
  return {
    runId: r.runId,
    storyId: r.storyId,
    agent: r.agent,
    runtime: r.runtime,
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
      run: run ? runView(run) : undefined,
      costUsd: snap.costByStory?.get(it.id)?.costUsd ?? cost.get(it.id),
      question: typeof it.frontMatter.question === 'string' ? it.frontMatter.question : undefined,
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
  const now = Date.now();
  const agents: AgentView[] = (snap.agents ?? []).map((a) => {
    const pf = snap.preflight?.find((p) => p.agent === a.name);
    const rl = [snap.rateLimits?.[a.name], snap.rateLimits?.[`runtime:${a.runtime}`]].filter((r) => r && r.until > now).sort((x, y) => y!.until - x!.until)[0];
    return {
      name: a.name,
      runtime: a.runtime,
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

/** The status-bar text: running and queued agents, at a glance. */
export function statusText(snap: Pick<Snapshot, 'running' | 'queued' | 'initialized'> & Partial<Pick<Snapshot, 'projectPaused'>>): string {
  if (!snap.initialized) return '$(circle-outline) Huskies';
  if (snap.projectPaused) return `$(debug-pause) Huskies: paused${snap.running ? `, ${snap.running} finishing` : ''}`;
  if (snap.running > 0) return `$(sync~spin) Huskies: ${snap.running} running${snap.queued ? `, ${snap.queued} queued` : ''}`;
  if (snap.queued > 0) return `$(clock) Huskies: ${snap.queued} queued`;
  return '$(check) Huskies: idle';
}
