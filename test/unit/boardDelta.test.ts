import * as assert from 'node:assert/strict';
import { applyBoardDelta, BOARD_STAGES, BoardDeltaError, boardView, DEFAULT_SHOWN, diffBoard, sameJson } from '../../src/protocol/boardDelta';
import type { BoardDelta, BoardState, CardView, Stage } from '../../src/protocol/messages';
import { mulberry32 } from '../../src/core/util/prng';

const prng = mulberry32;

function card(id: number, stage: Stage, extra: Partial<CardView> = {}): CardView {
  return { id, type: 'story', name: `story ${id}`, stage, fileName: `${id}_story.md`, criteriaDone: 0, criteriaTotal: 3, blocked: false, ...extra };
}

function state(cards: CardView[], extra: Partial<BoardState> = {}): BoardState {
  return { projectName: 'p', initialized: true, trusted: true, cards, running: 0, queued: 0, maxCoders: 3, problems: [], agents: [], spentToday: 0, ...extra };
}

/** What crosses postMessage: JSON (undefined properties vanish). */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function roundTrip(prev: BoardState, next: BoardState): BoardDelta | undefined {
  const delta = diffBoard(prev, next);
  const after = delta ? applyBoardDelta(wire(prev), wire(delta)) : wire(prev);
  assert.deepEqual(wire(after), wire(next));
  return delta;
}

const allStages = (): Stage[] => [...BOARD_STAGES];

describe('board deltas', () => {
  it('sends nothing when nothing changed, even for fresh but equal objects', () => {
    const a = boardView(
      state([card(1, 'backlog'), card(2, 'done', { run: { runId: 'r', storyId: 2, agent: 'a', runtime: 'sim', status: 'succeeded', lastSeq: 3 } })]),
      allStages(),
    );
    assert.equal(diffBoard(a, a), undefined);
    assert.equal(diffBoard(a, structuredClone(a)), undefined);
    // a property set to undefined is the same as one not there
    const b = structuredClone(a);
    b.cards[0].agent = undefined;
    b.paused = undefined;
    assert.equal(diffBoard(a, b), undefined);
  });

  it('a header-only change carries no cards', () => {
    const cards = [card(1, 'backlog'), card(2, 'current')];
    const prev = boardView(state(cards), allStages());
    const next = boardView(state(cards, { running: 2, spentToday: 1.5, paused: 'budget reached' }), allStages());
    const d = roundTrip(prev, next);
    assert.deepEqual(d, { set: { running: 2, spentToday: 1.5, paused: 'budget reached' } });
    const back = roundTrip(next, prev);
    assert.deepEqual(back, { set: { running: 0, spentToday: 0 }, unset: ['paused'] });
  });

  it('a changed card is sent whole, alone', () => {
    const prev = boardView(state([card(1, 'current'), card(2, 'current'), card(3, 'qa')]), allStages());
    const next = boardView(state([card(1, 'current'), card(2, 'current', { criteriaDone: 2, note: 'x' }), card(3, 'qa')]), allStages());
    assert.deepEqual(roundTrip(prev, next), { upsert: [next.cards[1]] });
  });

  it('a card moving to the end of a stage ordered by id needs no order list', () => {
    const prev = boardView(state([card(1, 'done'), card(2, 'done'), card(9, 'merge')]), allStages());
    const next = boardView(state([card(1, 'done'), card(2, 'done'), card(9, 'done')]), allStages());
    const d = roundTrip(prev, next)!;
    assert.deepEqual(
      d.upsert?.map((c) => c.id),
      [9],
    );
    assert.equal(d.order, undefined);
    assert.equal(d.remove, undefined);
    // a card moving into the middle by id is merged in by id, still without an order list
    const mid = boardView(state([card(1, 'done'), card(3, 'done'), card(2, 'backlog')]), allStages());
    const midNext = boardView(state([card(1, 'done'), card(2, 'done'), card(3, 'done')]), allStages());
    assert.equal(roundTrip(mid, midNext)?.order, undefined);
  });

  it('a reordered stage sends that stage’s order, and only that stage’s', () => {
    const prev = boardView(state([card(1, 'backlog'), card(2, 'backlog'), card(3, 'backlog'), card(4, 'qa'), card(5, 'qa')]), allStages());
    const next = boardView(state([card(3, 'backlog'), card(1, 'backlog'), card(2, 'backlog'), card(4, 'qa'), card(5, 'qa')]), allStages());
    assert.deepEqual(roundTrip(prev, next), { order: { backlog: [3, 1, 2] } });
  });

  it('a removed card is sent as its id', () => {
    const prev = boardView(state([card(1, 'backlog'), card(2, 'backlog')]), allStages());
    const next = boardView(state([card(2, 'backlog')]), allStages());
    assert.deepEqual(roundTrip(prev, next), { remove: [1], set: { counts: { backlog: 1, current: 0, qa: 0, merge: 0, done: 0, archived: 0 } } });
  });

  it('a board sees only the cards of the stages it shows, and counts for every stage', () => {
    const full = state([card(1, 'archived'), card(2, 'done'), card(3, 'backlog'), card(4, 'archived')]);
    const v = boardView(full, DEFAULT_SHOWN);
    assert.deepEqual(
      v.cards.map((c) => c.id),
      [3, 2],
      'grouped by stage in pipeline order',
    );
    assert.deepEqual(v.counts, { backlog: 1, current: 0, qa: 0, merge: 0, done: 1, archived: 2 });
    // a card archived out of a shown stage is removed from the board, and the archive count goes up
    const next = boardView(state([card(1, 'archived'), card(2, 'archived'), card(3, 'backlog'), card(4, 'archived')]), DEFAULT_SHOWN);
    const d = roundTrip(v, next)!;
    assert.deepEqual(d.remove, [2]);
    assert.equal(d.upsert, undefined);
    assert.equal(d.set?.counts?.archived, 3);
    // expanding Archived: its cards arrive as a delta
    const expanded = boardView(full, allStages());
    assert.deepEqual(
      roundTrip(v, expanded)?.upsert?.map((c) => c.id),
      [1, 4],
    );
  });

  it('refuses a delta that does not fit the state (the replica then asks for a snapshot)', () => {
    const s = boardView(state([card(1, 'backlog')]), allStages());
    assert.throws(() => applyBoardDelta(s, { remove: [2] }), BoardDeltaError);
    assert.throws(() => applyBoardDelta(s, { order: { backlog: [1, 7] } }), BoardDeltaError);
    assert.throws(() => applyBoardDelta(s, { upsert: [card(2, 'backlog')], order: { backlog: [1] } }), BoardDeltaError);
  });

  it('does not change the state it applies to', () => {
    const s = boardView(state([card(1, 'backlog'), card(2, 'qa')]), allStages());
    const copy = structuredClone(s);
    const after = applyBoardDelta(s, { upsert: [card(1, 'qa')], remove: [2], set: { running: 1 } });
    assert.deepEqual(s, copy);
    assert.deepEqual(
      after.cards.map((c) => [c.id, c.stage]),
      [[1, 'qa']],
    );
  });

  it('round trips over many random sequences of edits (seeded)', function () {
    this.timeout(60_000); // the machine may be busy; the work is a few hundred ms
    const stageNames = allStages();
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      let nextId = 1;
      let cards: CardView[] = Array.from({ length: 20 + Math.floor(rnd() * 40) }, () => card(nextId++, pick(stageNames)));
      let extra: Partial<BoardState> = {};
      let shown: Stage[] = [...DEFAULT_SHOWN];
      let prev = boardView(state(cards, extra), shown);
      for (let step = 0; step < 60; step++) {
        cards = cards.map((c) => ({ ...c })); // fresh objects each build, as buildBoardState makes
        const edits = 1 + Math.floor(rnd() * 4);
        for (let e = 0; e < edits; e++) {
          const r = rnd();
          const i = Math.floor(rnd() * cards.length);
          if (r < 0.15) cards.splice(Math.floor(rnd() * (cards.length + 1)), 0, card(nextId++, pick(stageNames)));
          else if (r < 0.25 && cards.length > 1) cards.splice(i, 1);
          else if (r < 0.45 && cards[i]) cards[i].stage = pick(stageNames);
          else if (r < 0.6 && cards[i]) cards[i].criteriaDone = Math.floor(rnd() * 4);
          else if (r < 0.68 && cards[i]) cards[i].agent = rnd() < 0.5 ? undefined : pick(['coder-1', 'coder-2']);
          else if (r < 0.74 && cards[i])
            cards[i].run =
              rnd() < 0.3 ? undefined : { runId: `r${step}`, storyId: cards[i].id, agent: 'a', runtime: 'sim', status: pick(['running', 'failed'] as const), lastSeq: step };
          else if (r < 0.8 && cards.length > 2) {
            const j = Math.floor(rnd() * cards.length);
            [cards[i], cards[j]] = [cards[j], cards[i]];
          } else if (r < 0.88) extra = { ...extra, running: Math.floor(rnd() * 5), paused: rnd() < 0.5 ? undefined : 'drained' };
          else if (r < 0.94) extra = { ...extra, agents: [{ name: 'coder-1', runtime: 'sim', running: Math.floor(rnd() * 3), ok: true, status: 'ok', costUsd: step }] };
          else shown = stageNames.filter(() => rnd() < 0.6);
        }
        const next = boardView(state(cards, extra), shown);
        const d = roundTrip(prev, next);
        assert.equal(d === undefined, sameJson(wire(prev), wire(next)), `seed ${seed} step ${step}: a delta exactly when something changed`);
        prev = next;
      }
    }
  });
});
