// What one output panel's webview receives for one agent run: the transcript's tail page, then the
// live records in seq order with none lost or doubled (across the snapshot, the live stream and a
// catch-up from disk after the stream dropped records), sent at most once per ~34 ms however fast
// the agents write. No vscode import: the panel glue is in outputPanels.ts, the logic is unit-tested.
import type { LiveBatch, TranscriptRecord } from '../core/api';
import type { HostMessage, RunView } from '../protocol/messages';

/** The part of the orchestrator a feed reads from. */
export interface FeedSource {
  subscribe(runId: string, listener: (batch: LiveBatch) => void): { dispose(): void };
  readTranscript(runId: string, beforeSeq: number | undefined, limit: number): Promise<{ records: TranscriptRecord[]; hasOlder: boolean }>;
  readTranscriptAfter(runId: string, afterSeq: number, limit: number): Promise<TranscriptRecord[]>;
}

/** Time and one-shot timers; tests pass a fake clock. */
export interface FeedTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): { dispose(): void };
}

export const realTimer: FeedTimer = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { dispose: () => clearTimeout(t) };
  },
};

export interface FeedOptions {
  timer?: FeedTimer;
  /** Least time between two live messages to the webview: 34 ms keeps it under 30 a second. */
  minIntervalMs?: number;
  /** Records in each older page. */
  page?: number;
  /** Records in the first page: enough to fill a tall panel, few enough to paint at once. */
  firstPage?: number;
  /** A catch-up further behind than this starts again from the tail instead. */
  catchUpMax?: number;
}

export const FEED_INTERVAL_MS = 34;
export const FEED_PAGE = 400;
export const FEED_FIRST_PAGE = 100;

export class OutputFeed {
  private readonly timer: FeedTimer;
  private readonly minInterval: number;
  private readonly page: number;
  private readonly firstPage: number;
  private readonly catchUpMax: number;

  private run?: RunView;
  private story?: { id: number; name: string };
  private sub?: { dispose(): void };
  /** Bumped on every open: a read that finishes after the run changed is thrown away. */
  private gen = 0;
  /** The highest seq handed to the send queue (or in the snapshot). */
  private lastSeq = 0;
  /** While the disk is being read, live records wait here. */
  private reading = false;
  private buffered: TranscriptRecord[] = [];
  /** The live stream dropped records while a read was under way: read again after it. */
  private resyncAgain = false;

  private pending: TranscriptRecord[] = [];
  private pendingRun?: RunView;
  private sentRunJson = '';
  private lastSentAt = -Infinity;
  private flushTimer?: { dispose(): void };
  private disposed = false;

  constructor(
    private readonly src: FeedSource,
    private readonly post: (m: HostMessage) => void,
    opts: FeedOptions = {},
  ) {
    this.timer = opts.timer ?? realTimer;
    this.minInterval = opts.minIntervalMs ?? FEED_INTERVAL_MS;
    this.page = opts.page ?? FEED_PAGE;
    this.firstPage = opts.firstPage ?? FEED_FIRST_PAGE;
    this.catchUpMax = opts.catchUpMax ?? 5000;
  }

  get runId(): string | undefined {
    return this.run?.runId;
  }

  /** Shows a run from its tail: subscribes first, then reads the disk; live records meanwhile are filtered by seq. */
  async open(run: RunView, story?: { id: number; name: string }): Promise<void> {
    this.stop();
    const gen = ++this.gen;
    this.run = run;
    this.story = story;
    this.sentRunJson = JSON.stringify(run);
    this.reading = true;
    this.sub = this.src.subscribe(run.runId, (b) => {
      if (gen === this.gen) this.onLive(b);
    });
    await this.snapshot(gen);
  }

  /**
   * Goes on from what the webview already shows (the first page its document carried, up to `shownSeq`):
   * subscribes, reads what came after from disk (a fresh tail when too much did), then live records.
   */
  async resume(run: RunView, story: { id: number; name: string } | undefined, shownSeq: number): Promise<void> {
    this.stop();
    const gen = ++this.gen;
    this.run = run;
    this.story = story;
    this.lastSeq = shownSeq;
    // The header the document carried may be older than the run: the first message brings it up to date.
    this.sentRunJson = '';
    this.pendingRun = run;
    this.reading = true;
    this.resyncAgain = true;
    this.sub = this.src.subscribe(run.runId, (b) => {
      if (gen === this.gen) this.onLive(b);
    });
    await this.drain(gen);
    if (gen === this.gen && !this.disposed) this.schedule();
  }

  /** Back to the live tail with a fresh first page (the webview had paged far back). */
  async jumpToLatest(runId: string): Promise<void> {
    if (!this.run || runId !== this.run.runId) return;
    await this.open(this.run, this.story);
  }

  /** The run's header changed (status, tokens, cost): sent with the next batch, or alone. */
  updateRun(run: RunView): void {
    if (!this.run || run.runId !== this.run.runId) return;
    this.run = run;
    if (JSON.stringify(run) === this.sentRunJson && !this.pendingRun) return;
    this.pendingRun = run;
    this.schedule();
  }

  /** An older page for the webview's "load earlier" (a reply: not held back by the rate bound). */
  async loadOlder(runId: string, beforeSeq: number): Promise<void> {
    if (!this.run || runId !== this.run.runId) return;
    const gen = this.gen;
    const { records, hasOlder } = await this.src.readTranscript(runId, beforeSeq, this.page);
    if (gen !== this.gen || this.disposed) return;
    this.post({ type: 'outputOlder', runId, records, hasOlder });
  }

  /** No run to show: says why, and stops following the previous one. */
  empty(message: string): void {
    this.stop();
    this.gen++;
    this.run = undefined;
    this.post({ type: 'outputEmpty', message });
  }

  dispose(): void {
    this.stop();
    this.gen++;
    this.disposed = true;
  }

  // ---- reading ----

  private async snapshot(gen: number): Promise<void> {
    const run = this.run!;
    const { records, hasOlder } = await this.src.readTranscript(run.runId, undefined, this.firstPage);
    if (gen !== this.gen || this.disposed) return;
    this.lastSeq = records.length ? records[records.length - 1].seq : 0;
    this.post({ type: 'output', run, records, hasOlder, story: this.story });
    this.lastSentAt = this.timer.now();
    await this.drain(gen);
  }

  /** Ends a read: a resync that came meanwhile reads again, then the buffered live records go out. */
  private async drain(gen: number): Promise<void> {
    while (this.resyncAgain) {
      this.resyncAgain = false;
      if (!(await this.catchUp(gen))) return;
    }
    this.reading = false;
    const buffered = this.buffered;
    this.buffered = [];
    this.enqueue(buffered);
  }

  /** Reads what the live stream dropped; false when the feed moved on (or restarted from the tail). */
  private async catchUp(gen: number): Promise<boolean> {
    const run = this.run!;
    const missed = await this.src.readTranscriptAfter(run.runId, this.lastSeq, this.catchUpMax);
    if (gen !== this.gen || this.disposed) return false;
    if (missed.length >= this.catchUpMax) {
      // Too far behind: the webview would drop most of it anyway. Start again from the tail.
      void this.open(run, this.story);
      return false;
    }
    this.enqueue(missed);
    return true;
  }

  private onLive(b: LiveBatch): void {
    if (b.resyncAfterSeq !== undefined) {
      // The batch's own records are on disk too (written before they were published): the read covers them.
      this.resyncAgain = true;
      if (!this.reading) {
        this.reading = true;
        void this.drain(this.gen);
      }
      return;
    }
    if (this.reading) this.buffered.push(...b.records);
    else if (b.records.length && b.records[0].seq > this.lastSeq + 1) {
      // A hole before this batch (seqs are consecutive in a transcript): the disk has what is missing.
      this.onLive({ runId: b.runId, records: [], resyncAfterSeq: this.lastSeq });
      this.buffered.push(...b.records);
    } else this.enqueue(b.records);
  }

  // ---- sending ----

  private enqueue(records: TranscriptRecord[]): void {
    let added = false;
    for (const r of records) {
      if (r.seq <= this.lastSeq) continue;
      this.lastSeq = r.seq;
      this.pending.push(r);
      added = true;
    }
    if (added) this.schedule();
  }

  /** Sends now when the last message is old enough, otherwise once, when it is. */
  private schedule(): void {
    if (this.flushTimer || this.disposed) return;
    const wait = this.lastSentAt + this.minInterval - this.timer.now();
    if (wait <= 0) this.flush();
    else
      this.flushTimer = this.timer.setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, wait);
  }

  private flush(): void {
    const run = this.run;
    if (!run || (!this.pending.length && !this.pendingRun)) return;
    const changed = this.pendingRun && JSON.stringify(this.pendingRun) !== this.sentRunJson ? this.pendingRun : undefined;
    if (changed) this.sentRunJson = JSON.stringify(changed);
    this.pendingRun = undefined;
    if (this.pending.length) {
      const records = this.pending;
      this.pending = [];
      this.post(changed ? { type: 'outputAppend', runId: run.runId, records, run: changed } : { type: 'outputAppend', runId: run.runId, records });
    } else if (changed) this.post({ type: 'outputRun', run: changed });
    else return;
    this.lastSentAt = this.timer.now();
  }

  private stop(): void {
    this.sub?.dispose();
    this.sub = undefined;
    this.flushTimer?.dispose();
    this.flushTimer = undefined;
    this.pending = [];
    this.pendingRun = undefined;
    this.buffered = [];
    this.reading = false;
    this.resyncAgain = false;
    this.lastSeq = 0;
  }
}
