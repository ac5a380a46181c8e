// What happens after a run ends: a question blocks the story, a rate limit or an overload waits
// with backoff, commits move the story to QA, a lost session starts afresh, a failure is retried
// or blocks the story, and the agent's failures in a row are counted (drain).
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import { roleOf, type RunDisposition, type RunRecord } from '../model/run';
import { isLostSession } from '../pipeline/stageMachine';
import type { StateView } from '../state/types';
import type { PolicyContext } from './types';

type Ended = Extract<HuskiesEvent, { type: 'run.ended' }>;

/** An overloaded API or a dead endpoint is retried with backoff this many times, then the story is blocked. */
export const MAX_TRANSIENT = 5;
const TRANSIENT_BASE_MS = 60_000;
const TRANSIENT_CAP_MS = 30 * 60_000;
/** A reset further away than this is not believed (a bad line from the program). */
const MAX_WAIT_MS = 7 * 24 * 3600_000;

const TRANSIENT = new Set(['overloaded', 'network']);

export function runEndings(e: Ended, s: StateView, ctx: PolicyContext): Command[] {
  const { run, facts } = e;
  if (run.handled) return []; // stopped by the user or moved away: settled when it ended
  const role = roleOf(run);
  const outcome = judged(e);
  const item = s.item(run.storyId);
  const out: Command[] = [];
  const kind = outcome.kind as string;
  const counts = run.agent && !outcome.ok && kind !== 'cancelled' && kind !== 'orphaned' && kind !== 'rate_limited' && !TRANSIENT.has(kind) && !facts.question;
  if (counts) out.push({ type: 'agent.failure', name: run.agent, reason: outcome.reason ?? kind, threshold: ctx.config.project.drainAfterFailures });
  if (run.agent && outcome.ok) out.push({ type: 'agent.success', name: run.agent });

  if (!item) return [...out, { type: 'run.handled', runId: run.runId, handled: 'moved-away' }];
  if (facts.question)
    return [
      ...out,
      { type: 'item.ask', id: item.id, runId: run.runId, question: facts.question, ...(facts.questionOptions ? { options: facts.questionOptions } : {}), source: 'agent' },
    ];
  if (kind === 'rate_limited') {
    const until = clampWait(outcome.retryAt, ctx.now, 5 * 60_000);
    // Subscription and usage limits belong to the account, so they hold for every agent of that runtime.
    const accountWide = run.runtime !== 'sim' && run.runtime !== 'command';
    return [
      ...out,
      {
        type: 'run.wait',
        runId: run.runId,
        limitKey: accountWide ? `runtime:${run.runtime}` : run.agent || undefined,
        until,
        reason: outcome.reason ?? 'rate limited',
        resumeSession: true,
      },
    ];
  }
  if (TRANSIENT.has(kind)) {
    const n = transientInARow(s.runsForStory(run.storyId));
    if (n > MAX_TRANSIENT) {
      const why = `${kind === 'overloaded' ? 'the API stayed overloaded' : 'the API could not be reached'} for ${n} attempts in a row; last: ${outcome.reason ?? kind}. Unblock the story to try again.`;
      return [...out, { type: 'item.block', id: item.id, reason: why, source: 'orchestrator', runId: run.runId, handled: 'blocked' }];
    }
    const delay = Math.min(TRANSIENT_BASE_MS * 2 ** (n - 1), TRANSIENT_CAP_MS);
    return [
      ...out,
      {
        type: 'run.wait',
        runId: run.runId,
        until: ctx.now + delay,
        reason: `${outcome.reason ?? kind} (attempt ${n} of ${MAX_TRANSIENT}; next try in ${Math.round(delay / 60_000)} min)`,
        resumeSession: true,
      },
    ];
  }
  const home = role === 'qa' ? ['qa'] : role === 'mergemaster' ? ['merge'] : ['current', 'qa'];
  if (!home.includes(item.stage)) return [...out, { type: 'run.handled', runId: run.runId, handled: 'moved-away' }];
  if (role !== 'coder' && (outcome.ok || kind === 'failed')) return [...out, ...reviewerEnding(e, outcome, ctx)];
  if (outcome.ok) {
    if (item.stage === 'current')
      out.push({ type: 'item.transition', id: item.id, kind: 'coded', source: 'orchestrator', reason: codedReason(run, facts.commitsAhead, facts.dirty) });
    return [...out, { type: 'run.handled', runId: run.runId, handled: 'coded' }];
  }
  // Cut off by a shutdown or a crash, not by its own failure: resume the same session.
  if (kind === 'orphaned') return [...out, again(run, 'resumed', { sessionId: run.sessionId, agent: run.agent || item.agent, reason: 'resumed after the orchestrator stopped' })];
  if (kind === 'cancelled') return out;
  // The program has no such session: start afresh in the same worktree rather than fail on the resume again.
  if (run.sessionId && isLostSession(outcome.reason)) return [...out, again(run, 'session-lost', { agent: run.agent, reason: `session ${run.sessionId} cannot be resumed` })];
  const reason = outcome.reason ?? 'failed';
  const history = [...(run.history ?? []), reason].slice(-5);
  if (kind === 'auth' || kind === 'missing_program') {
    const why = kind === 'auth' ? `${reason} — log the program in (or fix its API key), then unblock the story` : `${reason} — then unblock the story`;
    return [...out, { type: 'item.block', id: item.id, reason: why, source: 'orchestrator', runId: run.runId, handled: 'blocked' }];
  }
  const max = ctx.config.project.maxRetries;
  if (max > 0 && run.attempt <= max) {
    return [
      ...out,
      {
        type: 'run.enqueue',
        id: item.id,
        source: 'orchestrator',
        attempt: run.attempt + 1,
        history,
        agent: role === 'coder' ? item.agent : undefined,
        role: run.role,
        reason: `retry ${run.attempt + 1} of ${max + 1} after: ${reason}`,
        supersedes: { runId: run.runId, handled: 'retried' },
      },
    ];
  }
  const why = `failed ${run.attempt} time${run.attempt === 1 ? '' : 's'}; last: ${reason}`;
  return [...out, { type: 'item.block', id: item.id, reason: why, source: 'orchestrator', runId: run.runId, handled: 'blocked' }];
}

/** The same attempt again, superseding the ended run (marked handled in the same write). */
function again(run: RunRecord, handled: RunDisposition, o: { sessionId?: string; agent?: string; reason: string }): Command {
  return {
    type: 'run.enqueue',
    id: run.storyId,
    source: 'orchestrator',
    attempt: run.attempt,
    history: run.history,
    role: run.role,
    ...o,
    supersedes: { runId: run.runId, handled },
  };
}

/** A reviewer that exits without a usable verdict, or a mergemaster that leaves the merge unresolved, did not do its job. */
function judged(e: Ended): Ended['outcome'] {
  const { run, outcome, facts } = e;
  if (!outcome.ok || run.stopRequested) return outcome;
  if (roleOf(run) === 'qa' && !facts.verdict?.ok) return { ...outcome, ok: false, kind: 'failed', reason: facts.verdict?.problem ?? 'the QA agent left no verdict' };
  if (roleOf(run) === 'mergemaster' && !facts.merge?.resolved)
    return { ...outcome, ok: false, kind: 'failed', reason: facts.merge?.detail ?? 'the merge worktree could not be checked' };
  return outcome;
}

/**
 * A QA agent's verdict goes to the pipeline (approve → merge; reject → back to the coder, retries count); a failed review
 * is tried again up to max_retries, then the story is blocked. A mergemaster's resolution has the merge tried again;
 * an unresolved one is settled here and the mergemaster policy spends the next attempt or blocks the story.
 */
function reviewerEnding(e: Ended, outcome: Ended['outcome'], ctx: PolicyContext): Command[] {
  const { run, facts } = e;
  const reason = outcome.reason ?? 'failed';
  if (roleOf(run) === 'mergemaster') {
    if (outcome.ok) return [{ type: 'item.mergeRetry', id: run.storyId, runId: run.runId, source: 'agent' }];
    return [{ type: 'run.handled', runId: run.runId, handled: 'no-retry', history: [...(run.history ?? []), reason].slice(-5) }];
  }
  const v = facts.verdict;
  if (outcome.ok && v?.ok) {
    return [
      {
        type: 'item.qaResult',
        id: run.storyId,
        ok: v.approve,
        summary: v.summary,
        output: '',
        maxRetries: ctx.config.project.maxRetries,
        source: 'agent',
        runId: run.runId,
        by: 'agent',
      },
    ];
  }
  const max = ctx.config.project.maxRetries;
  if (max > 0 && run.attempt <= max) {
    return [
      {
        type: 'run.enqueue',
        id: run.storyId,
        source: 'orchestrator',
        role: 'qa',
        attempt: run.attempt + 1,
        history: [...(run.history ?? []), reason].slice(-5),
        reason: `QA review ${run.attempt + 1} of ${max + 1} after: ${reason}`,
        supersedes: { runId: run.runId, handled: 'retried' },
      },
    ];
  }
  const why = `the QA agent failed ${run.attempt} time${run.attempt === 1 ? '' : 's'}; last: ${reason}. Unblock it to review again, or approve or reject it yourself`;
  return [{ type: 'item.block', id: run.storyId, reason: why, source: 'orchestrator', runId: run.runId, handled: 'blocked' }];
}

function codedReason(run: RunRecord, ahead: number | undefined, dirty?: boolean): string {
  // An ending recovered after a restart comes without facts: its commits were counted when it ended.
  const commits = ahead === undefined ? '' : ` with ${ahead} commit${ahead === 1 ? '' : 's'}`;
  return `${run.agent} finished${commits}${dirty ? ' (uncommitted changes left in the worktree)' : ''}`;
}

/** How many of the story's latest runs ended overloaded or unreachable, in a row. */
function transientInARow(runs: readonly RunRecord[]): number {
  let n = 0;
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i];
    if (r.status === 'queued' || r.status === 'running') continue;
    if (!TRANSIENT.has(r.outcome ?? '')) break;
    n++;
  }
  return n;
}

/** A reset time to wait for: in the future, believable, else the default wait. */
export function clampWait(at: number | undefined, now: number, fallbackMs: number): number {
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= now) return at !== undefined && Number.isFinite(at) && at <= now ? now + 1000 : now + fallbackMs;
  return Math.min(at, now + MAX_WAIT_MS);
}
