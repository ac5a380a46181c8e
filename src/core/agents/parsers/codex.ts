// Parser for `codex exec --json` (agent-clis.md §3).
// Codex's turn.completed usage is cumulative per thread: pass `previousUsage` (the thread's
// total before this run) to get this run's own figures.
import type { AgentMessage, OutcomeKind, RunOutcome, Usage } from '../../model/agentMessage';
import type { ExitStatus } from './types';
import {
  arr,
  boundDepth,
  exitedZero,
  exitReason,
  formatResetTime,
  type FormatParser,
  httpTag,
  type Json,
  kindOfStatus,
  NETWORK_TEXT,
  num,
  obj,
  oneLine,
  parseJsonObject,
  type ParserOptions,
  retryCause,
  safeStringify,
  saneTime,
  StderrLog,
  statusIn,
  str,
  subtractUsage,
} from './common';
import { parseCodexReset } from './rateLimit';

export interface CodexParserOptions extends ParserOptions {
  /** Cumulative usage of the thread before this run (for `codex exec resume`). */
  previousUsage?: Usage;
}

const USAGE_LIMIT_WAIT_MS = 60 * 60_000;
const RATE_LIMIT_WAIT_MS = 60_000;
const OVERLOAD_WAIT_MS = 30_000;

/** Codex usage → our Usage. OpenAI's input_tokens include the cached ones; ours do not. */
export function codexUsage(u: Json): Usage {
  const input = num(u.input_tokens) ?? 0;
  const cached = num(u.cached_input_tokens) ?? 0;
  return {
    inputTokens: Math.max(0, input - cached),
    outputTokens: num(u.output_tokens) ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: num(u.cache_write_input_tokens) ?? 0,
  };
}

/** Classify a Codex failure message. */
export function classifyCodexError(message: string): OutcomeKind {
  if (/hit your usage limit|usage_limit_reached/i.test(message)) return 'rate_limited';
  if (
    /unexpected status 40[13]\b|\b401 Unauthorized|\b403 Forbidden|Missing environment variable|invalid[_ ]api[_ ]key|Incorrect API key|not logged in|token (has )?expired|refresh token/i.test(
      message,
    )
  ) {
    return 'auth';
  }
  if (/status:? 429|\b429 Too Many Requests|rate[ _-]?limit|Quota exceeded|insufficient_quota/i.test(message)) return 'rate_limited';
  if (/status:? (529|503)\b|overloaded|high demand|server_is_overloaded/i.test(message)) return 'overloaded';
  const byStatus = kindOfStatus(statusIn(message));
  if (byStatus) return byStatus;
  if (NETWORK_TEXT.test(message)) return 'network';
  return 'failed';
}

/** "Reconnecting... 2/5 (…)" / "Reconnecting... waiting for network (…)": Codex retrying by itself. */
function reconnectMessage(message: string): AgentMessage {
  const m = /^Reconnecting\.\.\.\s*(?:(\d+)\/(\d+))?\s*(?:\((.*)\))?/is.exec(message);
  const inner = m?.[3] ?? message;
  const status = statusIn(inner);
  const msg: AgentMessage = { kind: 'retry', message, cause: retryCause(status, inner) };
  if (m?.[1]) msg.attempt = Number(m[1]);
  if (m?.[2]) msg.maxRetries = Number(m[2]);
  if (status !== undefined) msg.httpStatus = status;
  return msg;
}

function changesSummary(changes: unknown): string {
  return arr(changes)
    .map((c) => {
      const o = obj(c);
      return o ? `${str(o.kind) ?? 'change'} ${str(o.path) ?? ''}`.trim() : '';
    })
    .filter(Boolean)
    .join('\n');
}

function mcpResultText(item: Json): string {
  const error = obj(item.error);
  if (error) return str(error.message) ?? 'error';
  const result = obj(item.result);
  if (!result) return '';
  const parts: string[] = [];
  for (const c of arr(result.content)) {
    const o = obj(c);
    const t = o ? str(o.text) : undefined;
    if (t !== undefined) parts.push(t);
    else if (o && typeof o.type === 'string') parts.push(`[${o.type}]`);
  }
  if (parts.length === 0 && result.structured_content !== undefined) return safeStringify(result.structured_content);
  return parts.join('\n');
}

export function createCodexParser(opts: CodexParserOptions = {}): FormatParser {
  const label = opts.label ?? 'Codex';
  let threadId: string | undefined;
  let initSent = false;
  let completedUsage: Usage | undefined;
  let turnCompleted = false;
  let turnFailed: string | undefined;
  let lastError: string | undefined;
  let lastAgentText: string | undefined;
  /** Items whose tool_use was already emitted (on item.started). */
  const started = new Set<string>();
  const stderr = new StderrLog();

  function toolUseFor(item: Json): AgentMessage | undefined {
    const id = str(item.id) ?? '';
    switch (item.type) {
      case 'command_execution':
        return { kind: 'tool_use', id, name: 'exec_command', input: { command: str(item.command) ?? '' } };
      case 'file_change':
        return { kind: 'tool_use', id, name: 'apply_patch', input: boundDepth({ changes: arr(item.changes) }) };
      case 'mcp_tool_call': {
        const server = str(item.server) ?? 'mcp';
        const tool = str(item.tool) ?? 'tool';
        return { kind: 'tool_use', id, name: `mcp__${server}__${tool}`, input: boundDepth(item.arguments ?? {}) };
      }
      case 'web_search':
        return { kind: 'tool_use', id, name: 'web_search', input: { query: str(item.query) ?? '' } };
      case 'todo_list':
        return { kind: 'tool_use', id, name: 'todo_list', input: boundDepth({ items: arr(item.items) }) };
      default:
        return undefined;
    }
  }

  function toolResultFor(item: Json): AgentMessage | undefined {
    const id = str(item.id) ?? '';
    const status = str(item.status);
    const failed = status === 'failed' || status === 'declined';
    switch (item.type) {
      case 'command_execution': {
        const exitCode = num(item.exit_code);
        let content = str(item.aggregated_output) ?? '';
        if (!content && status === 'declined') content = 'command declined';
        return {
          kind: 'tool_result',
          toolUseId: id,
          content,
          isError: failed || (exitCode !== undefined && exitCode !== 0),
        };
      }
      case 'file_change':
        return { kind: 'tool_result', toolUseId: id, content: changesSummary(item.changes), isError: failed };
      case 'mcp_tool_call':
        return { kind: 'tool_result', toolUseId: id, content: mcpResultText(item), isError: failed || obj(item.error) !== undefined };
      case 'web_search':
        return { kind: 'tool_result', toolUseId: id, content: str(item.query) ?? '', isError: failed };
      case 'todo_list': {
        const content = arr(item.items)
          .map((i) => {
            const o = obj(i);
            return o ? `[${o.completed === true ? 'x' : ' '}] ${str(o.text) ?? ''}` : '';
          })
          .filter(Boolean)
          .join('\n');
        return { kind: 'tool_result', toolUseId: id, content, isError: false };
      }
      default:
        return undefined;
    }
  }

  function onItem(type: string, item: Json): AgentMessage[] {
    const id = str(item.id) ?? '';
    if (type === 'item.started') {
      const use = toolUseFor(item);
      if (!use) return [];
      started.add(id);
      return [use];
    }
    if (type !== 'item.completed') return []; // item.updated: nothing new to show
    switch (item.type) {
      case 'agent_message': {
        const text = str(item.text) ?? '';
        if (!text) return [];
        lastAgentText = text;
        return [{ kind: 'text', text }];
      }
      case 'reasoning': {
        const text = str(item.text) ?? '';
        return text ? [{ kind: 'thinking', text }] : [];
      }
      case 'error':
        return [{ kind: 'error', message: str(item.message) ?? 'error' }];
      default: {
        const out: AgentMessage[] = [];
        if (!started.has(id)) {
          const use = toolUseFor(item);
          if (use) out.push(use);
        }
        const res = toolResultFor(item);
        if (res) out.push(res);
        return out;
      }
    }
  }

  function runUsage(): Usage | undefined {
    if (!completedUsage) return undefined;
    return opts.previousUsage ? subtractUsage(completedUsage, opts.previousUsage) : { ...completedUsage };
  }

  function line(raw: string): AgentMessage[] {
    try {
      const ev = parseJsonObject(raw);
      if (!ev) return [];
      const type = str(ev.type);
      switch (type) {
        case 'thread.started': {
          threadId = str(ev.thread_id) ?? threadId;
          if (initSent) return [];
          initSent = true;
          const msg: AgentMessage = { kind: 'init' };
          if (threadId !== undefined) msg.sessionId = threadId;
          const model = str(ev.model);
          if (model !== undefined) msg.model = model;
          return [msg];
        }
        case 'item.started':
        case 'item.updated':
        case 'item.completed': {
          const item = obj(ev.item);
          return item ? onItem(type, item) : [];
        }
        case 'turn.completed': {
          turnCompleted = true;
          const u = obj(ev.usage);
          if (u) completedUsage = codexUsage(u);
          const msg: AgentMessage = { kind: 'result', ok: true };
          if (threadId !== undefined) msg.sessionId = threadId;
          if (lastAgentText !== undefined) msg.text = lastAgentText;
          const usage = runUsage();
          if (usage) msg.usage = usage;
          return [msg];
        }
        case 'turn.failed': {
          const message = str(obj(ev.error)?.message) ?? lastError ?? 'turn failed';
          turnFailed = message;
          const out: AgentMessage[] = [];
          if (message !== lastError) out.push({ kind: 'error', message });
          const msg: AgentMessage = { kind: 'result', ok: false, error: message, errorKind: classifyCodexError(message) };
          if (threadId !== undefined) msg.sessionId = threadId;
          out.push(msg);
          return out;
        }
        case 'error': {
          const message = str(ev.message) ?? 'error';
          if (/^Reconnecting\.\.\./i.test(message)) return [reconnectMessage(message)];
          lastError = message;
          return [{ kind: 'error', message }];
        }
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
      // Codex's stderr is chatty tracing; only errors and warnings are worth a notice.
      if (/\bERROR\b|^Error\b|\bWARN(ING)?\b|Reading additional input from stdin/.test(l)) {
        return stderr.notice(l, /Reading additional input/.test(l) ? 'info' : 'warning');
      }
      return [];
    } catch {
      return [];
    }
  }

  function reasonFor(kind: OutcomeKind, message: string, now: number, retryAt?: number): string {
    const short = oneLine(message, 240);
    const status = httpTag(statusIn(message));
    switch (kind) {
      case 'rate_limited': {
        const resets = retryAt !== undefined ? `; resets at ${formatResetTime(retryAt, now)}` : '';
        if (/hit your usage limit|usage_limit_reached/i.test(message)) return `${label} usage limit reached${resets}`;
        if (/Quota exceeded|insufficient_quota/i.test(message)) return `OpenAI quota exceeded: ${short}`;
        return `Rate limited by the API (HTTP ${statusIn(message) ?? 429})${resets}`;
      }
      case 'auth':
        return `${label} could not authenticate${status}: ${short}`;
      case 'overloaded':
        return `The API is overloaded${status}; try again in a moment (${short})`;
      case 'network':
        return `${label} could not reach the API: ${short}`;
      default:
        return `${label} failed${status}: ${short}`;
    }
  }

  function retryAtFor(kind: OutcomeKind, message: string, now: number): number | undefined {
    const parsed = () => saneTime(parseCodexReset(message, now, opts.timeZone), now);
    if (kind === 'rate_limited') {
      if (/hit your usage limit|usage_limit_reached/i.test(message)) return parsed() ?? now + USAGE_LIMIT_WAIT_MS;
      if (/Quota exceeded|insufficient_quota/i.test(message)) return now + USAGE_LIMIT_WAIT_MS;
      return parsed() ?? now + RATE_LIMIT_WAIT_MS;
    }
    if (kind === 'overloaded') return now + OVERLOAD_WAIT_MS;
    return undefined;
  }

  function decide(exit: ExitStatus, now: number): RunOutcome {
    const base: RunOutcome = { ok: false, kind: 'failed' };
    if (threadId !== undefined) base.sessionId = threadId;
    const usage = runUsage();
    if (usage) base.usage = usage;
    if (lastAgentText !== undefined) base.text = lastAgentText;

    if (turnCompleted && turnFailed === undefined) {
      if (exitedZero(exit)) return { ...base, ok: true, kind: 'success' };
      return { ...base, reason: exitReason(exit, stderr.meaningful(exit)) };
    }
    const failure = turnFailed ?? (exit.signal ? undefined : lastError);
    if (failure !== undefined) {
      const kind = classifyCodexError(failure);
      const retryAt = retryAtFor(kind, failure, now);
      const out: RunOutcome = { ...base, kind, reason: reasonFor(kind, failure, now, retryAt) };
      if (retryAt !== undefined) out.retryAt = retryAt;
      return out;
    }
    // Nothing conclusive on stdout: stderr tells.
    const errLine = stderr.meaningful(exit);
    if (exit.signal) return { ...base, reason: exitReason(exit) };
    if (errLine && classifyCodexError(errLine) === 'auth') {
      return { ...base, kind: 'auth', reason: reasonFor('auth', errLine, now) };
    }
    if (exit.code !== 0) return { ...base, reason: exitReason(exit, errLine) };
    return { ...base, reason: errLine ? `${label} ended without finishing its turn: ${errLine}` : `${label} ended without finishing its turn` };
  }

  function finish(exit: ExitStatus, now: number): RunOutcome {
    try {
      return decide(exit, now);
    } catch (e) {
      return { ok: false, kind: 'failed', reason: `could not read the outcome: ${String(e)}`, sessionId: threadId };
    }
  }

  return {
    line,
    stderrLine,
    finish,
    sawFinal: () => turnCompleted || turnFailed !== undefined,
    sessionId: () => threadId,
  };
}
