import * as assert from 'node:assert/strict';
import type { TranscriptRecord } from '../../src/protocol/messages';
import { MAX_ROWS, OutputWindow, type WindowOps } from '../../webview/outputWindow';

const recs = (from: number, to: number): TranscriptRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, ts: 0, msg: { kind: 'text', text: `line ${from + i}` } }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The rows a DOM would hold, kept by applying the window's operations as output.ts does. */
class Rows {
  seqs: number[] = [];
  apply(ops: WindowOps): void {
    this.seqs.splice(0, ops.dropFirst);
    this.seqs.splice(this.seqs.length - ops.dropLast, ops.dropLast);
    this.seqs.unshift(...ops.prepend.map((r) => r.seq));
    this.seqs.push(...ops.append.map((r) => r.seq));
  }
}

describe('OutputWindow', () => {
  it('holds the snapshot and appends live records at the tail', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(601, 1000), true));
    dom.apply(w.append(recs(1001, 1010)));
    assert.deepEqual(dom.seqs, range(601, 1010));
    assert.equal(w.size, 410);
    assert.equal(w.hasOlder, true);
    assert.equal(w.detached, false);
  });

  it('drops records it already has and sorts a batch', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(1, 10), false));
    dom.apply(w.append([...recs(12, 13), ...recs(9, 11), ...recs(12, 12)].reverse()));
    assert.deepEqual(dom.seqs, range(1, 13));
  });

  it('never holds more than the maximum: the oldest rows go when the tail grows', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(1, 400), false));
    for (let s = 401; s <= 5000; s += 100) dom.apply(w.append(recs(s, s + 99)));
    assert.equal(dom.seqs.length, MAX_ROWS);
    assert.deepEqual(dom.seqs, range(5000 - MAX_ROWS + 1, 5000));
    assert.equal(w.firstSeq, 5000 - MAX_ROWS + 1);
    assert.equal(w.hasOlder, true);
  });

  it('keeps only the newest of a snapshot or batch larger than the maximum', () => {
    const w = new OutputWindow(100);
    const dom = new Rows();
    dom.apply(w.reset(recs(1, 250), false));
    assert.deepEqual(dom.seqs, range(151, 250));
    assert.equal(w.hasOlder, true);
    dom.apply(w.append(recs(251, 600)));
    assert.deepEqual(dom.seqs, range(501, 600));
  });

  it('prepends an older page before the first row and asks for the next one from there', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(801, 1200), true));
    assert.equal(w.olderRequest(), 801);
    assert.equal(w.olderRequest(), undefined, 'one request at a time');
    dom.apply(w.prepend([...recs(401, 800), ...recs(801, 805)], true));
    assert.deepEqual(dom.seqs, range(401, 1200));
    assert.equal(w.olderRequest(), 401);
    dom.apply(w.prepend(recs(1, 400), false));
    assert.deepEqual(dom.seqs, range(1, 1200));
    assert.equal(w.hasOlder, false);
    assert.equal(w.olderRequest(), undefined, 'nothing older');
    assert.equal(w.detached, false);
  });

  it('paging back past the maximum drops the newest rows and detaches from the live tail', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(9601, 10000), true));
    for (let first = 9601; first > 7601; first -= 400) {
      assert.equal(w.olderRequest(), first);
      dom.apply(w.prepend(recs(first - 400, first - 1), true));
    }
    assert.equal(dom.seqs.length, MAX_ROWS);
    assert.deepEqual(dom.seqs, range(7601, 9600));
    assert.equal(w.detached, true);
    assert.equal(w.lastSeq, 9600);
    assert.equal(w.olderRequest(), 7601);
  });

  it('while detached counts live records instead of showing them, once each', () => {
    const w = new OutputWindow(100);
    const dom = new Rows();
    dom.apply(w.reset(recs(51, 150), true));
    dom.apply(w.prepend(recs(1, 50), false));
    assert.equal(w.detached, true);
    const before = [...dom.seqs];
    dom.apply(w.append(recs(151, 160)));
    dom.apply(w.append(recs(155, 170)));
    assert.deepEqual(dom.seqs, before);
    assert.equal(w.missed, 20);
    assert.equal(w.lastSeen, 170);
  });

  it('re-attaches to the live tail with a fresh snapshot', () => {
    const w = new OutputWindow(100);
    const dom = new Rows();
    dom.apply(w.reset(recs(51, 150), true));
    dom.apply(w.prepend(recs(1, 50), false));
    dom.apply(w.append(recs(151, 160)));
    dom.apply(w.reset(recs(61, 160), true));
    assert.equal(w.detached, false);
    assert.equal(w.missed, 0);
    dom.apply(w.append(recs(161, 161)));
    assert.deepEqual(dom.seqs, range(62, 161));
  });

  it('ignores records without a sequence number', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    const bad = [{ ts: 0, msg: { kind: 'text', text: 'x' } }, null, { seq: 'x' }, { seq: 1.5 }] as unknown as TranscriptRecord[];
    dom.apply(w.reset([...bad, ...recs(1, 2)], false));
    dom.apply(w.append([...bad, ...recs(3, 3)]));
    dom.apply(w.prepend(bad, false));
    assert.deepEqual(dom.seqs, [1, 2, 3]);
  });

  it('clears everything for an empty panel', () => {
    const w = new OutputWindow();
    const dom = new Rows();
    dom.apply(w.reset(recs(1, 30), true));
    dom.apply(w.clear());
    assert.deepEqual(dom.seqs, []);
    assert.equal(w.hasOlder, false);
    assert.equal(w.olderRequest(), undefined);
  });
});
