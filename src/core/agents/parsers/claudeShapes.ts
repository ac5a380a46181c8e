// What Claude Code's stream-json lines mean, apart from the stream's state: usage figures,
// tool result contents, and which kind of failure an error result is.
import type { OutcomeKind, Usage } from '../../model/agentMessage';
import { type Json, kindOfStatus, NETWORK_TEXT, num, obj, safeStringify, str } from './common';
import { isClaudeUsageLimitText } from './rateLimit';

/** Map a Claude `result` line's usage: modelUsage summed over models when present, else `usage`. */
export function claudeUsage(ev: Json): Usage | undefined {
  const mu = obj(ev.modelUsage);
  if (mu && Object.keys(mu).length > 0) {
    const u: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    let any = false;
    for (const v of Object.values(mu)) {
      const m = obj(v);
      if (!m) continue;
      any = true;
      u.inputTokens += num(m.inputTokens) ?? 0;
      u.outputTokens += num(m.outputTokens) ?? 0;
      u.cacheReadTokens += num(m.cacheReadInputTokens) ?? 0;
      u.cacheWriteTokens += num(m.cacheCreationInputTokens) ?? 0;
    }
    if (any) return u;
  }
  const usage = obj(ev.usage);
  if (!usage) return undefined;
  return {
    inputTokens: num(usage.input_tokens) ?? 0,
    outputTokens: num(usage.output_tokens) ?? 0,
    cacheReadTokens: num(usage.cache_read_input_tokens) ?? 0,
    cacheWriteTokens: num(usage.cache_creation_input_tokens) ?? 0,
  };
}

/** Content of a tool_result block as one string: text parts joined, other parts named. */
export function toolResultContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) return '';
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const p of content) {
      const o = obj(p);
      if (!o) {
        if (typeof p === 'string') parts.push(p);
        continue;
      }
      const t = str(o.text);
      if (t !== undefined) parts.push(t);
      else if (typeof o.type === 'string') parts.push(`[${o.type}]`);
    }
    return parts.join('\n');
  }
  return safeStringify(content);
}

export const AUTH_TEXT =
  /Not logged in|Invalid API key|Please run \/login|authentication_failed|Failed to authenticate|OAuth token (has )?(expired|been revoked)|invalid x-api-key|\b401\b.*(Unauthori[sz]ed|authentication)|Invalid bearer token/i;
export const AUTH_ERRORS = new Set(['authentication_failed', 'oauth_org_not_allowed', 'account_on_hold', 'verification_required', 'cloud_credential_error']);

/** Decide the kind of a failed Claude result from its status, subtype and texts. */
export function classifyClaudeError(
  subtype: string | undefined,
  apiStatus: number | undefined,
  text: string,
  assistantError: string | undefined,
  terminalReason: string | undefined,
  noResponse: boolean,
): OutcomeKind {
  if (subtype === 'error_max_turns' || terminalReason === 'max_turns') return 'max_turns';
  if (subtype === 'error_max_budget_usd' || terminalReason === 'budget_exhausted') return 'budget';
  if (apiStatus === 429 || assistantError === 'rate_limit') return 'rate_limited';
  if (apiStatus === 529 || assistantError === 'overloaded') return 'overloaded';
  const byStatus = kindOfStatus(apiStatus);
  if (byStatus) return byStatus;
  if (assistantError !== undefined && AUTH_ERRORS.has(assistantError)) return 'auth';
  if (AUTH_TEXT.test(text)) return 'auth';
  if (isClaudeUsageLimitText(text) || /Server is temporarily limiting requests|rate[ _-]limit/i.test(text)) return 'rate_limited';
  if (/\bOverloaded\b|experiencing high load/i.test(text)) return 'overloaded';
  if (apiStatus === undefined && (NETWORK_TEXT.test(text) || noResponse)) return 'network';
  return 'failed';
}
