// Parser for `claude -p --output-format stream-json --verbose` (agent-clis.md §2.2, §2.3, §5.1, §5.2).
// The sim runtime speaks the same format.
import type { AgentMessage, OutcomeKind, RunOutcome, Usage } from '../../model/agentMessage';
import type { ExitStatus } from './types';
import {
  arr,
  boundDepth,
  exitedZero,
  exitReason,
  formatDelay,
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
  str,
} from './common';
import { isClaudeUsageLimitText, parseClaudeReset } from './rateLimit';
import { AUTH_ERRORS, AUTH_TEXT, classifyClaudeError, claudeUsage, toolResultContent } from './claudeShapes';

const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
const DEFAULT_OVERLOAD_WAIT_MS = 30_000;

interface ResultInfo {
  ok: boolean;
  subtype?: string;
  sessionId?: string;
  text?: string;
  usage?: Usage;
  costUsd?: number;
  numTurns?: number;
  durationMs?: number;
  error?: string;
  errorKind?: OutcomeKind;
  apiErrorStatus?: number;
}

export function createClaudeParser(opts: ParserOptions = {}): FormatParser {
  const label = opts.label ?? 'Claude Code';
  const clock = opts.now ?? Date.now;
  let sessionId: string | undefined;
  let initSent = false;
  let result: ResultInfo | undefined;
  let resultRaw: Json | undefined;
  /** resetsAt (ms) of the last rejected rate_limit_event. */
  let rejectedResetsAt: number | undefined;
  let rejectedLimitType: string | undefined;
  let lastRetry: { delayMs?: number; status?: number; error?: string; noResponse: boolean } | undefined;
  let retries = 0;
  /** Error code and text of the last synthetic assistant error message. */
  let assistantError: string | undefined;
  let assistantErrorText: string | undefined;
  let lastText: string | undefined;
  const stderr = new StderrLog();

  function onSystem(ev: Json): AgentMessage[] {
    const subtype = str(ev.subtype);
    if (subtype === 'init') {
      sessionId = str(ev.session_id) ?? sessionId;
      if (initSent) return [];
      initSent = true;
      const tools = arr(ev.tools).filter((t): t is string => typeof t === 'string');
      const msg: AgentMessage = { kind: 'init', sessionId: str(ev.session_id), model: str(ev.model) };
      const cwd = str(ev.cwd);
      if (cwd !== undefined) msg.cwd = cwd;
      if (Array.isArray(ev.tools)) msg.tools = tools;
      return [msg];
    }
    if (subtype === 'api_retry') {
      const delay = saneDelay(ev.retry_delay_ms);
      const status = num(ev.error_status);
      const error = str(ev.error);
      // error_status null (and error "unknown") is a request that got no answer at all.
      const noResponse = ev.error_status === null || ev.no_response === true;
      lastRetry = { delayMs: delay, status, error, noResponse };
      retries++;
      const why = status !== undefined ? String(status) : error && error !== 'unknown' ? error : 'no response';
      const attempt = num(ev.attempt);
      const max = num(ev.max_retries);
      let message = delay !== undefined ? `retrying after ${formatDelay(delay)} (${why})` : `retrying (${why})`;
      if (attempt !== undefined) message += `, attempt ${attempt}${max !== undefined ? `/${max}` : ''}`;
      const msg: AgentMessage = { kind: 'retry', message, cause: retryCause(noResponse ? null : status, error === 'unknown' ? '' : error) };
      if (delay !== undefined) msg.delayMs = delay;
      if (attempt !== undefined) msg.attempt = attempt;
      if (max !== undefined) msg.maxRetries = max;
      if (status !== undefined) msg.httpStatus = status;
      return [msg];
    }
    if (subtype === 'compact_boundary') {
      return [{ kind: 'notice', message: 'conversation compacted', level: 'info' }];
    }
    return [];
  }

  function onAssistant(ev: Json): AgentMessage[] {
    const message = obj(ev.message);
    const content = arr(message?.content);
    const err = str(ev.error);
    const out: AgentMessage[] = [];
    for (const b of content) {
      const block = obj(b);
      if (!block) continue;
      const type = str(block.type);
      if (type === 'text') {
        const text = str(block.text) ?? '';
        if (err) {
          // A synthetic message standing for an API error ("Invalid API key", "You've hit your limit …").
          assistantError = err;
          assistantErrorText = text;
          out.push({ kind: 'error', message: text || err });
        } else if (text) {
          lastText = text;
          out.push({ kind: 'text', text });
        }
      } else if (type === 'thinking') {
        const text = str(block.thinking) ?? '';
        if (text) out.push({ kind: 'thinking', text });
      } else if (type === 'tool_use' || type === 'server_tool_use') {
        out.push({
          kind: 'tool_use',
          id: str(block.id) ?? '',
          name: str(block.name) ?? 'unknown',
          input: boundDepth(block.input ?? {}),
        });
      }
    }
    if (err && out.length === 0) {
      assistantError = err;
      out.push({ kind: 'error', message: err });
    }
    return out;
  }

  function onUser(ev: Json): AgentMessage[] {
    const message = obj(ev.message);
    const out: AgentMessage[] = [];
    for (const b of arr(message?.content)) {
      const block = obj(b);
      if (!block || block.type !== 'tool_result') continue;
      out.push({
        kind: 'tool_result',
        toolUseId: str(block.tool_use_id) ?? '',
        content: toolResultContent(block.content),
        isError: block.is_error === true,
      });
    }
    return out;
  }

  function onResult(ev: Json): AgentMessage[] {
    const subtype = str(ev.subtype);
    const isError = ev.is_error === true;
    const ok = !isError && subtype === 'success';
    const apiStatus = num(ev.api_error_status);
    const errors = arr(ev.errors).filter((e): e is string => typeof e === 'string');
    const resultText = str(ev.result);
    sessionId = str(ev.session_id) ?? sessionId;
    const info: ResultInfo = {
      ok,
      subtype,
      sessionId: str(ev.session_id) ?? sessionId,
      usage: claudeUsage(ev),
      costUsd: num(ev.total_cost_usd),
      numTurns: num(ev.num_turns),
      durationMs: num(ev.duration_ms),
      apiErrorStatus: apiStatus,
    };
    if (ok) {
      info.text = resultText ?? lastText;
    } else {
      const error = errors.length > 0 ? errors.join('; ') : resultText || assistantErrorText || subtype || 'unknown error';
      info.error = error;
      info.errorKind = classifyClaudeError(
        subtype,
        apiStatus,
        `${error}\n${assistantErrorText ?? ''}`,
        str(ev.error) ?? assistantError,
        str(ev.terminal_reason),
        lastRetry?.noResponse === true,
      );
    }
    result = info;
    resultRaw = ev;
    const msg: AgentMessage = { kind: 'result', ok };
    if (info.sessionId !== undefined) msg.sessionId = info.sessionId;
    if (info.text !== undefined) msg.text = info.text;
    if (info.usage) msg.usage = info.usage;
    if (info.costUsd !== undefined) msg.costUsd = info.costUsd;
    if (info.numTurns !== undefined) msg.numTurns = info.numTurns;
    if (info.durationMs !== undefined) msg.durationMs = info.durationMs;
    if (info.error !== undefined) msg.error = info.error;
    if (info.errorKind !== undefined) msg.errorKind = info.errorKind;
    return [msg];
  }

  function onRateLimit(ev: Json): AgentMessage[] {
    const info = obj(ev.rate_limit_info) ?? {};
    const s = str(info.status);
    const status = s === 'allowed' || s === 'allowed_warning' || s === 'rejected' ? s : undefined;
    if (!status) return [];
    const resetsAtS = num(info.resetsAt);
    const msg: AgentMessage = { kind: 'rate_limit', status };
    // Epoch seconds. A value that is no time at all is dropped (the default wait applies) and one
    // absurdly far is cut; whether it has passed is judged at the end, against finish's `now`.
    const resetsAt = resetsAtS !== undefined ? saneTime(resetsAtS < 1e12 ? resetsAtS * 1000 : resetsAtS, clock(), Infinity) : undefined;
    if (resetsAt !== undefined) msg.resetsAt = resetsAt;
    const limitType = str(info.rateLimitType);
    if (limitType !== undefined) msg.limitType = limitType;
    if (status === 'rejected') {
      rejectedResetsAt = msg.resetsAt ?? rejectedResetsAt;
      rejectedLimitType = limitType ?? rejectedLimitType;
    }
    return [msg];
  }

  function line(raw: string): AgentMessage[] {
    try {
      const ev = parseJsonObject(raw);
      if (!ev) return [];
      if (sessionId === undefined) sessionId = str(ev.session_id);
      switch (ev.type) {
        case 'system':
          return onSystem(ev);
        case 'assistant':
          return onAssistant(ev);
        case 'user':
          return onUser(ev);
        case 'result':
          return onResult(ev);
        case 'rate_limit_event':
          return onRateLimit(ev);
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
      return stderr.notice(l, /error|fail|cannot|denied/i.test(l) ? 'warning' : 'info');
    } catch {
      return [];
    }
  }

  function rateLimitRetryAt(now: number, texts: string[]): number {
    const announced = saneTime(rejectedResetsAt, now);
    if (announced !== undefined) return announced;
    for (const t of texts) {
      const at = t ? saneTime(parseClaudeReset(t, now, opts.timeZone), now) : undefined;
      if (at !== undefined) return at;
    }
    if (lastRetry?.delayMs !== undefined && (lastRetry.status === 429 || lastRetry.error === 'rate_limit')) {
      return now + lastRetry.delayMs;
    }
    return now + DEFAULT_RATE_LIMIT_WAIT_MS;
  }

  function failureReason(kind: OutcomeKind, error: string, now: number, retryAt?: number): string {
    const short = oneLine(error, 240);
    const status = result?.apiErrorStatus;
    switch (kind) {
      case 'max_turns': {
        const m = /maximum number of turns \((\d+)\)/i.exec(error);
        const n = m ? Number(m[1]) : result?.numTurns;
        return n !== undefined ? `${label} reached the turn limit (${n} turns)` : `${label} reached the turn limit`;
      }
      case 'budget': {
        const m = /maximum budget \((\$[\d.]+)\)/i.exec(error);
        return m ? `${label} reached the budget limit (${m[1]})` : `${label} reached the budget limit`;
      }
      case 'rate_limited': {
        const resets = retryAt !== undefined ? `; resets at ${formatResetTime(retryAt, now)}` : '';
        if (isClaudeUsageLimitText(error)) {
          const what = oneLine(error.split('·')[0], 120).replace(/[.;,]$/, '');
          const type = rejectedLimitType ? ` (${rejectedLimitType})` : '';
          return `${label} usage limit: ${what}${type}${resets}`;
        }
        return `Rate limited by the API (HTTP ${status ?? 429})${resets}`;
      }
      case 'overloaded':
        return `The API is overloaded (HTTP ${status ?? 529}); try again in a moment`;
      case 'auth':
        return `${label} could not authenticate${httpTag(status)}: ${short}`;
      case 'network': {
        const tries = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
        return `${label} could not reach the API${tries}: ${short}`;
      }
      default:
        return `${label} failed${httpTag(status)}: ${short}`;
    }
  }

  function finish(exit: ExitStatus, now: number): RunOutcome {
    try {
      return decide(exit, now);
    } catch (e) {
      return { ok: false, kind: 'failed', reason: `could not read the outcome: ${String(e)}`, sessionId };
    }
  }

  function decide(exit: ExitStatus, now: number): RunOutcome {
    const base: RunOutcome = { ok: false, kind: 'failed', sessionId: result?.sessionId ?? sessionId };
    if (result?.usage) base.usage = result.usage;
    if (result?.costUsd !== undefined) base.costUsd = result.costUsd;
    if (result?.numTurns !== undefined) base.numTurns = result.numTurns;

    if (result) {
      if (result.ok) {
        if (exitedZero(exit)) {
          const out: RunOutcome = { ...base, ok: true, kind: 'success' };
          if (result.text !== undefined) out.text = result.text;
          return out;
        }
        return { ...base, kind: 'failed', reason: exitReason(exit, stderr.meaningful(exit)), text: result.text };
      }
      const kind = result.errorKind ?? 'failed';
      const error = result.error ?? 'unknown error';
      let retryAt: number | undefined;
      if (kind === 'rate_limited') {
        retryAt = rateLimitRetryAt(now, [str(resultRaw?.result) ?? '', assistantErrorText ?? '', error]);
      } else if (kind === 'overloaded') {
        retryAt = now + Math.max(lastRetry?.delayMs ?? 0, DEFAULT_OVERLOAD_WAIT_MS);
      }
      const out: RunOutcome = { ...base, kind, reason: failureReason(kind, error, now, retryAt) };
      if (retryAt !== undefined) out.retryAt = retryAt;
      return out;
    }

    // No result line at all: judge from what was seen and from stderr.
    const errLine = stderr.meaningful(exit);
    const allStderr = stderr.text(exit);
    if (rejectedResetsAt !== undefined || assistantError === 'rate_limit') {
      const retryAt = rateLimitRetryAt(now, [assistantErrorText ?? '', allStderr]);
      return {
        ...base,
        kind: 'rate_limited',
        retryAt,
        reason: failureReason('rate_limited', assistantErrorText ?? 'rate limited', now, retryAt),
      };
    }
    if ((assistantError && AUTH_ERRORS.has(assistantError)) || AUTH_TEXT.test(allStderr)) {
      return { ...base, kind: 'auth', reason: failureReason('auth', assistantErrorText ?? errLine ?? 'not logged in', now) };
    }
    if (!exit.signal && lastRetry?.noResponse && assistantErrorText !== undefined && NETWORK_TEXT.test(assistantErrorText)) {
      return { ...base, kind: 'network', reason: failureReason('network', assistantErrorText, now) };
    }
    if (exit.signal) {
      return { ...base, kind: 'failed', reason: exitReason(exit) };
    }
    if (exit.code !== 0) {
      const detail = errLine ?? (assistantErrorText ? oneLine(assistantErrorText) : undefined);
      return { ...base, kind: 'failed', reason: exitReason(exit, detail) };
    }
    return {
      ...base,
      kind: 'failed',
      reason: errLine ? `${label} ended without a result: ${errLine}` : `${label} ended without a result`,
    };
  }

  return {
    line,
    stderrLine,
    finish,
    sawFinal: () => result !== undefined,
    sessionId: () => result?.sessionId ?? sessionId,
  };
}
