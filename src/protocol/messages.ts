// The messages between the extension host and its webviews (board and agent output),
// shared by both sides. Every message from a webview is validated with parseWebviewMessage:
// the webview is not trusted.
import type { AgentMessage, TranscriptRecord } from '../core/model/agentMessage';
import type { Stage } from '../core/model/stage';

export type { AgentMessage, TranscriptRecord, Stage };

/** A story card as the board shows it. */
export interface CardView {
  id: number;
  type: string;
  name: string;
  stage: Stage;
  fileName: string;
  criteriaDone: number;
  criteriaTotal: number;
  agent?: string;
  blocked: boolean;
  blockedReason?: string;
  invalid?: string;
  /** The latest run on this story, if any. */
  run?: RunView;
  costUsd?: number;
  /** An agent's open question (the story is blocked until it is answered). */
  question?: string;
  /** Epoch ms when a rate-limit resume timer fires for this story. */
  resumeAt?: number;
  /** Why the story is not moving (waits for a dependency, a drained agent, a free slot…). */
  waiting?: string;
}

export interface AgentView {
  name: string;
  runtime: string;
  running: number;
  /** Preflight: program found, logged in. */
  ok: boolean;
  status: string;
  rateLimitedUntil?: number;
  drained?: string;
  costUsd: number;
}

export interface RunView {
  runId: string;
  storyId: number;
  agent: string;
  runtime: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'stopped';
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  /** How it ended (rate_limited, overloaded… are waits, not failures). */
  outcome?: string;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
  lastSeq: number;
}

export interface BoardState {
  projectName: string;
  /** False when the folder has no .huskies/ project yet. */
  initialized: boolean;
  trusted: boolean;
  cards: CardView[];
  running: number;
  queued: number;
  maxCoders: number;
  /** Configuration problems, shown on the board: file, line, key and what is wrong. */
  problems: string[];
  agents: AgentView[];
  spentToday: number;
  /** Why new agents do not start, when they do not. */
  paused?: string;
}

// ---- host → webview ----
export type HostMessage =
  | { type: 'board'; seq: number; state: BoardState }
  | { type: 'output'; run: RunView; records: TranscriptRecord[]; hasOlder: boolean; story?: { id: number; name: string } }
  | { type: 'outputAppend'; runId: string; records: TranscriptRecord[] }
  | { type: 'outputRun'; run: RunView }
  | { type: 'outputOlder'; runId: string; records: TranscriptRecord[]; hasOlder: boolean }
  | { type: 'outputEmpty'; message: string };

// ---- webview → host ----
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'startAgent'; storyId: number }
  | { type: 'stopAgent'; storyId: number }
  | { type: 'openOutput'; storyId: number }
  | { type: 'openStory'; storyId: number }
  | { type: 'newStory' }
  | { type: 'initProject' }
  | { type: 'loadOlder'; runId: string; beforeSeq: number }
  | { type: 'followUp'; storyId: number }
  | { type: 'answer'; storyId: number }
  | { type: 'approve'; storyId: number }
  | { type: 'reject'; storyId: number }
  | { type: 'unblock'; storyId: number }
  | { type: 'acknowledgeAgent'; agent: string };

const RUN_ID = /^[A-Za-z0-9_.-]{1,128}$/;

function isStoryId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e9;
}

/** Returns the message when it is well-formed, otherwise undefined. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'newStory':
    case 'initProject':
      return { type: m.type };
    case 'startAgent':
    case 'stopAgent':
    case 'openOutput':
    case 'openStory':
    case 'followUp':
    case 'answer':
    case 'approve':
    case 'reject':
    case 'unblock':
      return isStoryId(m.storyId) ? { type: m.type, storyId: m.storyId } : undefined;
    case 'acknowledgeAgent':
      return typeof m.agent === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(m.agent) ? { type: 'acknowledgeAgent', agent: m.agent } : undefined;
    case 'loadOlder':
      return typeof m.runId === 'string' && RUN_ID.test(m.runId) && typeof m.beforeSeq === 'number' && Number.isInteger(m.beforeSeq) && m.beforeSeq >= 0
        ? { type: 'loadOlder', runId: m.runId, beforeSeq: m.beforeSeq }
        : undefined;
    default:
      return undefined;
  }
}
