// Reads an append-only JSON-lines file a little at a time: it remembers how far it got, reads only
// what was appended since, keeps a line still being written for later, and starts over when the
// file shrank or was replaced. A line that is not JSON (or not the expected shape) is counted, never fatal.
import { promises as fs } from 'node:fs';

export interface TailRead<T> {
  /** The records appended since the last read (all of them when `restarted`). */
  records: T[];
  /** The file shrank, was replaced or went away: `records` are read from its start, earlier ones no longer hold. */
  restarted: boolean;
}

/** Read (and parsed) at a time: between pieces other work on the event loop gets its turn. */
const CHUNK = 1024 * 1024;

export class JsonLinesTail<T> {
  private offset = 0;
  private ino?: number;
  private pending: Buffer = Buffer.alloc(0);
  /** Lines skipped since the file was last read from its start. */
  malformed = 0;

  constructor(
    readonly file: string,
    /** The record a parsed line stands for, or undefined when the line is not one. */
    private readonly parse: (value: unknown) => T | undefined,
  ) {}

  /** Reads everything appended since the last call (a missing file reads as empty). */
  async read(): Promise<TailRead<T>> {
    const st = await fs.stat(this.file).catch(() => undefined);
    let restarted = false;
    if (!st || st.ino !== this.ino || st.size < this.offset) {
      restarted = this.ino !== undefined || this.offset > 0;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      this.malformed = 0;
      this.ino = st?.ino;
    }
    const records: T[] = [];
    if (!st || st.size === this.offset) return { records, restarted };
    const fh = await fs.open(this.file, 'r');
    try {
      while (this.offset < st.size) {
        const want = Math.min(CHUNK, st.size - this.offset);
        const buf = Buffer.alloc(want);
        const { bytesRead } = await fh.read(buf, 0, want, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.take(Buffer.concat([this.pending, buf.subarray(0, bytesRead)]), records);
      }
    } finally {
      await fh.close();
    }
    return { records, restarted };
  }

  /** Parses the whole lines in `data`; what follows the last newline waits for the rest of its line. */
  private take(data: Buffer, out: T[]): void {
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      const text = data.toString('utf8', start, nl).trim();
      start = nl + 1;
      if (!text) continue;
      let rec: T | undefined;
      try {
        rec = this.parse(JSON.parse(text));
      } catch {
        rec = undefined;
      }
      if (rec === undefined) this.malformed++;
      else out.push(rec);
    }
    this.pending = Buffer.from(data.subarray(start));
  }
}
