// Masks secrets in agent messages before they reach a transcript, the live view or the CLI:
// every string field of every message kind, tool inputs at any depth included.
import type { AgentMessage, RunOutcome } from '../model/agentMessage';
import { maskDeep, redact } from '../util/log';

/** Fields whose values are our own vocabulary, never the program's text: kept as they are. */
const VOCABULARY = new Set(['kind', 'status', 'level', 'errorKind', 'cause']);

/**
 * A copy of the message with every string masked (session ids, models, paths, tool ids, tool
 * inputs, texts, errors, and any field a later message kind adds). Never throws: a tool input
 * nested thousands of levels deep is walked without recursion.
 */
export function maskMessage<M extends AgentMessage>(m: M, secrets: readonly string[]): M {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = VOCABULARY.has(k) ? v : maskDeep(v, secrets);
  return out as M;
}

/** A copy of a run's outcome with its texts masked (reason, final text, session id), for runs.json and the audit log. */
export function maskOutcome(o: RunOutcome, secrets: readonly string[]): RunOutcome {
  const out: RunOutcome = { ...o };
  if (o.reason !== undefined) out.reason = redact(o.reason, secrets);
  if (o.text !== undefined) out.text = redact(o.text, secrets);
  if (o.sessionId !== undefined) out.sessionId = redact(o.sessionId, secrets);
  return out;
}
