// Which records of a run the output panel holds as rows: a window of at most `max` consecutive
// records of the transcript, following the live tail, or detached from it after the user paged far
// back (then live records are only counted). Pure: it says which rows to add and drop; output.ts
// applies that to the DOM, and the output bench applies it without one.
import type { TranscriptRecord } from '../src/protocol/messages';

export const MAX_ROWS = 2000;

/** What the DOM must do, in this order: drop rows at both ends, then add rows at both ends. */
export interface WindowOps {
  dropFirst: number;
  dropLast: number;
  prepend: TranscriptRecord[];
  append: TranscriptRecord[];
}

const noOps = (): WindowOps => ({ dropFirst: 0, dropLast: 0, prepend: [], append: [] });

function valid(records: readonly TranscriptRecord[]): TranscriptRecord[] {
  return records.filter((r) => typeof r?.seq === 'number' && Number.isInteger(r.seq)).sort((a, b) => a.seq - b.seq);
}

export class OutputWindow {
  /** The seqs of the rows, oldest first. */
  private seqs: number[] = [];
  /** Older records exist on disk before the first row. */
  hasOlder = false;
  /** The newest rows were dropped to page back: live records are counted, not shown. */
  detached = false;
  /** Live records that came while detached. */
  missed = 0;
  /** The highest seq received (shown or counted): older duplicates are dropped. */
  lastSeen = 0;
  /** An older page has been asked for and not answered yet. */
  loadingOlder = false;

  constructor(readonly max = MAX_ROWS) {}

  get size(): number {
    return this.seqs.length;
  }

  get firstSeq(): number | undefined {
    return this.seqs[0];
  }

  get lastSeq(): number | undefined {
    return this.seqs[this.seqs.length - 1];
  }

  /** A fresh snapshot (the tail page): everything before goes. */
  reset(records: readonly TranscriptRecord[], hasOlder: boolean): WindowOps {
    const ops = noOps();
    ops.dropFirst = this.seqs.length;
    const sorted = valid(records);
    const keep = sorted.slice(-this.max);
    this.seqs = keep.map((r) => r.seq);
    this.hasOlder = hasOlder || keep.length < sorted.length;
    this.detached = false;
    this.missed = 0;
    this.loadingOlder = false;
    this.lastSeen = this.lastSeq ?? 0;
    ops.append = keep;
    return ops;
  }

  /** Live records: appended at the tail (the oldest rows dropped past `max`), or counted while detached. */
  append(records: readonly TranscriptRecord[]): WindowOps {
    const ops = noOps();
    const fresh = valid(records).filter((r) => r.seq > this.lastSeen);
    const unique = fresh.filter((r, i) => i === 0 || r.seq !== fresh[i - 1].seq);
    if (!unique.length) return ops;
    this.lastSeen = unique[unique.length - 1].seq;
    if (this.detached) {
      this.missed += unique.length;
      return ops;
    }
    const add = unique.slice(-this.max);
    if (add.length < unique.length) this.hasOlder = true;
    for (const r of add) this.seqs.push(r.seq);
    ops.append = add;
    const over = this.seqs.length - this.max;
    if (over > 0) {
      ops.dropFirst = over;
      this.seqs.splice(0, over);
      this.hasOlder = true;
    }
    return ops;
  }

  /** An older page: added before the first row; past `max`, the newest rows go and the window detaches. */
  prepend(records: readonly TranscriptRecord[], hasOlder: boolean): WindowOps {
    this.loadingOlder = false;
    const ops = noOps();
    const first = this.firstSeq ?? Infinity;
    const older = valid(records).filter((r, i, a) => r.seq < first && (i === 0 || r.seq !== a[i - 1].seq));
    this.hasOlder = hasOlder;
    if (!older.length) return ops;
    const add = older.slice(-this.max);
    if (add.length < older.length) this.hasOlder = true;
    this.seqs.unshift(...add.map((r) => r.seq));
    ops.prepend = add;
    const over = this.seqs.length - this.max;
    if (over > 0) {
      ops.dropLast = over;
      this.seqs.splice(this.seqs.length - over, over);
      this.detached = true;
    }
    return ops;
  }

  /** The seq to ask the older page before, or undefined when there is none or a request is out. */
  olderRequest(): number | undefined {
    if (!this.hasOlder || this.loadingOlder || this.firstSeq === undefined) return undefined;
    this.loadingOlder = true;
    return this.firstSeq;
  }

  /** Everything goes (no run to show). */
  clear(): WindowOps {
    return this.reset([], false);
  }
}
