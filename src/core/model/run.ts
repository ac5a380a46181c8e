// An agent run: one program started on one story, from queue to ending. Records are immutable:
// the pipeline replaces a record through a state op, nothing edits one in place.
import type { OutcomeKind, Usage } from './agentMessage';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'stopped';

/** What the orchestrator did about a run's ending, so that it is acted on exactly once. */
export type RunDisposition =
  'retried' | 'blocked' | 'resumed' | 'question' | 'rate_limited' | 'session-lost' | 'followed-up' | 'no-retry' | 'stopped-by-user' | 'moved-away' | 'coded';

export interface RunRecord {
  readonly runId: string;
  readonly storyId: number;
  /** Empty until the pool picks an agent. */
  readonly agent: string;
  readonly runtime: string;
  readonly status: RunStatus;
  readonly queuedAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** The agent program's pid, which is also its process group id. */
  readonly pid?: number;
  /** The pid's start time (clock ticks since boot), to tell our process from a reused pid. */
  readonly pidStart?: number;
  readonly supervisorPid?: number;
  readonly worktree?: string;
  readonly branch?: string;
  readonly sessionId?: string;
  /** Readable reason when the run failed or was stopped. */
  readonly reason?: string;
  readonly outcome?: OutcomeKind;
  readonly usage?: Usage;
  readonly costUsd?: number;
  /** Absolute path of the transcript file. */
  readonly transcript: string;
  /** Number of transcript records written so far. */
  readonly lastSeq: number;
  /** 1 for a fresh start; one more for each automatic retry. */
  readonly attempt: number;
  /** The failure reasons of the earlier attempts, carried into a retry's prompt. */
  readonly history?: readonly string[];
  readonly handled?: RunDisposition;
  /** The stage the story was in when the run was queued. */
  readonly stage: string;
  /** A reviewer's or a mergemaster's run; absent for a coder's. */
  readonly role?: 'qa' | 'mergemaster';
  readonly baseCommit?: string;
  readonly retryAt?: number;
  readonly prompt?: string;
  /** The model answered at least once: only then is there a conversation worth resuming. */
  readonly modelReplied?: boolean;
  /** A stop was asked for (by whom and why); it sticks across the ending. */
  readonly stopRequested?: { kind: OutcomeKind; reason: string; byUser: boolean; handled?: RunDisposition };
  /** Consecutive overloaded / network endings of this story, for the backoff. */
  readonly transientFailures?: number;
}

/** What an agent does on a run: codes, reviews (QA), or resolves a failed merge. */
export type AgentRole = 'coder' | 'qa' | 'mergemaster';

export function roleOf(run: Pick<RunRecord, 'role'>): AgentRole {
  return run.role ?? 'coder';
}

export function isActive(run: Pick<RunRecord, 'status'>): boolean {
  return run.status === 'queued' || run.status === 'running';
}

export function isEnded(run: Pick<RunRecord, 'status'>): boolean {
  return !isActive(run);
}
