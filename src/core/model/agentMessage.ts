// The one message type every agent program's output is parsed into.

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export type AgentMessage =
  | { kind: 'init'; sessionId?: string; model?: string; cwd?: string; tools?: string[] }
  /** delta: a fragment of a longer text (Gemini streams these); merged without a separator. */
  | { kind: 'text'; text: string; delta?: boolean }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; toolUseId: string; content: string; isError: boolean; truncated?: boolean }
  | { kind: 'error'; message: string }
  /** Informational: retries, soft rate-limit warnings, stderr lines. Never acted on. */
  | { kind: 'notice'; message: string; level?: 'info' | 'warning' }
  | { kind: 'rate_limit'; status: 'allowed' | 'allowed_warning' | 'rejected'; resetsAt?: number; limitType?: string; message?: string }
  /**
   * The program is about to retry a failed API request by itself (after `delayMs` when it says).
   * A wait, not silence: the inactivity watchdog allows it. `message` is the readable line.
   */
  | { kind: 'retry'; message: string; delayMs?: number; attempt?: number; maxRetries?: number; httpStatus?: number; cause?: RetryCause }
  | {
      kind: 'result';
      ok: boolean;
      sessionId?: string;
      text?: string;
      usage?: Usage;
      costUsd?: number;
      numTurns?: number;
      durationMs?: number;
      /** Why it failed, in the program's terms, when it did. */
      error?: string;
      errorKind?: OutcomeKind;
    };

/** Why a request is being retried, when the program says. */
export type RetryCause = 'rate_limit' | 'overloaded' | 'auth' | 'network' | 'server' | 'other';

/**
 * How a run ended. The failures that say something about the API rather than the work:
 * - rate_limited: 429 or a usage limit; `retryAt` says when it lifts.
 * - overloaded: 529 / overloaded_error (or 503): the service is busy; try again later.
 * - auth: 401 / 403 / invalid key / not logged in: retrying cannot help until the user acts.
 * - network: the API could not be reached (connection refused, DNS, timeouts, a dead endpoint).
 */
export type OutcomeKind =
  | 'success'
  | 'failed'
  | 'rate_limited'
  | 'overloaded'
  | 'max_turns'
  | 'budget'
  | 'auth'
  | 'network'
  | 'missing_program'
  | 'timeout'
  | 'inactivity'
  | 'cancelled'
  | 'orphaned'
  | 'question';

/** How a run ended, decided from the parsed messages, the exit status and stderr. */
export interface RunOutcome {
  ok: boolean;
  kind: OutcomeKind;
  /** A readable reason for the story card when the run did not succeed. */
  reason?: string;
  sessionId?: string;
  usage?: Usage;
  costUsd?: number;
  numTurns?: number;
  /** Epoch ms when a rate limit lifts, when known. */
  retryAt?: number;
  text?: string;
}

/** One line of a run's transcript (.huskies/logs/<runId>.jsonl). */
export interface TranscriptRecord {
  seq: number;
  /** Epoch ms. */
  ts: number;
  msg: AgentMessage;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}
