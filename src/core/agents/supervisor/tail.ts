// Follows a transcript another process appends to: reads only what is new, whole lines only,
// each record once (by seq), starting right after a given seq.
import * as fs from 'node:fs';
import type { TranscriptRecord } from '../../model/agentMessage';

const NL = 0x0a;
/** One read buffer for every tail in this process (reads are synchronous): no new zero-filled buffer per read. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function parse(line: string): TranscriptRecord | undefined {
  try {
    const r = JSON.parse(line) as TranscriptRecord;
    return typeof r.seq === 'number' && r.msg ? r : undefined;
  } catch {
    return undefined; // a line torn by a crash, ended by the next writer
  }
}

export class TranscriptTail {
  private partial = Buffer.alloc(0);

  private constructor(
    readonly file: string,
    private offset: number,
    private seq: number,
  ) {}

  /** The seq of the last record read (or the starting seq). */
  get lastSeq(): number {
    return this.seq;
  }

  /** A tail that yields the records after `afterSeq`; it finds where they start by reading the file backwards. */
  static after(file: string, afterSeq: number): TranscriptTail {
    return new TranscriptTail(file, afterSeq > 0 ? offsetAfterSeq(file, afterSeq) : 0, afterSeq);
  }

  /**
   * Reads up to `maxBytes` of what was appended since the last read. `more`: there is more to read now.
   * With `parseAll` false only the newest whole record is parsed (for lastSeq) and none is returned:
   * nobody follows the run live, and parsing thousands of records a second costs the host dearly.
   */
  read(maxBytes = 1024 * 1024, parseAll = true): { records: TranscriptRecord[]; more: boolean } {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return { records: [], more: false }; // not written yet
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        // Replaced by a shorter file: read it again from the start; seqs already seen are skipped.
        this.offset = 0;
        this.partial = Buffer.alloc(0);
      }
      const n = Math.min(maxBytes, size - this.offset);
      if (n <= 0) return { records: [], more: false };
      if (scratch.length < n) scratch = Buffer.allocUnsafe(n);
      const buf = scratch;
      const got = fs.readSync(fd, buf, 0, n, this.offset);
      this.offset += got;
      const data = this.partial.length ? Buffer.concat([this.partial, buf.subarray(0, got)]) : buf.subarray(0, got);
      const records: TranscriptRecord[] = [];
      let start = 0;
      if (!parseAll) {
        const last = data.lastIndexOf(NL);
        if (last >= 0) this.skipTo(data, last);
        this.partial = Buffer.from(data.subarray(last + 1));
        return { records, more: this.offset < size };
      }
      for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, start)) {
        const r = i > start ? parse(data.toString('utf8', start, i)) : undefined;
        if (r && r.seq > this.seq) {
          records.push(r);
          this.seq = r.seq;
        }
        start = i + 1;
      }
      this.partial = Buffer.from(data.subarray(start));
      return { records, more: this.offset < size };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** lastSeq from the newest whole line before `end` that parses (a torn line is passed over). */
  private skipTo(data: Buffer, end: number): void {
    for (let e = end; e > 0;) {
      const s = data.lastIndexOf(NL, e - 1) + 1;
      const r = e > s ? parse(data.toString('utf8', s, e)) : undefined;
      if (r) {
        if (r.seq > this.seq) this.seq = r.seq;
        return;
      }
      e = s - 1;
    }
  }
}

/** The byte offset just after the last whole line whose record has seq <= `seq` (0 when there is none). */
export function offsetAfterSeq(file: string, seq: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let pos = fs.fstatSync(fd).size;
    // Bytes from `pos` up to the first newline already seen, and whether such a newline ends them:
    // the text after the file's last newline is not a whole line yet.
    let carry = Buffer.alloc(0);
    let ended = false;
    while (pos > 0) {
      const n = Math.min(chunk.length, pos);
      pos -= n;
      fs.readSync(fd, chunk, 0, n, pos);
      const buf = Buffer.concat([chunk.subarray(0, n), carry]);
      let end = buf.length;
      for (let i = buf.lastIndexOf(NL, end - 1); i >= 0; i = i > 0 ? buf.lastIndexOf(NL, i - 1) : -1) {
        if (ended) {
          const r = parse(buf.toString('utf8', i + 1, end));
          if (r && r.seq <= seq) return pos + end + 1;
        }
        ended = true;
        end = i;
      }
      carry = Buffer.from(buf.subarray(0, end));
    }
    const first = ended ? parse(carry.toString('utf8')) : undefined;
    return first && first.seq <= seq ? carry.length + 1 : 0;
  } finally {
    fs.closeSync(fd);
  }
}
