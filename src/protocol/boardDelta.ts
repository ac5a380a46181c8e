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

/** Cards per stage, in order, indexed by stage rank. */
function byStage(cards: readonly CardView[]): CardView[][] {
  const groups = BOARD_STAGES.map((): CardView[] => []);
  for (const c of cards) groups[STAGE_RANK[c.stage]].push(c);
  return groups;
}

const sameIdSequence = (a: readonly CardView[], b: readonly CardView[]): boolean => a.length === b.length && a.every((c, i) => c.id === b[i].id);

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
  const upsert: CardView[] = [];
  const before = byStage(prev.cards);
  const after = byStage(next.cards);
  // A stage holding the same ids in the same order (most of them, most of the time) is compared
  // card by card; only the stages whose ids changed need lookups by id and an order check.
  const changed: number[] = [];
  for (let r = 0; r < BOARD_STAGES.length; r++) {
    const p = before[r];
    const n = after[r];
    if (sameIdSequence(p, n)) {
      for (let i = 0; i < n.length; i++) if (!sameJson(p[i], n[i])) upsert.push(n[i]);
    } else changed.push(r);
  }
  const remove: number[] = [];
  const order: Partial<Record<Stage, number[]>> = {};
  let anyOrder = false;
  if (changed.length) {
    const prevById = new Map<number, CardView>();
    const nextById = new Map<number, CardView>();
    for (const r of changed) for (const c of before[r]) prevById.set(c.id, c);
    for (const r of changed) for (const c of after[r]) nextById.set(c.id, c);
    for (const r of changed) {
      const stage = BOARD_STAGES[r];
      for (const c of after[r]) {
        const p = prevById.get(c.id);
        if (p === undefined || !sameJson(p, c)) upsert.push(c);
      }
      for (const c of before[r]) if (!nextById.has(c.id)) remove.push(c.id);
      const kept = before[r].filter((c) => nextById.get(c.id)?.stage === stage).map((c) => c.id);
      const was = new Set(before[r].map((c) => c.id));
      const ids = after[r].map((c) => c.id);
      if (
        !sameIds(
          derivedOrder(
            kept,
            ids.filter((id) => !was.has(id)),
          ),
          ids,
        )
      ) {
        order[stage] = ids;
        anyOrder = true;
      }
    }
  }
  if (upsert.length) delta.upsert = upsert;
  if (remove.length) delta.remove = remove;
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

  const upserted = new Map<number, CardView>();
  for (const c of delta.upsert ?? []) upserted.set(c.id, c);
  const removed = new Set(delta.remove ?? []);
  const groups = byStage(state.cards);
  // Only the stages the delta touches are rebuilt: where an upserted or removed card was or goes, and reordered ones.
  const touched = new Set<number>();
  for (const c of upserted.values()) touched.add(STAGE_RANK[c.stage]);
  for (const s of Object.keys(delta.order ?? {})) if (Object.hasOwn(STAGE_RANK, s)) touched.add(STAGE_RANK[s as Stage]);
  let found = 0;
  for (let r = 0; r < groups.length; r++) {
    for (const c of groups[r]) {
      if (removed.has(c.id)) found++;
      if (upserted.has(c.id) || removed.has(c.id)) touched.add(r);
    }
  }
  if (found !== removed.size) throw new BoardDeltaError('board delta removes a card the board does not have');

  const byId = new Map<number, CardView>();
  for (const r of touched) for (const c of groups[r]) if (!removed.has(c.id)) byId.set(c.id, c);
  for (const c of upserted.values()) byId.set(c.id, c);
  const cards: CardView[] = [];
  let placed = 0;
  for (let r = 0; r < BOARD_STAGES.length; r++) {
    const stage = BOARD_STAGES[r];
    if (!touched.has(r)) {
      for (const c of groups[r]) cards.push(c);
      continue;
    }
    let ids = delta.order?.[stage];
    if (ids === undefined) {
      const old = groups[r];
      const kept = old.filter((c) => byId.get(c.id)?.stage === stage).map((c) => c.id);
      const was = new Set(old.map((c) => c.id));
      const added: number[] = [];
      for (const c of upserted.values()) if (c.stage === stage && !was.has(c.id)) added.push(c.id);
      ids = derivedOrder(kept, added);
    }
    for (const id of ids) {
      const c = byId.get(id);
      if (c === undefined || c.stage !== stage) throw new BoardDeltaError(`board delta orders card ${id} in ${stage}, where the board does not have it`);
      cards.push(c);
      placed++;
    }
  }
  if (placed !== byId.size) throw new BoardDeltaError(`board delta leaves ${byId.size - placed} card(s) out of every stage's order`);
  out.cards = cards;
  return out;
}
