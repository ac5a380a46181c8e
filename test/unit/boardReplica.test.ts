import * as assert from 'node:assert/strict';
import { BOARD_STAGES, boardView, diffBoard } from '../../src/protocol/boardDelta';
import type { BoardState, CardView, Stage } from '../../src/protocol/messages';
import { BoardReplica } from '../../webview/boardReplica';

const card = (id: number, stage: Stage): CardView => ({ id, type: 'story', name: `s${id}`, stage, fileName: `${id}.md`, criteriaDone: 0, criteriaTotal: 1, blocked: false });
const state = (cards: CardView[], running = 0): BoardState =>
  boardView({ projectName: 'p', initialized: true, trusted: true, cards, running, queued: 0, maxCoders: 2, problems: [], agents: [], spentToday: 0 }, BOARD_STAGES);

const s1 = state([card(1, 'backlog'), card(2, 'qa')]);
const s2 = state([card(1, 'current'), card(2, 'qa')], 1);
const s3 = state([card(1, 'current')], 1);
const d12 = diffBoard(s1, s2)!;
const d23 = diffBoard(s2, s3)!;

describe('board replica', () => {
  it('renders a snapshot, then each delta in sequence', () => {
    const r = new BoardReplica();
    assert.deepEqual(r.receive({ type: 'boardSnapshot', seq: 4, state: s1 }), { kind: 'state', seq: 4, state: s1 });
    const a = r.receive({ type: 'boardDelta', seq: 5, delta: d12 });
    assert.equal(a.kind, 'state');
    assert.deepEqual(a.kind === 'state' && a.state, s2);
    const b = r.receive({ type: 'boardDelta', seq: 6, delta: d23 });
    assert.deepEqual(b.kind === 'state' && b.state, s3);
    assert.deepEqual(r.current, s3);
  });

  it('asks for a resync on a gap, once, and waits for the snapshot', () => {
    const r = new BoardReplica();
    r.receive({ type: 'boardSnapshot', seq: 1, state: s1 });
    assert.equal(r.receive({ type: 'boardDelta', seq: 3, delta: d23 }).kind, 'resync');
    assert.equal(r.receive({ type: 'boardDelta', seq: 4, delta: d23 }).kind, 'wait', 'no second resync while one is asked');
    assert.equal(r.current, undefined);
    const after = r.receive({ type: 'boardSnapshot', seq: 9, state: s2 });
    assert.deepEqual(after, { kind: 'state', seq: 9, state: s2 });
    assert.equal(r.receive({ type: 'boardDelta', seq: 10, delta: d23 }).kind, 'state');
  });

  it('a repeated or older delta is a gap too', () => {
    const r = new BoardReplica();
    r.receive({ type: 'boardSnapshot', seq: 1, state: s1 });
    r.receive({ type: 'boardDelta', seq: 2, delta: d12 });
    assert.equal(r.receive({ type: 'boardDelta', seq: 2, delta: d12 }).kind, 'resync');
  });

  it('asks for a resync on a delta before any snapshot', () => {
    const r = new BoardReplica();
    const res = r.receive({ type: 'boardDelta', seq: 1, delta: d12 });
    assert.equal(res.kind, 'resync');
  });

  it('asks for a resync when a delta does not fit its copy', () => {
    const r = new BoardReplica();
    r.receive({ type: 'boardSnapshot', seq: 1, state: s1 });
    assert.equal(r.receive({ type: 'boardDelta', seq: 2, delta: { remove: [77] } }).kind, 'resync');
  });

  it('a snapshot always resets, whatever its seq', () => {
    const r = new BoardReplica();
    r.receive({ type: 'boardSnapshot', seq: 10, state: s1 });
    r.receive({ type: 'boardDelta', seq: 11, delta: d12 });
    assert.deepEqual(r.receive({ type: 'boardSnapshot', seq: 3, state: s3 }), { kind: 'state', seq: 3, state: s3 });
    assert.equal(r.receive({ type: 'boardDelta', seq: 4, delta: { set: { running: 5 } } }).kind, 'state');
    assert.equal(r.current?.running, 5);
  });
});
