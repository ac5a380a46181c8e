// One append-only JSONL file per agent run under .huskies/logs/. Records are written
// before anyone is told about them, so what a panel showed is always on disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { AgentMessage, TranscriptRecord } from '../model/agentMessage';

export class TranscriptWriter {
  private fd: number;
  private seq: number;

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
    if (msgs.length === 0) return [];
    const recs = msgs.map((msg) => ({ seq: ++this.seq, ts: now, msg }));
    fs.writeSync(this.fd, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return recs;
  }

  close(): void {
    if (this.fd >= 0) {
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

/** Records with seq > afterSeq, at most `limit`. */
export async function readAfter(file: string, afterSeq: number, limit = Infinity): Promise<TranscriptRecord[]> {
  const out: TranscriptRecord[] = [];
  if (!fs.existsSync(file)) return out;
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

/** The last `limit` records with seq < beforeSeq (or the file's last records), and whether older ones exist. */
export async function readBefore(file: string, beforeSeq: number | undefined, limit: number): Promise<{ records: TranscriptRecord[]; hasOlder: boolean }> {
  if (!fs.existsSync(file)) return { records: [], hasOlder: false };
  if (beforeSeq === undefined) return readTail(file, limit);
  const ring: TranscriptRecord[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    const r = parseRecord(line);
    if (!r) continue;
    if (r.seq >= beforeSeq) {
      rl.close();
      break;
    }
    ring.push(r);
    if (ring.length > limit) ring.shift();
  }
  return { records: ring, hasOlder: ring.length > 0 && ring[0].seq > 1 };
}

/** Reads the end of the file backwards in chunks, so a 100 MB transcript's tail costs what the tail costs. */
export function readTail(file: string, limit: number): { records: TranscriptRecord[]; hasOlder: boolean } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let pos = size;
    // Bytes of the (partial) first line of what has been read so far; decoded only once whole,
    // so a multi-byte character cut by a chunk boundary stays intact.
    let carry = Buffer.alloc(0);
    const lines: string[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    while (pos > 0 && lines.length <= limit) {
      const n = Math.min(chunk.length, pos);
      pos -= n;
      fs.readSync(fd, chunk, 0, n, pos);
      const buf = Buffer.concat([chunk.subarray(0, n), carry]);
      let end = buf.length;
      for (let i = buf.length - 1; i >= 0; i--) {
        if (buf[i] === 0x0a) {
          if (end > i + 1) lines.push(buf.toString('utf8', i + 1, end));
          end = i;
        }
      }
      carry = Buffer.from(buf.subarray(0, end));
    }
    if (pos === 0 && carry.length) lines.push(carry.toString('utf8'));
    const records = lines
      .map(parseRecord)
      .filter((r): r is TranscriptRecord => !!r)
      .reverse();
    const page = records.slice(-limit);
    return { records: page, hasOlder: page.length > 0 && page[0].seq > 1 };
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
