// The board replica's arithmetic, shared by host and webview (no DOM, no vscode): what one board is
// sent (only the stages it shows, counts for all), what changed since the last send, and applying that.
import type { BoardDelta, BoardFields, BoardState, CardView, Stage } from './messages';

// Record<Stage, …> makes tsc flag a stage added to the model but missing here.
const STAGE_RANK: Record<Stage, number> = { backlog: 0, current: 1, qa: 2, merge: 3, done: 4, archived: 5 };
export const BOARD_STAGES = Object.keys(STAGE_RANK) as Stage[];

/** What a board shows until it says otherwise: every stage but Archived, whose cards load when it is expanded. */
export const DEFAULT_SHOWN: readonly Stage[] = BOARD_STAGES.filter((s) => s !== 'archived');

/**
 * The state one board is sent: the cards of the shown stages only, grouped by stage in pipeline order
 * (the host's order kept within a stage), and the number of stories in every stage.
 */
export function boardView(full: BoardState, shown: Iterable<Stage>): BoardState {
  const show = new Set(shown);
  const groups = BOARD_STAGES.map((): CardView[] => []);
  const counts: Partial<Record<Stage, number>> = {};
  for (const s of BOARD_STAGES) counts[s] = 0;
  for (const c of full.cards) {
    counts[c.stage] = (counts[c.stage] ?? 0) + 1;
    if (show.has(c.stage)) groups[STAGE_RANK[c.stage]].push(c);
  }
  return { ...full, cards: groups.flat(), counts };
}

/** Equality of JSON-like values, where a property set to undefined is the same as one not there (as after postMessage). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let nx = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    nx++;
    if (!sameJson(v, y[k])) return false;
  }
  let ny = 0;
  for (const k in y) if (y[k] !== undefined) ny++;
  return nx === ny;
}

/** Ids per stage, in order. */
function idsByStage(cards: readonly CardView[]): Map<Stage, number[]> {
  const m = new Map<Stage, number[]>();
  for (const c of cards) {
    let l = m.get(c.stage);
    if (!l) m.set(c.stage, (l = []));
    l.push(c.id);
  }
  return m;
}

/**
 * The order a replica gives a stage when the delta names none: the cards it kept there in their old
 * order, with the cards new to the stage merged in by id (the host's usual order), so a card moving
 * in needs no order list unless the host orders the stage otherwise.
 */
function derivedOrder(kept: readonly number[], added: number[]): number[] {
  if (added.length === 0) return kept as number[];
  added.sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length && j < added.length) out.push(added[j] < kept[i] ? added[j++] : kept[i++]);
  while (i < kept.length) out.push(kept[i++]);
  while (j < added.length) out.push(added[j++]);
  return out;
}

const sameIds = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function fieldKeys(a: BoardState, b: BoardState): (keyof BoardFields)[] {
  const keys = new Set<string>([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('cards');
  return [...keys] as (keyof BoardFields)[];
}

/**
 * What changed from `prev` to `next` (both as boardView returns them), or undefined when nothing did.
 * applyBoardDelta(prev, diffBoard(prev, next)) equals next.
 */
export function diffBoard(prev: BoardState, next: BoardState): BoardDelta | undefined {
  const delta: BoardDelta = {};
  const prevById = new Map<number, CardView>();
  for (const c of prev.cards) prevById.set(c.id, c);
  const nextById = new Map<number, CardView>();
  const upsert: CardView[] = [];
  for (const c of next.cards) {
    nextById.set(c.id, c);
    const p = prevById.get(c.id);
    if (p === undefined || !sameJson(p, c)) upsert.push(c);
  }
  const remove: number[] = [];
  for (const c of prev.cards) if (!nextById.has(c.id)) remove.push(c.id);
  if (upsert.length) delta.upsert = upsert;
  if (remove.length) delta.remove = remove;

  const prevOrder = idsByStage(prev.cards);
  const order: Partial<Record<Stage, number[]>> = {};
  let anyOrder = false;
  for (const [stage, ids] of idsByStage(next.cards)) {
    const before = prevOrder.get(stage) ?? [];
    const kept = before.filter((id) => nextById.get(id)?.stage === stage);
    const was = new Set(before);
    const added = ids.filter((id) => !was.has(id));
    if (!sameIds(derivedOrder(kept, added), ids)) {
      order[stage] = ids;
      anyOrder = true;
    }
  }
  if (anyOrder) delta.order = order;

  const set: Partial<Record<keyof BoardFields, unknown>> = {};
  const unset: (keyof BoardFields)[] = [];
  for (const k of fieldKeys(prev, next)) {
    if (next[k] === undefined) {
      if (prev[k] !== undefined) unset.push(k);
    } else if (!sameJson(prev[k], next[k])) set[k] = next[k];
  }
  if (Object.keys(set).length) delta.set = set as Partial<BoardFields>;
  if (unset.length) delta.unset = unset;
  return Object.keys(delta).length ? delta : undefined;
}

/** A delta that does not fit the state it is applied to: the replica has drifted and needs a snapshot. */
export class BoardDeltaError extends Error {}

/** The state after `delta`; `state` is not changed (cards that did not change are the same objects). */
export function applyBoardDelta(state: BoardState, delta: BoardDelta): BoardState {
  const out: BoardState = { ...state };
  const fields = out as unknown as Record<string, unknown>;
  for (const k of delta.unset ?? []) delete fields[k];
  for (const [k, v] of Object.entries(delta.set ?? {})) if (k !== 'cards') fields[k] = v;
  if (!delta.upsert?.length && !delta.remove?.length && !delta.order) return out;

  const byId = new Map<number, CardView>();
  for (const c of state.cards) byId.set(c.id, c);
  for (const id of delta.remove ?? []) {
    if (!byId.delete(id)) throw new BoardDeltaError(`board delta removes card ${id}, which the board does not have`);
  }
  const upserted = new Map<number, CardView>();
  for (const c of delta.upsert ?? []) {
    upserted.set(c.id, c);
    byId.set(c.id, c);
  }
  const before = idsByStage(state.cards);
  const cards: CardView[] = [];
  for (const stage of BOARD_STAGES) {
    let ids = delta.order?.[stage];
    if (ids === undefined) {
      const old = before.get(stage) ?? [];
      const kept = old.filter((id) => byId.get(id)?.stage === stage);
      const was = new Set(old);
      const added: number[] = [];
      for (const c of upserted.values()) if (c.stage === stage && !was.has(c.id)) added.push(c.id);
      ids = derivedOrder(kept, added);
    }
    for (const id of ids) {
      const c = byId.get(id);
      if (c === undefined || c.stage !== stage) throw new BoardDeltaError(`board delta orders card ${id} in ${stage}, where the board does not have it`);
      cards.push(c);
    }
  }
  if (cards.length !== byId.size) throw new BoardDeltaError(`board delta leaves ${byId.size - cards.length} card(s) out of every stage's order`);
  out.cards = cards;
  return out;
}
