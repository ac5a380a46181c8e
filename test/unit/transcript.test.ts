// Transcript files: appending with sequence numbers and paging them back from disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TranscriptWriter, lastSeqOf, readAfter, readBefore, readTail } from '../../src/core/agents/transcript';
import type { AgentMessage, TranscriptRecord } from '../../src/core/model/agentMessage';

const text = (t: string): AgentMessage => ({ kind: 'text', text: t });
const seqs = (rs: TranscriptRecord[]) => rs.map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('transcript', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-transcript-'));
    file = path.join(dir, 'logs', 'run-1.jsonl');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeN(n: number, batch = 1): void {
    const w = new TranscriptWriter(file);
    for (let i = 0; i < n; i += batch)
      w.append(
        range(i + 1, Math.min(n, i + batch)).map((k) => text(`line ${k}`)),
        1000 + i,
      );
    w.close();
  }

  describe('TranscriptWriter', () => {
    it('appends records with increasing seq, one JSON line each, and returns them', () => {
      const w = new TranscriptWriter(file);
      assert.equal(w.lastSeq, 0);
      const a = w.append([text('a'), { kind: 'notice', message: 'n' }], 5);
      const b = w.append([text('b')], 6);
      assert.deepEqual(w.append([], 7), []);
      w.close();
      assert.deepEqual(a, [
        { seq: 1, ts: 5, msg: text('a') },
        { seq: 2, ts: 5, msg: { kind: 'notice', message: 'n' } },
      ]);
      assert.deepEqual(b, [{ seq: 3, ts: 6, msg: text('b') }]);
      assert.equal(w.lastSeq, 3);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      assert.equal(lines.length, 4);
      assert.equal(lines[3], '');
      assert.deepEqual(
        lines.slice(0, 3).map((l) => JSON.parse(l)),
        [...a, ...b],
      );
    });

    it('creates the folder, and continues after startSeq when resumed', () => {
      const w = new TranscriptWriter(file);
      w.append([text('1'), text('2')], 0);
      w.close();
      const w2 = new TranscriptWriter(file, lastSeqOf(file));
      assert.deepEqual(seqs(w2.append([text('3')], 0)), [3]);
      w2.close();
      w2.close(); // twice is harmless
      assert.equal(lastSeqOf(file), 3);
    });

    it('keeps newlines and unicode inside a record on one line', () => {
      const w = new TranscriptWriter(file);
      w.append([text('multi\nline\r\n✓ 日本 😀')], 0);
      w.close();
      assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 2);
    });
  });

  describe('readAfter', () => {
    it('returns the records after a seq, up to a limit', async () => {
      writeN(50, 7);
      assert.deepEqual(seqs(await readAfter(file, 0)), range(1, 50));
      assert.deepEqual(seqs(await readAfter(file, 45)), range(46, 50));
      assert.deepEqual(seqs(await readAfter(file, 10, 5)), range(11, 15));
      assert.deepEqual(await readAfter(file, 50), []);
      const [r] = await readAfter(file, 9, 1);
      assert.deepEqual(r.msg, text('line 10'));
    });

    it('a missing file is empty', async () => {
      assert.deepEqual(await readAfter(path.join(dir, 'nope.jsonl'), 0), []);
    });
  });

  describe('readBefore / readTail', () => {
    it('pages backwards with hasOlder correct at the boundaries', async () => {
      writeN(30);
      let page = await readBefore(file, undefined, 10);
      assert.deepEqual(seqs(page.records), range(21, 30));
      assert.equal(page.hasOlder, true);
      page = await readBefore(file, 21, 10);
      assert.deepEqual(seqs(page.records), range(11, 20));
      assert.equal(page.hasOlder, true);
      page = await readBefore(file, 12, 10);
      assert.deepEqual(seqs(page.records), range(2, 11));
      assert.equal(page.hasOlder, true, 'record 1 is still older');
      page = await readBefore(file, 11, 10);
      assert.deepEqual(seqs(page.records), range(1, 10));
      assert.equal(page.hasOlder, false, 'exactly the first page');
      page = await readBefore(file, 5, 10);
      assert.deepEqual(seqs(page.records), range(1, 4));
      assert.equal(page.hasOlder, false);
      page = await readBefore(file, 1, 10);
      assert.deepEqual(page.records, []);
      assert.equal(page.hasOlder, false);
    });

    it('every page of a long file is the same read from either end, with multi-chunk records', async () => {
      // 3,000 records of up to ~2 KB: pages near the end are read backwards, near the start forwards.
      const w = new TranscriptWriter(file);
      for (let k = 1; k <= 3000; k++) w.append([text(`r${k} ${'x'.repeat((k * 37) % 2000)}`)], k);
      w.close();
      for (const before of [2, 7, 400, 1499, 1500, 1501, 1502, 2600, 2999, 3000, 3001]) {
        const page = await readBefore(file, before, 250);
        const want = range(Math.max(1, before - 250), before - 1);
        assert.deepEqual(seqs(page.records), want, `before ${before}`);
        assert.equal(page.hasOlder, want.length > 0 && want[0] > 1, `hasOlder before ${before}`);
        assert.ok(page.records.every((r) => r.msg.kind === 'text' && r.msg.text.startsWith(`r${r.seq} `)));
      }
      assert.deepEqual(seqs(readTail(file, 3, 2000).records), [1997, 1998, 1999]);
    });

    it('a tail as long as the whole file has nothing older', async () => {
      writeN(10);
      for (const limit of [10, 11, 1000]) {
        const page = await readBefore(file, undefined, limit);
        assert.deepEqual(seqs(page.records), range(1, 10), String(limit));
        assert.equal(page.hasOlder, false, String(limit));
      }
      const nine = readTail(file, 9);
      assert.deepEqual(seqs(nine.records), range(2, 10));
      assert.equal(nine.hasOlder, true);
    });

    it('a missing or empty file is empty', async () => {
      assert.deepEqual(await readBefore(path.join(dir, 'nope.jsonl'), undefined, 10), { records: [], hasOlder: false });
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '');
      assert.deepEqual(readTail(file, 10), { records: [], hasOlder: false });
      assert.equal(lastSeqOf(file), 0);
      assert.equal(lastSeqOf(path.join(dir, 'nope.jsonl')), 0);
    });

    it('a torn last line is skipped by every reader', async () => {
      writeN(5);
      fs.appendFileSync(file, '{"seq":6,"ts":1,"msg":{"kind":"te');
      assert.deepEqual(seqs(await readAfter(file, 0)), range(1, 5));
      assert.deepEqual(seqs(readTail(file, 3).records), [3, 4, 5]);
      assert.deepEqual(seqs((await readBefore(file, 100, 3)).records), [3, 4, 5]);
      assert.equal(lastSeqOf(file), 5);
    });

    it('garbage lines in the middle are skipped', async () => {
      writeN(3);
      fs.appendFileSync(file, 'not json\n{"no":"seq"}\n\n');
      const w = new TranscriptWriter(file, 3);
      w.append([text('4')], 0);
      w.close();
      assert.deepEqual(seqs(await readAfter(file, 0)), [1, 2, 3, 4]);
      assert.deepEqual(seqs(readTail(file, 10).records), [1, 2, 3, 4]);
    });

    // After a crash the last line is torn and has no newline; the resumed writer must not glue its
    // first record onto it (which makes that record unreadable).
    it('a writer resumed after a torn last line keeps its new records readable', async () => {
      writeN(3);
      fs.appendFileSync(file, '{"seq":4,"ts":1,"msg":{"kind":"te');
      const w = new TranscriptWriter(file, lastSeqOf(file));
      const recs = w.append([text('after the crash')], 2);
      w.close();
      assert.deepEqual(seqs(recs), [4]);
      assert.deepEqual(seqs(await readAfter(file, 0)), [1, 2, 3, 4]);
      assert.equal(lastSeqOf(file), 4);
    });

    it('the tail of a 20k-record file is the last N records', async () => {
      writeN(20_000, 500);
      const t = readTail(file, 200);
      assert.deepEqual(seqs(t.records), range(19_801, 20_000));
      assert.equal(t.hasOlder, true);
      assert.deepEqual(t.records[199].msg, text('line 20000'));
      assert.equal(lastSeqOf(file), 20_000);
      const p = await readBefore(file, 19_801, 200);
      assert.deepEqual(seqs(p.records), range(19_601, 19_800));
      assert.equal(p.hasOlder, true);
    });

    it('a tail spanning several 64 KiB chunks is complete and ordered', () => {
      const w = new TranscriptWriter(file);
      for (let i = 0; i < 400; i++) w.append([text(`${i}:`.padEnd(1000, 'x'))], i);
      w.close();
      const t = readTail(file, 300);
      assert.deepEqual(seqs(t.records), range(101, 400));
      assert.ok(t.records.every((r) => r.msg.kind === 'text' && r.msg.text.startsWith(`${r.seq - 1}:`)));
    });

    // readTail decodes each 64 KiB chunk on its own: a multi-byte character cut by a chunk
    // boundary must still come back intact.
    it('multi-byte characters across a chunk boundary come back intact', async () => {
      const CHUNK = 64 * 1024;
      let cutMidChar = false;
      for (let pad = 0; pad < 4 && !cutMidChar; pad++) {
        fs.rmSync(file, { force: true });
        const w = new TranscriptWriter(file);
        for (let i = 0; i < 60; i++) w.append([text('€'.repeat(1000))], 0);
        w.append([text('a'.repeat(pad))], 0);
        w.close();
        const buf = fs.readFileSync(file);
        cutMidChar = (buf[buf.length - CHUNK] & 0xc0) === 0x80; // a continuation byte: the boundary is inside '€'
      }
      assert.ok(cutMidChar, 'test setup: the boundary should fall inside a character');
      const all = await readAfter(file, 0);
      const tail = readTail(file, 40);
      assert.deepEqual(tail.records, all.slice(-40));
    });
  });
});
