import * as assert from 'node:assert/strict';
import type { LiveBatch, TranscriptRecord } from '../../src/core/api';
import { OutputFeed, type FeedSource } from '../../src/extension/outputFeed';
import type { HostMessage, RunView } from '../../src/protocol/messages';
import { FakeClock } from '../fixtures/fakeClock';

/** An orchestrator's transcripts and live stream, with disk reads that finish only when the test says so. */
class FakeSource implements FeedSource {
  readonly files = new Map<string, TranscriptRecord[]>();
  private listeners = new Map<string, Set<(b: LiveBatch) => void>>();
  private reads: (() => void)[] = [];
  reads_: { after: number; limit: number }[] = [];

  subscribe(runId: string, listener: (b: LiveBatch) => void): { dispose(): void } {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return { dispose: () => set.delete(listener) };
  }

  listenerCount(runId: string): number {
    return this.listeners.get(runId)?.size ?? 0;
  }

  /** A page is read when asked (as the tail is read, at once): what is written meanwhile comes only live. */
  readTranscript(runId: string, beforeSeq: number | undefined, limit: number): Promise<{ records: TranscriptRecord[]; hasOlder: boolean }> {
    const all = (this.files.get(runId) ?? []).filter((r) => beforeSeq === undefined || r.seq < beforeSeq);
    const records = all.slice(-limit);
    return new Promise((resolve) => this.reads.push(() => resolve({ records, hasOlder: records.length > 0 && records[0].seq > 1 })));
  }

  /** Read when the read finishes (a stream to the end of the file): it may hold records that also come live. */
  readTranscriptAfter(runId: string, afterSeq: number, limit: number): Promise<TranscriptRecord[]> {
    this.reads_.push({ after: afterSeq, limit });
    return new Promise((resolve) => this.reads.push(() => resolve((this.files.get(runId) ?? []).filter((r) => r.seq > afterSeq).slice(0, limit))));
  }

  pendingReads(): number {
    return this.reads.length;
  }

  /** Finishes every read started so far, then lets the feed's continuations run. */
  async finishReads(): Promise<void> {
    while (this.reads.length) {
      const rs = this.reads;
      this.reads = [];
      for (const r of rs) r();
      await settle();
    }
  }

  /** Writes n records to the run's transcript; returns them (for a live batch). */
  write(runId: string, n: number): TranscriptRecord[] {
    const file = this.files.get(runId) ?? [];
    this.files.set(runId, file);
    const out: TranscriptRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = { seq: file.length + 1, ts: 0, msg: { kind: 'text' as const, text: `${runId} line ${file.length + 1}` } };
      file.push(r);
      out.push(r);
    }
    return out;
  }

  /** Writes and publishes live. */
  publish(runId: string, n: number): void {
    const records = this.write(runId, n);
    for (const l of this.listeners.get(runId) ?? []) l({ runId, records });
  }

  /** Writes, but the live stream drops them: the subscriber gets a resync marker. */
  drop(runId: string, n: number): void {
    const records = this.write(runId, n);
    for (const l of this.listeners.get(runId) ?? []) l({ runId, records: [], resyncAfterSeq: records[0].seq - 1 });
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function run(runId: string, extra: Partial<RunView> = {}): RunView {
  return { runId, storyId: 1, agent: 'sim', runtime: 'sim', status: 'running', lastSeq: 0, ...extra };
}

interface Posted {
  at: number;
  m: HostMessage;
}

function setup(opts: { catchUpMax?: number; page?: number; firstPage?: number } = {}) {
  const clock = new FakeClock();
  const src = new FakeSource();
  const posted: Posted[] = [];
  const feed = new OutputFeed(src, (m) => posted.push({ at: clock.now(), m }), { timer: clock, ...opts, firstPage: opts.firstPage ?? opts.page });
  /** Every seq the webview got for a run, in order: the snapshot's, then the appends'. */
  const seqs = (runId: string): number[] => {
    let out: number[] = [];
    for (const { m } of posted) {
      if (m.type === 'output' && m.run.runId === runId) out = m.records.map((r) => r.seq);
      if (m.type === 'outputAppend' && m.runId === runId) out.push(...m.records.map((r) => r.seq));
    }
    return out;
  };
  return { clock, src, posted, feed, seqs };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('OutputFeed', () => {
  it('opens with the tail page, then sends live records', async () => {
    const { clock, src, posted, feed, seqs } = setup({ page: 10 });
    src.write('r1', 25);
    const opening = feed.open(run('r1'), { id: 1, name: 'A story' });
    await src.finishReads();
    await opening;
    assert.equal(posted.length, 1);
    const first = posted[0].m;
    assert.ok(first.type === 'output');
    assert.deepEqual(
      first.records.map((r) => r.seq),
      range(16, 25),
    );
    assert.equal(first.hasOlder, true);
    assert.deepEqual(first.story, { id: 1, name: 'A story' });
    src.publish('r1', 3);
    clock.advance(34);
    assert.deepEqual(seqs('r1'), range(16, 28));
  });

  it('sends at most one message per 34 ms however fast records come, and loses none', async () => {
    const { clock, src, posted, feed, seqs } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    for (let ms = 0; ms < 1000; ms++) {
      src.publish('r1', 1 + (ms % 3));
      clock.advance(1);
    }
    clock.advance(100);
    const times = posted.map((p) => p.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 34, `messages ${i - 1} and ${i} ${times[i] - times[i - 1]} ms apart`);
    assert.ok(posted.length <= 32, `${posted.length} messages in 1.1 s`);
    assert.ok(posted.length >= 25, `records were held back: only ${posted.length} messages`);
    assert.deepEqual(seqs('r1'), range(1, src.files.get('r1')!.length));
  });

  it('sends a record at once when the webview has had nothing for a while', async () => {
    const { clock, src, posted, feed } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    clock.advance(500);
    src.publish('r1', 1);
    assert.equal(posted.length, 2);
    assert.equal(posted[1].at, clock.now());
  });

  it('neither loses nor doubles records that arrive live while the tail is read', async () => {
    const { clock, src, feed, seqs } = setup({ page: 50 });
    src.write('r1', 30);
    const opening = feed.open(run('r1'));
    src.publish('r1', 5); // live while the tail is read: only live
    await src.finishReads();
    await opening;
    src.publish('r1', 4);
    clock.advance(34);
    assert.deepEqual(seqs('r1'), range(1, 39));
  });

  it('catches up from the disk after the live stream dropped records, even when it drops again meanwhile', async () => {
    const { clock, src, feed, seqs } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    src.publish('r1', 10);
    src.drop('r1', 100);
    assert.equal(src.pendingReads(), 1);
    assert.equal(src.reads_[0].after, 10);
    src.publish('r1', 5); // during the catch-up: buffered, and on disk
    src.drop('r1', 20); // a second drop before the first read is done
    src.publish('r1', 2);
    await src.finishReads();
    src.publish('r1', 3);
    clock.advance(200);
    assert.deepEqual(seqs('r1'), range(1, 140));
  });

  it('reads a hole in the live stream from the disk (a record written but never published)', async () => {
    const { clock, src, feed, seqs } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    src.write('r1', 1); // on disk, not live
    src.publish('r1', 4);
    assert.equal(src.pendingReads(), 1);
    await src.finishReads();
    src.publish('r1', 2);
    clock.advance(100);
    assert.deepEqual(seqs('r1'), range(1, 7));
  });

  it('starts again from the tail when a catch-up is too far behind', async () => {
    const { clock, src, posted, feed } = setup({ catchUpMax: 50, page: 20 });
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    src.drop('r1', 500);
    await src.finishReads();
    clock.advance(100);
    const snapshots = posted.filter((p) => p.m.type === 'output');
    assert.equal(snapshots.length, 2);
    const last = snapshots[1].m;
    assert.ok(last.type === 'output');
    assert.deepEqual(
      last.records.map((r) => r.seq),
      range(481, 500),
    );
    assert.equal(src.listenerCount('r1'), 1);
  });

  it('on a switch of run drops the old run: its late snapshot and live records never reach the webview', async () => {
    const { clock, src, posted, feed, seqs } = setup();
    src.write('a', 5);
    src.write('b', 7);
    const openA = feed.open(run('a'));
    const openB = feed.open(run('b')); // before a's read finished
    src.publish('a', 3);
    await src.finishReads();
    await Promise.all([openA, openB]);
    src.publish('a', 3);
    src.publish('b', 2);
    clock.advance(100);
    assert.deepEqual(
      posted.filter((p) => (p.m.type === 'output' ? p.m.run.runId : p.m.type === 'outputAppend' ? p.m.runId : '') === 'a'),
      [],
    );
    assert.deepEqual(seqs('b'), range(1, 9));
    assert.equal(src.listenerCount('a'), 0);
    assert.equal(feed.runId, 'b');
  });

  it('sends a changed run header with the next batch, or alone when no records wait', async () => {
    const { clock, src, posted, feed } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    feed.updateRun(run('r1')); // unchanged: nothing
    clock.advance(100);
    assert.equal(posted.length, 1);
    src.publish('r1', 1);
    feed.updateRun(run('r1', { costUsd: 0.5 }));
    const append = posted[1].m;
    assert.ok(append.type === 'outputAppend');
    assert.equal(append.run, undefined); // sent at once, before the header changed
    feed.updateRun(run('r1', { costUsd: 0.7 }));
    src.publish('r1', 1);
    clock.advance(34);
    const next = posted[2].m;
    assert.ok(next.type === 'outputAppend');
    assert.equal(next.run?.costUsd, 0.7);
    feed.updateRun(run('r1', { status: 'succeeded' }));
    clock.advance(34);
    assert.equal(posted.length, 4);
    assert.deepEqual(posted[3].m, { type: 'outputRun', run: run('r1', { status: 'succeeded' }) });
  });

  it('opens with a short first page, then answers older pages of the page size for the run it shows, and not for another', async () => {
    const { src, posted, feed } = setup({ page: 10, firstPage: 4 });
    src.write('r1', 30);
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    const first = posted[0].m;
    assert.ok(first.type === 'output');
    assert.deepEqual(
      first.records.map((r) => r.seq),
      range(27, 30),
    );
    const older = feed.loadOlder('r1', 21);
    const stale = feed.loadOlder('other', 21);
    await src.finishReads();
    await Promise.all([older, stale]);
    assert.equal(posted.length, 2);
    const m = posted[1].m;
    assert.ok(m.type === 'outputOlder');
    assert.deepEqual(
      m.records.map((r) => r.seq),
      range(11, 20),
    );
    assert.equal(m.hasOlder, true);
  });

  it('jumps back to the live tail with a fresh snapshot', async () => {
    const { clock, src, posted, feed, seqs } = setup({ page: 10 });
    src.write('r1', 30);
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    src.publish('r1', 5);
    const jump = feed.jumpToLatest('r1');
    await src.finishReads();
    await jump;
    src.publish('r1', 1);
    clock.advance(34);
    assert.equal(posted.filter((p) => p.m.type === 'output').length, 2);
    assert.deepEqual(seqs('r1'), range(26, 36));
    assert.equal(src.listenerCount('r1'), 1);
  });

  it('resumes after what the page already shows (the first page its document carried): no page sent again, none lost or doubled', async () => {
    const { clock, src, posted, feed, seqs } = setup({ page: 10 });
    src.write('r1', 25); // the document carried 16…25
    src.write('r1', 5); // written while the page loaded: on disk only
    const resuming = feed.resume(run('r1', { lastSeq: 30 }), { id: 1, name: 'A story' }, 25);
    src.publish('r1', 3); // live while the disk is read
    await src.finishReads();
    await resuming;
    src.publish('r1', 2);
    clock.advance(100);
    assert.equal(posted.filter((p) => p.m.type === 'output').length, 0, 'the page is not sent again');
    assert.deepEqual(src.reads_, [{ after: 25, limit: 5000 }]);
    assert.deepEqual(seqs('r1'), range(26, 35));
    const firstAppend = posted[0].m;
    assert.ok(firstAppend.type === 'outputAppend' && firstAppend.run?.lastSeq === 30, 'the header the document carried is brought up to date');
  });

  it('resumes with a fresh tail page when the page it shows is too far behind', async () => {
    const { src, posted, feed } = setup({ page: 10, catchUpMax: 20 });
    src.write('r1', 100);
    const resuming = feed.resume(run('r1'), undefined, 40);
    await src.finishReads();
    await resuming;
    await src.finishReads();
    const out = posted.find((p) => p.m.type === 'output')?.m;
    assert.ok(out?.type === 'output', 'a fresh snapshot');
    assert.deepEqual(
      out.records.map((r) => r.seq),
      range(91, 100),
    );
  });

  it('says why when there is no run, and stops following the previous one', async () => {
    const { clock, src, posted, feed } = setup();
    const opening = feed.open(run('r1'));
    await src.finishReads();
    await opening;
    feed.empty('No agent has run on story 1 yet.');
    src.publish('r1', 3);
    clock.advance(100);
    assert.deepEqual(posted.at(-1)!.m, { type: 'outputEmpty', message: 'No agent has run on story 1 yet.' });
    assert.equal(feed.runId, undefined);
    assert.equal(src.listenerCount('r1'), 0);
  });
});
