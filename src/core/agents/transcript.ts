// One append-only JSONL file per agent run under .huskies/logs/. Records are written
// before anyone is told about them, so what a panel showed is always on disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { AgentMessage, TranscriptRecord } from '../model/agentMessage';

export class TranscriptWriter {
  private fd: number;
  private seq: number;
  private pending = '';

  constructor(
    readonly file: string,
    startSeq = 0,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a+');
    this.seq = startSeq;
    // A crash may have left a torn last line: end it, so our first record starts a line of its own.
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) fs.writeSync(this.fd, '\n');
    }
    if (startSeq === 0 && size > 0) this.seq = lastSeqOf(file);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Appends the messages as one write and returns the records with their sequence numbers. */
  append(msgs: AgentMessage[], now: number): TranscriptRecord[] {
    const recs = this.queue(msgs, now);
    this.flush();
    return recs;
  }

  /**
   * Numbers the messages and keeps their lines for the next flush(), so a stream of small outputs
   * costs one write per flush rather than one per line. Nothing queued is on disk until then.
   */
  queue(msgs: AgentMessage[], now: number): TranscriptRecord[] {
    const recs: TranscriptRecord[] = new Array(msgs.length);
    for (let i = 0; i < msgs.length; i++) {
      const r = { seq: ++this.seq, ts: now, msg: msgs[i] };
      recs[i] = r;
      this.pending += JSON.stringify(r) + '\n';
    }
    return recs;
  }

  /** Whether lines are queued and not written yet. */
  get dirty(): boolean {
    return this.pending.length > 0;
  }

  /** Writes every queued line in one go. On failure the lines stay queued (and the error is thrown). */
  flush(): void {
    if (!this.pending) return;
    fs.writeSync(this.fd, this.pending);
    this.pending = '';
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        this.flush();
      } catch {
        /* closing is best effort; what could not be written is lost with the error already reported */
      }
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* best effort */
      }
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function parseRecord(line: string): TranscriptRecord | undefined {
  if (!line) return undefined;
  try {
    const r = JSON.parse(line) as TranscriptRecord;
    return typeof r.seq === 'number' && r.msg ? r : undefined;
  } catch {
    return undefined; // a torn last line after a crash
  }
}

/**
 * Records with seq > afterSeq, at most `limit` (the oldest of them). A catch-up near the end of a long
 * transcript reads backwards from the end to afterSeq; with more than `limit` records after it, or with
 * no limit, the file is read forwards from the start.
 */
export async function readAfter(file: string, afterSeq: number, limit = Infinity): Promise<TranscriptRecord[]> {
  const out: TranscriptRecord[] = [];
  if (!fs.existsSync(file)) return out;
  if (Number.isFinite(limit)) {
    const newestFirst: TranscriptRecord[] = [];
    scanBackward(file, (line) => {
      const seq = seqOf(line); // once per line: a line that does not start the writer's way is parsed here
      if (!(seq > afterSeq)) return false;
      const r = parseRecord(line);
      if (r && r.seq > afterSeq) newestFirst.push(r);
      return newestFirst.length <= limit;
    });
    if (newestFirst.length <= limit) return newestFirst.reverse();
  }
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    const r = parseRecord(line);
    if (r && r.seq > afterSeq) {
      out.push(r);
      if (out.length >= limit) {
        rl.close();
        break;
      }
    }
  }
  return out;
}

/** A line's seq: peeked when the line starts the writer's way, else parsed; NaN for a torn line. */
function seqOf(line: string): number {
  const peeked = peekSeq(line);
  return Number.isNaN(peeked) ? (parseRecord(line)?.seq ?? Infinity) : peeked;
}

/** A record line's seq without parsing it (the writer starts every line with `{"seq":N,`); NaN when it does not. */
function peekSeq(line: string): number {
  const m = /^\{"seq":(\d+),/.exec(line);
  return m ? Number(m[1]) : NaN;
}

/**
 * The last `limit` records with seq < beforeSeq (or the file's last records), and whether older ones exist.
 * Seqs grow through the file, so a page near the end is read backwards from the end and a page near the
 * start forwards from the start: either way a page costs about what lies between it and the nearer end.
 */
export async function readBefore(file: string, beforeSeq: number | undefined, limit: number): Promise<{ records: TranscriptRecord[]; hasOlder: boolean }> {
  if (!fs.existsSync(file)) return { records: [], hasOlder: false };
  if (beforeSeq === undefined || beforeSeq > lastSeqOf(file) / 2) return readTail(file, limit, beforeSeq);
  const ring: string[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    const seq = peekSeq(line);
    if (seq >= beforeSeq) {
      rl.close();
      break;
    }
    ring.push(line);
    if (ring.length > limit) ring.shift();
  }
  const records = ring.map(parseRecord).filter((r): r is TranscriptRecord => !!r && r.seq < beforeSeq);
  return { records, hasOlder: records.length > 0 && records[0].seq > 1 };
}

/**
 * Reads the file backwards in chunks and returns its last `limit` records (with seq < beforeSeq when given),
 * so a 100 MB transcript's tail costs what the tail costs. Lines at or after beforeSeq are skipped unparsed.
 */
export function readTail(file: string, limit: number, beforeSeq = Infinity): { records: TranscriptRecord[]; hasOlder: boolean } {
  const found: TranscriptRecord[] = []; // newest first
  scanBackward(file, (line) => {
    if (peekSeq(line) >= beforeSeq) return true;
    const r = parseRecord(line);
    if (r && r.seq < beforeSeq) found.push(r);
    return found.length < limit;
  });
  const page = found.reverse();
  return { records: page, hasOlder: page.length > 0 && page[0].seq > 1 };
}

/** Hands the file's non-empty lines to `take`, last line first, until `take` returns false or the start is reached. */
function scanBackward(file: string, take: (line: string) => boolean): void {
  if (!fs.existsSync(file)) return;
  const fd = fs.openSync(file, 'r');
  try {
    let pos = fs.fstatSync(fd).size;
    // Bytes of the (partial) first line of what has been read so far; decoded only once whole,
    // so a multi-byte character cut by a chunk boundary stays intact.
    let carry = Buffer.alloc(0);
    const chunk = Buffer.alloc(64 * 1024);
    while (pos > 0) {
      const n = Math.min(chunk.length, pos);
      pos -= n;
      fs.readSync(fd, chunk, 0, n, pos);
      const buf = carry.length ? Buffer.concat([chunk.subarray(0, n), carry]) : chunk.subarray(0, n);
      let end = buf.length;
      for (let i = buf.length - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        if (end > i + 1 && !take(buf.toString('utf8', i + 1, end))) return;
        end = i;
      }
      carry = Buffer.from(buf.subarray(0, end));
    }
    if (carry.length) take(carry.toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

/** The highest sequence number in a transcript (0 when empty or missing): a resumed writer continues after it. */
export function lastSeqOf(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const { records } = readTail(file, 1);
  return records[0]?.seq ?? 0;
}
