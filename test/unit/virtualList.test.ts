// The windowing of a virtualized stage column: which cards a scroll position renders, the spacers
// that stand in for the others, and how measured heights correct the estimate.
import * as assert from 'node:assert/strict';
import { VirtualList } from '../../webview/virtualList';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** A list of n items of `estimate` px with no overscan unless given. */
function list(n: number, estimate = 10, overscan = 0): VirtualList<number> {
  const v = new VirtualList<number>(estimate, overscan);
  v.setItems(ids(n));
  return v;
}

describe('virtual list windowing', () => {
  it('an empty list renders nothing and has no height', () => {
    const v = list(0);
    assert.deepEqual(v.window(0, 500), { first: 0, end: 0, top: 0, bottom: 0, total: 0 });
    assert.equal(v.totalHeight(), 0);
    assert.equal(v.indexAt(100), 0);
  });

  it('a list shorter than the viewport renders every item with no spacers', () => {
    const v = list(5);
    assert.deepEqual(v.window(0, 500), { first: 0, end: 5, top: 0, bottom: 0, total: 50 });
  });

  it('at the top: the items in the viewport, then a spacer for the rest', () => {
    const v = list(100);
    assert.deepEqual(v.window(0, 95), { first: 0, end: 10, top: 0, bottom: 900, total: 1000 });
  });

  it('in the middle: spacers above and below, the partly visible items included', () => {
    const v = list(100);
    const w = v.window(205, 50);
    assert.deepEqual(w, { first: 20, end: 26, top: 200, bottom: 740, total: 1000 });
    assert.equal(w.top + (w.end - w.first) * 10 + w.bottom, w.total);
  });

  it('at the end: the last items and no bottom spacer', () => {
    const v = list(100);
    assert.deepEqual(v.window(950, 50), { first: 95, end: 100, top: 950, bottom: 0, total: 1000 });
  });

  it('overscan renders extra items on both sides, clamped to the list', () => {
    const v = list(100, 10, 30);
    assert.deepEqual(v.window(500, 50), { first: 47, end: 58, top: 470, bottom: 420, total: 1000 });
    assert.equal(v.window(0, 50).first, 0);
    assert.equal(v.window(950, 50).end, 100);
  });

  it('variable heights: offsets are the prefix sums of the measured heights', () => {
    const v = list(4, 10);
    v.setHeight(1, 100);
    v.setHeight(3, 40);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => v.offsetOf(i)),
      [0, 100, 110, 150, 160],
    );
    assert.equal(v.indexAt(99), 0);
    assert.equal(v.indexAt(100), 1);
    assert.equal(v.indexAt(149), 2);
    assert.equal(v.indexAt(1e6), 3);
    assert.deepEqual(v.window(105, 10), { first: 1, end: 3, top: 100, bottom: 10, total: 160 });
  });

  it('a height correction moves every later offset and reports whether anything changed', () => {
    const v = list(100);
    assert.equal(v.window(500, 50).first, 50);
    assert.equal(v.setHeight(10, 60, 9), true); // item 10 is at index 9
    assert.equal(v.offsetOf(50), 550);
    assert.equal(v.window(500, 50).first, 45);
    assert.equal(v.setHeight(10, 60), false, 'the same height again changes nothing');
    assert.equal(v.setHeight(11, 10), false, 'a measure equal to the estimate changes nothing');
    assert.equal(v.setHeight(12, 0), false, 'a hidden (unlaid) item keeps its assumed height');
    assert.equal(v.totalHeight(), 1050);
  });

  it('measured heights follow their key when the order changes; a wrong index hint is ignored', () => {
    const v = list(3);
    v.setHeight(1, 50, 0);
    v.setItems([3, 2, 1]);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => v.offsetOf(i)),
      [0, 10, 20, 70],
    );
    v.setHeight(3, 30, 2);
    assert.deepEqual(
      [1, 2, 3].map((i) => v.offsetOf(i)),
      [30, 40, 90],
    );
  });

  it('10,000 items: a window in the middle renders only what the viewport needs', () => {
    const v = new VirtualList<number>(90, 200);
    v.setItems(ids(10_000));
    for (let i = 5000; i < 5010; i++) v.setHeight(i + 1, 120, i);
    const w = v.window(5000 * 90 + 300, 800);
    assert.ok(w.end - w.first < 20, `rendered ${w.end - w.first} items`);
    assert.equal(w.total, 10_000 * 90 + 10 * 30);
    assert.ok(w.top <= 5000 * 90 + 300 - 200 && w.top + 300 > 5000 * 90 - 200);
    const rendered = Array.from({ length: w.end - w.first }, (_, j) => v.heightOf(w.first + j)).reduce((a, b) => a + b, 0);
    assert.equal(w.top + rendered + w.bottom, w.total);
    assert.deepEqual(v.window(10_000 * 90, 800).end, 10_000);
  });

  it('refuses a height estimate that is not positive', () => {
    assert.throws(() => new VirtualList<number>(0, 0), /estimate must be positive/);
  });
});
