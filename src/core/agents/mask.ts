// Masks secrets in agent messages before they reach a transcript, the live view or the CLI:
// every string field of every message kind, tool inputs at any depth included.
import type { AgentMessage } from '../model/agentMessage';
import { maskDeep } from '../util/log';

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
