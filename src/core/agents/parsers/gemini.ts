// Parser for `gemini -p … -o stream-json` (agent-clis.md §4). Fatal start-up errors
// (no auth, untrusted folder, bad --resume) appear only on stderr, with a telling exit code.
import type { AgentMessage, OutcomeKind, RunOutcome, Usage } from '../../model/agentMessage';
import type { ExitStatus } from './types';
import {
  boundDepth,
  exitedZero,
  exitReason,
  formatResetTime,
  type FormatParser,
  httpTag,
  type Json,
  NETWORK_TEXT,
  num,
  obj,
  oneLine,
  parseJsonObject,
  type ParserOptions,
  retryCause,
  saneDelay,
  saneTime,
  StderrLog,
  statusIn,
  str,
} from './common';
import { isGeminiDailyQuota, isGeminiQuotaText, parseGeminiRetry } from './rateLimit';

const RATE_LIMIT_WAIT_MS = 60_000;

interface ExitMeaning {
  kind: OutcomeKind;
  what: string;
}

/** Gemini CLI exit codes (FatalError classes, and HTTP status & 0xFF for API errors). */
export const GEMINI_EXIT_CODES: Record<number, ExitMeaning> = {
  41: { kind: 'auth', what: 'Gemini CLI could not authenticate' },
  42: { kind: 'failed', what: 'Gemini CLI rejected its input' },
  44: { kind: 'failed', what: 'Gemini CLI sandbox error' },
  52: { kind: 'failed', what: 'Gemini CLI configuration error' },
  53: { kind: 'max_turns', what: 'Gemini CLI reached the session turn limit' },
  54: { kind: 'failed', what: 'a Gemini CLI tool failed fatally' },
  55: { kind: 'failed', what: 'Gemini CLI does not trust this folder (use --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true)' },
  130: { kind: 'failed', what: 'Gemini CLI was cancelled' },
  17: { kind: 'overloaded', what: 'The Gemini API is overloaded (HTTP 529)' },
  145: { kind: 'auth', what: 'Gemini API refused the credentials (HTTP 401)' },
  147: { kind: 'auth', what: 'Gemini API denied access (HTTP 403)' },
  173: { kind: 'rate_limited', what: 'Rate limited by the Gemini API (429)' },
  247: { kind: 'overloaded', what: 'The Gemini API is unavailable (HTTP 503)' },
};

/** Gemini stats → our Usage. `input` is the non-cached part of input_tokens. */
export function geminiUsage(stats: Json): Usage {
  const inputTokens = num(stats.input_tokens) ?? 0;
  const cached = num(stats.cached) ?? 0;
  return {
    inputTokens: num(stats.input) ?? Math.max(0, inputTokens - cached),
    outputTokens: num(stats.output_tokens) ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

const AUTH_TEXT =
  /Please set an Auth method|Invalid auth method|API key not valid|API_KEY_INVALID|UNAUTHENTICATED|\b401\b|Manual authorization is required|FatalAuthenticationError/i;

function classifyGeminiText(text: string): OutcomeKind | undefined {
  if (isGeminiQuotaText(text)) return 'rate_limited';
  if (AUTH_TEXT.test(text)) return 'auth';
  if (/Maximum session turns exceeded/i.test(text)) return 'max_turns';
  if (/\b503\b|\b529\b|overloaded|UNAVAILABLE|high demand/i.test(text)) return 'overloaded';
  if (NETWORK_TEXT.test(text)) return 'network';
  return undefined;
}

/** "Attempt 2 failed: … Retrying after 5009ms..." / "Attempt 3 failed. Retrying with backoff... Error: …" */
function retryMessage(line: string): AgentMessage {
  const msg: AgentMessage = { kind: 'retry', message: oneLine(line, 2000), cause: retryCause(statusIn(line), line) };
  const attempt = /Attempt (\d+) failed/i.exec(line);
  if (attempt) msg.attempt = Number(attempt[1]);
  const after = /Retrying after\s+([\d.]+)\s*(ms|s)\b/i.exec(line);
  const delay = after ? saneDelay(Number(after[1]) * (after[2].toLowerCase() === 's' ? 1000 : 1)) : undefined;
  if (delay !== undefined) msg.delayMs = delay;
  const status = statusIn(line);
  if (status !== undefined) msg.httpStatus = status;
  return msg;
}

export function createGeminiParser(opts: ParserOptions = {}): FormatParser {
  const label = opts.label ?? 'Gemini CLI';
  let sessionId: string | undefined;
  let initSent = false;
  let resultEv: Json | undefined;
  /** Assistant text since the last tool result: the final answer. */
  let finalText = '';
  let lastErrorEvent: string | undefined;
  const stderr = new StderrLog();

  function onResult(ev: Json): AgentMessage[] {
    resultEv = ev;
    const ok = ev.status === 'success';
    const msg: AgentMessage = { kind: 'result', ok };
    if (sessionId !== undefined) msg.sessionId = sessionId;
    const text = finalText.trim();
    if (ok && text) msg.text = text;
    const stats = obj(ev.stats);
    if (stats) {
      msg.usage = geminiUsage(stats);
      const d = num(stats.duration_ms);
      if (d !== undefined) msg.durationMs = d;
    }
    if (!ok) {
      const error = str(obj(ev.error)?.message) ?? lastErrorEvent ?? 'Gemini CLI reported an error';
      msg.error = error;
      msg.errorKind = classifyGeminiText(error) ?? 'failed';
    }
    return [msg];
  }

  function line(raw: string): AgentMessage[] {
    try {
      const ev = parseJsonObject(raw);
      if (!ev) return [];
      switch (ev.type) {
        case 'init': {
          sessionId = str(ev.session_id) ?? sessionId;
          if (initSent) return [];
          initSent = true;
          const msg: AgentMessage = { kind: 'init' };
          if (sessionId !== undefined) msg.sessionId = sessionId;
          const model = str(ev.model);
          if (model !== undefined) msg.model = model;
          return [msg];
        }
        case 'message': {
          if (ev.role !== 'assistant') return [];
          const text = str(ev.content) ?? '';
          if (!text) return [];
          finalText += text;
          // Streamed fragments of one reply: marked so they are joined without a separator.
          return [ev.delta === true ? { kind: 'text', text, delta: true } : { kind: 'text', text }];
        }
        case 'tool_use':
          finalText = '';
          return [
            {
              kind: 'tool_use',
              id: str(ev.tool_id) ?? '',
              name: str(ev.tool_name) ?? 'unknown',
              input: boundDepth(ev.parameters ?? {}),
            },
          ];
        case 'tool_result': {
          finalText = '';
          const isError = ev.status === 'error';
          let content = str(ev.output) ?? '';
          const errMsg = str(obj(ev.error)?.message);
          if (isError && errMsg && !content.includes(errMsg)) content = content ? `${content}\n${errMsg}` : errMsg;
          return [{ kind: 'tool_result', toolUseId: str(ev.tool_id) ?? '', content, isError }];
        }
        case 'error': {
          const message = str(ev.message) ?? 'error';
          if (ev.severity === 'warning') return [{ kind: 'notice', message, level: 'warning' }];
          lastErrorEvent = message;
          return [{ kind: 'error', message }];
        }
        case 'result':
          return onResult(ev);
        default:
          return [];
      }
    } catch {
      return [];
    }
  }

  function stderrLine(raw: string): AgentMessage[] {
    try {
      const l = stderr.add(raw);
      if (l === undefined) return [];
      // Retry progress: "Attempt 1 failed: … Retrying after 5009ms..." / "Attempt N failed. Retrying with backoff..."
      if (/Attempt \d+ failed|Retrying (after|with backoff)/i.test(l)) return [retryMessage(l)];
      return [];
    } catch {
      return [];
    }
  }

  function retryAtFor(text: string, now: number): number {
    return saneTime(parseGeminiRetry(text, now), now) ?? now + RATE_LIMIT_WAIT_MS;
  }

  function reasonFor(kind: OutcomeKind, message: string, now: number, retryAt?: number, code?: number | null): string {
    const short = oneLine(message.replace(/^\[API Error: (.*?)\]/s, '$1'), 240);
    switch (kind) {
      case 'rate_limited': {
        const resets = retryAt !== undefined ? `; resets at ${formatResetTime(retryAt, now)}` : '';
        if (isGeminiDailyQuota(message)) return `Gemini daily quota exhausted${resets}`;
        return `Rate limited by the Gemini API (HTTP 429)${resets}`;
      }
      case 'auth':
        return `${label} could not authenticate${code ? ` (exit ${code})` : httpTag(statusIn(message))}: ${short}`;
      case 'max_turns':
        return `${label} reached the session turn limit${short ? `: ${short}` : ''}`;
      case 'overloaded':
        return `The Gemini API is overloaded${httpTag(statusIn(message))}; try again in a moment (${short})`;
      case 'network':
        return `${label} could not reach the API: ${short}`;
      default:
        return `${label} failed${httpTag(statusIn(message))}: ${short}`;
    }
  }

  function decide(exit: ExitStatus, now: number): RunOutcome {
    const base: RunOutcome = { ok: false, kind: 'failed' };
    if (sessionId !== undefined) base.sessionId = sessionId;
    const stats = obj(resultEv?.stats);
    if (stats) base.usage = geminiUsage(stats);
    const text = finalText.trim();
    if (text) base.text = text;

    const allStderr = stderr.text(exit);
    const errLine = stderr.meaningful(exit);

    if (resultEv && resultEv.status === 'success') {
      if (exitedZero(exit)) return { ...base, ok: true, kind: 'success' };
      return { ...base, reason: exitReason(exit, errLine) };
    }

    if (exit.signal && !resultEv) return { ...base, reason: exitReason(exit) };

    const code = exit.signal ? null : exit.code;
    const meaning = code !== null && code !== undefined ? GEMINI_EXIT_CODES[code] : undefined;
    const resultError = resultEv ? (str(obj(resultEv.error)?.message) ?? lastErrorEvent ?? '') : '';
    const message = resultError || errLine || '';
    // The result's own error speaks first; then a telling exit code; then stderr's wording.
    const meaningKind = meaning && meaning.kind !== 'failed' ? meaning.kind : undefined;
    const kind: OutcomeKind = (resultError ? classifyGeminiText(resultError) : undefined) ?? meaningKind ?? classifyGeminiText(allStderr) ?? 'failed';

    let retryAt: number | undefined;
    if (kind === 'rate_limited') retryAt = retryAtFor(`${resultError}\n${allStderr}`, now);
    else if (kind === 'overloaded') retryAt = now + 30_000;

    let reason: string;
    if (kind === 'rate_limited' || kind === 'overloaded' || kind === 'auth' || kind === 'max_turns' || kind === 'network') {
      reason = reasonFor(kind, message, now, retryAt, code);
    } else if (resultError) {
      reason = reasonFor('failed', resultError, now);
    } else if (meaning) {
      reason = `${meaning.what} (exit ${code})${errLine ? `: ${errLine}` : ''}`;
    } else if (code === 0 && !resultEv) {
      reason = errLine ? `${label} ended without a result: ${errLine}` : `${label} ended without a result`;
    } else {
      reason = exitReason(exit, errLine);
    }
    const out: RunOutcome = { ...base, kind, reason };
    if (retryAt !== undefined) out.retryAt = retryAt;
    return out;
  }

  function finish(exit: ExitStatus, now: number): RunOutcome {
    try {
      return decide(exit, now);
    } catch (e) {
      return { ok: false, kind: 'failed', reason: `could not read the outcome: ${String(e)}`, sessionId };
    }
  }

  return {
    line,
    stderrLine,
    finish,
    sawFinal: () => resultEv !== undefined,
    sessionId: () => sessionId,
  };
}
