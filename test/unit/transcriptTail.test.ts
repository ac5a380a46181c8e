// Following a transcript another process appends to: where to start after a seq (found backwards),
// whole lines only, torn lines skipped, long lines and multi-byte text across read boundaries.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TranscriptRecord } from '../../src/core/model/agentMessage';
import { offsetAfterSeq, TranscriptTail } from '../../src/core/agents/supervisor/tail';
import { readAfter } from '../../src/core/agents/transcript';

const rec = (seq: number, text = `line ${seq}`): TranscriptRecord => ({ seq, ts: 1, msg: { kind: 'text', text } });
const line = (r: TranscriptRecord) => JSON.stringify(r) + '\n';

describe('transcriptTail: following an appended transcript', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-tail-'));
    file = path.join(dir, 'run.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Everything a tail yields until there is nothing more, read in steps of `step` bytes. */
  const drain = (t: TranscriptTail, step?: number) => {
    const out: TranscriptRecord[] = [];
    for (;;) {
      const r = t.read(step);
      out.push(...r.records);
      if (!r.more) return out;
    }
  };

  it('finds the offset after a seq by reading backwards', () => {
    const lines = [1, 2, 3, 4, 5].map((s) => line(rec(s)));
    fs.writeFileSync(file, lines.join(''));
    const at = (k: number) => lines.slice(0, k).join('').length;
    assert.equal(offsetAfterSeq(file, 0), 0);
    assert.equal(offsetAfterSeq(file, 1), at(1));
    assert.equal(offsetAfterSeq(file, 3), at(3));
    assert.equal(offsetAfterSeq(file, 5), at(5));
    assert.equal(offsetAfterSeq(file, 99), at(5));
    assert.equal(offsetAfterSeq(path.join(dir, 'missing.jsonl'), 3), 0);
  });

  it('reads only whole lines: a line still being written is read once its newline is there', () => {
    fs.writeFileSync(file, line(rec(1)) + line(rec(2)).slice(0, 10));
    const t = TranscriptTail.after(file, 0);
    assert.deepEqual(
      drain(t).map((r) => r.seq),
      [1],
    );
    assert.equal(offsetAfterSeq(file, 2), line(rec(1)).length, 'a line with no newline yet does not count');
    fs.appendFileSync(file, line(rec(2)).slice(10) + line(rec(3)));
    assert.deepEqual(
      drain(t).map((r) => r.seq),
      [2, 3],
    );
    assert.deepEqual(drain(t), []);
    assert.equal(t.lastSeq, 3);
  });

  it('skips a torn line and records it already yielded, whatever the read size', () => {
    fs.writeFileSync(file, line(rec(1, 'ü€')) + '{"seq":2,"ts":1,"msg":{"ki\n' + line(rec(2, '😀x')) + line(rec(3)));
    for (const step of [1, 2, 3, 7, 1024]) {
      assert.deepEqual(drain(TranscriptTail.after(file, 0), step), [rec(1, 'ü€'), rec(2, '😀x'), rec(3)], `step ${step}`);
      assert.deepEqual(
        drain(TranscriptTail.after(file, 1), step).map((r) => r.seq),
        [2, 3],
      );
    }
    fs.appendFileSync(file, line(rec(2, 'written again')) + line(rec(4)));
    const t = TranscriptTail.after(file, 3);
    assert.deepEqual(
      drain(t).map((r) => r.seq),
      [4],
      'a seq already passed is not told twice',
    );
  });

  it('agrees with readAfter for long lines and multi-byte text across any read size', async () => {
    const recs = Array.from({ length: 40 }, (_, i) => rec(i + 1, (i % 7 === 3 ? 'é€😀'.repeat(12_000) : 'ü'.repeat(i * 13)) + ` #${i + 1}`));
    fs.writeFileSync(file, recs.map(line).join(''));
    for (const after of [0, 1, 4, 17, 39, 40]) {
      const want = await readAfter(file, after);
      for (const step of [4093, 65_536, 1 << 20]) {
        assert.deepEqual(drain(TranscriptTail.after(file, after), step), want, `after ${after}, step ${step}`);
      }
    }
  });

  it('readAfter with a limit (a catch-up) reads backwards from the end and returns the oldest `limit` after the seq, in order', async () => {
    const recs = Array.from({ length: 60 }, (_, i) => rec(i + 1, (i % 9 === 4 ? 'é€😀'.repeat(12_000) : 'ü'.repeat(i * 11)) + ` #${i + 1}`));
    // a torn line in the middle (a crash, then the writer went on)
    fs.writeFileSync(file, recs.slice(0, 30).map(line).join('') + '{"seq":31,"ts":1,"ms\n' + recs.slice(30).map(line).join(''));
    const fwd = (after: number, limit: number) => recs.filter((r) => r.seq > after).slice(0, limit);
    for (const after of [0, 1, 29, 30, 31, 45, 59, 60, 99]) {
      for (const limit of [1, 5, 20, 1000]) {
        assert.deepEqual(await readAfter(file, after, limit), fwd(after, limit), `after ${after}, limit ${limit}`);
      }
    }
    assert.deepEqual(await readAfter(path.join(dir, 'missing.jsonl'), 3, 10), []);
  });

  it('unparsed (nobody follows the run live): no records, lastSeq from the newest whole line, torn lines passed over', () => {
    fs.writeFileSync(file, [1, 2, 3].map((s) => line(rec(s))).join('') + line(rec(4)).slice(0, 9));
    const t = TranscriptTail.after(file, 0);
    assert.deepEqual(t.read(undefined, false), { records: [], more: false });
    assert.equal(t.lastSeq, 3);
    // the rest of the torn line, a line that does not parse, then whole ones: read one by one again
    fs.appendFileSync(file, line(rec(4)).slice(9) + '{"torn\n' + line(rec(5)));
    assert.deepEqual(
      drain(t).map((r) => r.seq),
      [4, 5],
    );
    fs.appendFileSync(file, line(rec(6)) + '{"torn\n');
    t.read(undefined, false);
    assert.equal(t.lastSeq, 6, 'a torn last line is passed over for the one before it');
    fs.appendFileSync(file, line(rec(7)));
    assert.deepEqual(
      drain(t).map((r) => r.seq),
      [7],
    );
  });
});
