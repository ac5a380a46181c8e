// The board's filter, without DOM: text (#id, name, file name), type, agent and state. The board
// keeps it in the webview state across reloads, so what is read back is checked like input.
import type { CardView } from '../src/protocol/messages';

export const CARD_TYPES = ['story', 'bug', 'spike', 'refactor'] as const;

/** The states a card can be filtered by; a card may be in several (a blocked card with a question). */
export const CARD_STATES = ['running', 'queued', 'blocked', 'question', 'waiting', 'failed', 'needs review', 'paused', 'invalid'] as const;
export type CardState = (typeof CARD_STATES)[number];

export interface BoardFilter {
  /** Words that must all match: "#12" is story 12, anything else a part of the id, name or file name. */
  text: string;
  /** A card type, or '' for any. */
  type: string;
  /** An agent name, or '' for any. */
  agent: string;
  /** A CardState, or '' for any. */
  state: CardState | '';
}

export const NO_FILTER: BoardFilter = { text: '', type: '', agent: '', state: '' };

/** Run endings that are waits (a rate limit, an overloaded API, the network), not failures. */
const WAIT_OUTCOMES: ReadonlySet<string> = new Set(['rate_limited', 'overloaded', 'network']);

export function isFilterActive(f: BoardFilter): boolean {
  return f.text.trim() !== '' || f.type !== '' || f.agent !== '' || f.state !== '';
}

/** Every state the card is in at `now`. */
export function cardStates(c: CardView, now: number): CardState[] {
  const s: CardState[] = [];
  const status = c.run?.status;
  const waitEnding = status === 'failed' && WAIT_OUTCOMES.has(c.run?.outcome ?? '');
  if (status === 'running') s.push('running');
  if (status === 'queued') s.push('queued');
  if (c.blocked) s.push('blocked');
  if (c.question) s.push('question');
  if (c.waiting || waitEnding || (c.resumeAt !== undefined && c.resumeAt > now)) s.push('waiting');
  if ((status === 'failed' && !waitEnding) || c.mergeFailure !== undefined) s.push('failed');
  if (c.needsReview) s.push('needs review');
  if (c.paused !== undefined) s.push('paused');
  if (c.invalid) s.push('invalid');
  return s;
}

function matchesWord(c: CardView, word: string): boolean {
  const id = /^#(\d+)$/.exec(word);
  if (id) return c.id === Number(id[1]);
  return `#${c.id}`.includes(word) || c.name.toLowerCase().includes(word) || c.fileName.toLowerCase().includes(word);
}

/** A compiled filter: one predicate, with the text split and lower-cased once for all cards. */
export function cardFilter(f: BoardFilter, now: number): (c: CardView) => boolean {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return (c) => {
    if (f.type && c.type !== f.type) return false;
    if (f.agent && c.agent !== f.agent && c.run?.agent !== f.agent) return false;
    if (f.state && !cardStates(c, now).includes(f.state)) return false;
    return words.every((w) => matchesWord(c, w));
  };
}

/** The agents the cards name (assigned or running), sorted, for the agent choice. */
export function agentNames(cards: readonly CardView[], extra: readonly string[] = []): string[] {
  const names = new Set(extra);
  for (const c of cards) {
    if (c.agent) names.add(c.agent);
    if (c.run?.agent) names.add(c.run.agent);
  }
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** A filter read back from saved state: anything not shaped right becomes "no filter" for that part. */
export function parseFilter(raw: unknown): BoardFilter {
  if (typeof raw !== 'object' || raw === null) return { ...NO_FILTER };
  const r = raw as Record<string, unknown>;
  const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');
  const state = str(r.state, 32);
  return {
    text: str(r.text, 200),
    type: str(r.type, 32),
    agent: str(r.agent, 200),
    state: (CARD_STATES as readonly string[]).includes(state) ? (state as CardState) : '',
  };
}
