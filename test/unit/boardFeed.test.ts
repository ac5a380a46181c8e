import * as assert from 'node:assert/strict';
import { BOARD_STAGES, boardView, DEFAULT_SHOWN } from '../../src/protocol/boardDelta';
import type { BoardState, CardView, HostMessage, Stage } from '../../src/protocol/messages';
import { BoardFeed } from '../../src/extension/boardFeed';
import { BoardReplica } from '../../webview/boardReplica';
import type { TimerHandle } from '../../src/core/ports/clock';
import { FakeClock } from '../fixtures/fakeClock';

const card = (id: number, stage: Stage, extra: Partial<CardView> = {}): CardView => ({
  id,
  type: 'story',
  name: `s${id}`,
  stage,
  fileName: `${id}.md`,
  criteriaDone: 0,
  criteriaTotal: 1,
  blocked: false,
  ...extra,
});

/** A board webview: what it was posted, and its replica fed from it (as webview/board.ts does). */
class FakeBoard {
  readonly sent: HostMessage[] = [];
  readonly replica = new BoardReplica();
  isVisible = true;
  resyncs = 0;
  readonly sink = {
    post: (m: HostMessage) => {
      // what crosses postMessage is JSON
      const msg = JSON.parse(JSON.stringify(m)) as HostMessage;
      this.sent.push(msg);
      if (msg.type === 'boardSnapshot' || msg.type === 'boardDelta') if (this.replica.receive(msg).kind === 'resync') this.resyncs++;
    },
    visible: () => this.isVisible,
  };
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

function setup() {
  const clock = new FakeClock();
  let cards: CardView[] = [card(1, 'archived'), card(2, 'archived'), card(3, 'done'), card(4, 'backlog'), card(5, 'current')];
  let running = 0;
  let builds = 0;
  const full = (): BoardState => ({ projectName: 'p', initialized: true, trusted: true, cards, running, queued: 0, maxCoders: 2, problems: [], agents: [], spentToday: 0 });
  const feed = new BoardFeed<string>(
    () => {
      builds++;
      return full();
    },
    50,
    { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => (h as TimerHandle).dispose() },
  );
  return {
    clock,
    feed,
    full,
    builds: () => builds,
    setCards: (c: CardView[]) => (cards = c),
    cards: () => cards,
    setRunning: (n: number) => (running = n),
  };
}

const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('board feed (host side of the board replica)', () => {
  it('sends a snapshot on ready, without archived cards but with every stage’s count', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('side', b.sink);
    t.feed.refresh();
    assert.deepEqual(b.sent, [], 'nothing before ready');
    t.feed.ready('side');
    assert.deepEqual(b.types(), ['boardSnapshot']);
    const snap = b.sent[0] as Extract<HostMessage, { type: 'boardSnapshot' }>;
    assert.deepEqual(
      snap.state.cards.map((c) => c.id),
      [4, 5, 3],
    );
    assert.deepEqual(snap.state.counts, { backlog: 1, current: 1, qa: 0, merge: 0, done: 1, archived: 2 });
  });

  it('then sends only deltas of what changed, in sequence, and nothing when nothing did', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('side', b.sink);
    t.feed.ready('side');
    t.setCards(t.cards().map((c) => (c.id === 5 ? card(5, 'qa') : c)));
    t.feed.refresh();
    t.clock.advance(100);
    t.feed.refresh(); // nothing changed
    t.clock.advance(100);
    t.setCards(t.cards().map((c) => (c.id === 1 ? card(1, 'archived', { note: 'x' }) : c)));
    t.feed.refresh(); // only an archived card changed: this board does not show it
    t.clock.advance(100);
    assert.deepEqual(b.types(), ['boardSnapshot', 'boardDelta']);
    const d = b.sent[1] as Extract<HostMessage, { type: 'boardDelta' }>;
    assert.equal(d.seq, b.sent[0].type === 'boardSnapshot' ? b.sent[0].seq + 1 : NaN);
    assert.deepEqual(d.delta.upsert, [card(5, 'qa')]);
    assert.deepEqual(wire(b.replica.current), wire(boardView(t.full(), DEFAULT_SHOWN)));
    assert.equal(b.resyncs, 0);
  });

  it('coalesces a burst: the first change at once, the rest in one send at the window’s end', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('side', b.sink);
    t.feed.ready('side');
    const before = t.builds();
    for (let i = 1; i <= 20; i++) {
      t.setRunning(i);
      t.feed.refresh();
    }
    assert.equal(t.builds() - before, 1, 'leading edge only, so far');
    assert.equal(b.replica.current?.running, 1);
    t.clock.advance(50);
    assert.equal(t.builds() - before, 2, 'one trailing build for the other 19');
    assert.equal(b.replica.current?.running, 20);
    t.clock.advance(1000);
    assert.equal(t.builds() - before, 2, 'no build without a change');
    t.setRunning(21);
    t.feed.refresh();
    assert.equal(b.replica.current?.running, 21, 'an idle feed sends at once');
  });

  it('a board that shows Archived gets its cards as a delta; hiding it again removes them', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('panel', b.sink);
    t.feed.ready('panel');
    t.feed.view('panel', BOARD_STAGES);
    assert.deepEqual(b.types(), ['boardSnapshot', 'boardDelta']);
    assert.deepEqual(
      b.replica.current?.cards.filter((c) => c.stage === 'archived').map((c) => c.id),
      [1, 2],
    );
    t.feed.view('panel', ['backlog']);
    assert.deepEqual(wire(b.replica.current), wire(boardView(t.full(), ['backlog'])));
    assert.equal(b.resyncs, 0);
  });

  it('a hidden board is skipped and catches up with a snapshot when shown', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('side', b.sink);
    t.feed.ready('side');
    b.isVisible = false;
    t.setRunning(3);
    t.feed.refresh();
    t.clock.advance(100);
    assert.deepEqual(b.types(), ['boardSnapshot']);
    b.isVisible = true;
    t.feed.shown('side');
    assert.deepEqual(b.types(), ['boardSnapshot', 'boardSnapshot']);
    assert.equal(b.replica.current?.running, 3);
    t.feed.shown('side'); // shown again without missing anything: nothing to send
    assert.equal(b.sent.length, 2);
  });

  it('a panel whose page is dropped while hidden gets one snapshot, for the stages its new page names', () => {
    const t = setup();
    const b = new FakeBoard();
    t.feed.add('panel', { ...b.sink, reloadsWhenHidden: true });
    t.feed.ready('panel');
    b.isVisible = false;
    t.feed.hidden('panel');
    t.setRunning(4);
    t.feed.refresh();
    b.isVisible = true;
    t.feed.shown('panel'); // the new page is not listening yet: nothing is sent
    assert.deepEqual(b.types(), ['boardSnapshot']);
    t.feed.view('panel', ['qa']); // the new page names its stages, then says ready
    t.feed.ready('panel');
    assert.deepEqual(b.types(), ['boardSnapshot', 'boardSnapshot']);
    assert.deepEqual(wire(b.replica.current), wire(boardView(t.full(), ['qa'])));
  });

  it('each board gets its own stages and sequence; a resync (ready) gets a fresh snapshot', () => {
    const t = setup();
    const side = new FakeBoard();
    const panel = new FakeBoard();
    t.feed.add('side', side.sink);
    t.feed.add('panel', panel.sink);
    t.feed.ready('side');
    t.feed.ready('panel');
    t.feed.view('panel', ['archived']);
    t.setCards([...t.cards(), card(6, 'archived')]);
    t.feed.refresh();
    assert.deepEqual(wire(side.replica.current), wire(boardView(t.full(), DEFAULT_SHOWN)));
    assert.deepEqual(wire(panel.replica.current), wire(boardView(t.full(), ['archived'])));
    t.feed.ready('side');
    assert.equal(side.sent.at(-1)?.type, 'boardSnapshot');
    const seqs = side.sent.map((m) => (m.type === 'boardSnapshot' || m.type === 'boardDelta' ? m.seq : NaN));
    assert.deepEqual(seqs, [1, 2, 3]);
    t.feed.remove('panel');
    t.setRunning(9);
    t.clock.advance(100);
    t.feed.refresh();
    assert.equal(side.replica.current?.running, 9);
    t.feed.dispose();
  });
});
