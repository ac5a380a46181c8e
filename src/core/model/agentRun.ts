// An agent run: one program started on one story, from queue to ending.
import type { OutcomeKind, Usage } from './agentMessage';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'stopped';

export interface AgentRun {
  runId: string;
  storyId: number;
  agent: string;
  runtime: string;
  status: RunStatus;
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  pid?: number;
  worktree?: string;
  branch?: string;
  sessionId?: string;
  /** Readable reason when the run failed or was stopped. */
  reason?: string;
  outcome?: OutcomeKind;
  usage?: Usage;
  costUsd?: number;
  /** Absolute path of the transcript file. */
  transcript: string;
  /** Number of transcript records written so far. */
  lastSeq: number;
}

export function isActive(run: AgentRun): boolean {
  return run.status === 'queued' || run.status === 'running';
}
