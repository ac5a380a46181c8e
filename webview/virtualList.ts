// The windowing math of a virtualized list, without DOM: items of varying height (measured once
// shown, estimated before), their prefix sums, and which items a scroll position needs rendered.

/** The items to render for a scroll position: [first, end) and the space that stands in for the rest. */
export interface VirtualWindow {
  first: number;
  /** One past the last item to render. */
  end: number;
  /** Height of the spacer before the first rendered item. */
  top: number;
  /** Height of the spacer after the last rendered item. */
  bottom: number;
  /** Height of the whole list. */
  total: number;
}

export const EMPTY_WINDOW: VirtualWindow = { first: 0, end: 0, top: 0, bottom: 0, total: 0 };

export class VirtualList<K> {
  private keys: readonly K[] = [];
  private readonly measured = new Map<K, number>();
  /** offsets[i] = sum of the heights of items 0..i-1; offsets[n] is the total. Valid up to `validTo`. */
  private offsets = new Float64Array(1);
  private validTo = 0;

  /**
   * @param estimate height assumed for an item not measured yet
   * @param overscan extra height rendered above and below the viewport, so a scroll shows no gap
   */
  constructor(
    private readonly estimate: number,
    private readonly overscan: number,
  ) {
    if (!(estimate > 0)) throw new Error(`VirtualList: the height estimate must be positive, got ${estimate}`);
  }

  get length(): number {
    return this.keys.length;
  }

  keyAt(i: number): K {
    return this.keys[i];
  }

  /** New items in a new order; heights measured before stay with their key. Forgets keys no longer listed. */
  setItems(keys: readonly K[]): void {
    this.keys = keys;
    if (this.measured.size > keys.length * 2 + 64) {
      const live = new Set(keys);
      for (const k of this.measured.keys()) if (!live.has(k)) this.measured.delete(k);
    }
    if (this.offsets.length < keys.length + 1) this.offsets = new Float64Array(keys.length + 1);
    this.validTo = 0;
  }

  heightOf(i: number): number {
    return this.measured.get(this.keys[i]) ?? this.estimate;
  }

  /**
   * Records the measured height of an item; returns true when the list's offsets change.
   * `index` (where the caller has the item) saves a search.
   */
  setHeight(key: K, height: number, index?: number): boolean {
    if (!(height > 0)) return false; // not laid out (a hidden view): keep what was assumed
    const before = this.measured.get(key) ?? this.estimate;
    this.measured.set(key, height);
    if (before === height) return false;
    const i = index !== undefined && this.keys[index] === key ? index : this.keys.indexOf(key);
    if (i >= 0 && i < this.validTo) this.validTo = i;
    return i >= 0;
  }

  /** Distance from the top of the list to the top of item i (i = length gives the total). */
  offsetOf(i: number): number {
    const n = this.keys.length;
    const to = Math.max(0, Math.min(i, n));
    for (let j = this.validTo; j < to; j++) this.offsets[j + 1] = this.offsets[j] + this.heightOf(j);
    if (to > this.validTo) this.validTo = to;
    return this.offsets[to];
  }

  totalHeight(): number {
    return this.offsetOf(this.keys.length);
  }

  /** The index of the item at `offset` from the top (clamped to the list). */
  indexAt(offset: number): number {
    const n = this.keys.length;
    if (n === 0) return 0;
    this.offsetOf(n);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** What to render when `viewport` pixels of the list are visible from `scrollTop` down. */
  window(scrollTop: number, viewport: number): VirtualWindow {
    const n = this.keys.length;
    if (n === 0) return EMPTY_WINDOW;
    const total = this.totalHeight();
    const from = Math.max(0, scrollTop - this.overscan);
    const to = Math.max(from, scrollTop + Math.max(0, viewport) + this.overscan);
    const first = Math.min(this.indexAt(from), n - 1);
    let end = first;
    while (end < n && this.offsets[end] < to) end++;
    end = Math.max(end, first + 1);
    return { first, end, top: this.offsets[first], bottom: total - this.offsets[end], total };
  }
}
