// Turns the orchestrator's snapshot into what the board shows. No vscode import: unit-tested.
import * as path from 'node:path';
import type { RunRecord, Snapshot } from '../core/api';
import type { AgentView, BoardState, CardView, RunView } from '../protocol/messages';

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

export function buildBoardState(snap: Snapshot): BoardState {
  const cost = new Map<number, number>();
  for (const r of snap.runs) if (r.costUsd) cost.set(r.storyId, (cost.get(r.storyId) ?? 0) + r.costUsd);
  const cards: CardView[] = snap.items.map((it) => {
    const run = snap.latestRun.get(it.id);
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
      waiting: it.blocked || it.invalid || snap.timers?.some((t) => t.storyId === it.id) ? undefined : snap.waits?.get(it.id),
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
    agents,
    spentToday: snap.spentToday ?? 0,
    paused: snap.paused,
  };
}

/** The status-bar text: running and queued agents, at a glance. */
export function statusText(snap: Pick<Snapshot, 'running' | 'queued' | 'initialized'>): string {
  if (!snap.initialized) return '$(circle-outline) Huskies';
  if (snap.running > 0) return `$(sync~spin) Huskies: ${snap.running} running${snap.queued ? `, ${snap.queued} queued` : ''}`;
  if (snap.queued > 0) return `$(clock) Huskies: ${snap.queued} queued`;
  return '$(check) Huskies: idle';
}
