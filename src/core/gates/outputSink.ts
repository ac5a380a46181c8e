// A command's output as the gates write it: split into lines, masked, the first HEAD_CHARS in
// full and then only the last TAIL_CHARS, with a notice of what was left out between.
import { stripVTControlCharacters } from 'node:util';
import type { AgentMessage } from '../model/agentMessage';

/** Output of one command written in full before the rest is held back to its tail. */
const HEAD_CHARS = 256 * 1024;
const TAIL_CHARS = 64 * 1024;
const LINE_CHARS = 8 * 1024;
export const OUTPUT_TAIL_CHARS = 4_000;

export type Write = (msgs: AgentMessage[]) => void;

/** The newest lines whose total size stays within a limit (at least one line is always kept). */
class LineWindow {
  private lines: string[] = [];
  private start = 0;
  private chars = 0;
  dropped = 0;
  droppedChars = 0;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    while (this.chars > this.limit && this.lines.length - this.start > 1) {
      const gone = this.lines[this.start++];
      this.chars -= gone.length + 1;
      this.dropped++;
      this.droppedChars += gone.length + 1;
    }
    // drop the consumed front now and then, so a flood of short lines costs linear time
    if (this.start > 1024 && this.start * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.start);
      this.start = 0;
    }
  }

  get size(): number {
    return this.lines.length - this.start;
  }

  text(): string {
    return this.lines.slice(this.start).join('\n');
  }
}

/**
 * Splits a command's output into lines, masks them and writes them as text records: the first
 * HEAD_CHARS in full, then only the last TAIL_CHARS, with a notice of what was left out between.
 */
export class OutputSink {
  private pending = { out: '', err: '' };
  private cutting = { out: false, err: false };
  private headLeft = HEAD_CHARS;
  /** Lines past the head, kept for the end. */
  private held = new LineWindow(TAIL_CHARS);
  /** The last lines of all output, written or not. */
  private last = new LineWindow(OUTPUT_TAIL_CHARS);

  constructor(
    private readonly mask: (t: string) => string,
    private readonly write: Write,
  ) {}

  feed(stream: 'out' | 'err', chunk: string): void {
    const lines: string[] = [];
    let rest = chunk;
    for (;;) {
      const nl = rest.indexOf('\n');
      const part = nl < 0 ? rest : rest.slice(0, nl);
      if (!this.cutting[stream]) {
        this.pending[stream] += part;
        if (this.pending[stream].length > LINE_CHARS) {
          lines.push(`${this.pending[stream].slice(0, LINE_CHARS)} … (line cut)`);
          this.pending[stream] = '';
          this.cutting[stream] = true;
        }
      }
      if (nl < 0) break;
      if (!this.cutting[stream]) lines.push(this.pending[stream]);
      this.pending[stream] = '';
      this.cutting[stream] = false;
      rest = rest.slice(nl + 1);
    }
    this.take(lines);
  }

  finish(): void {
    this.take([this.pending.out, this.pending.err].filter((l) => l.trim() !== ''));
    this.pending = { out: '', err: '' };
    const out: AgentMessage[] = [];
    const { dropped, droppedChars } = this.held;
    if (dropped > 0) out.push({ kind: 'notice', message: `… ${dropped} lines (${Math.ceil(droppedChars / 1024)} KB) of output left out …`, level: 'info' });
    if (this.held.size > 0) out.push({ kind: 'text', text: this.held.text() });
    this.held = new LineWindow(TAIL_CHARS);
    this.write(out);
  }

  tail(): string {
    const text = this.last.text();
    return text.length > OUTPUT_TAIL_CHARS ? text.slice(text.length - OUTPUT_TAIL_CHARS) : text;
  }

  private take(raw: string[]): void {
    const written: string[] = [];
    for (const r of raw) {
      const line = this.mask(stripVTControlCharacters(r.endsWith('\r') ? r.slice(0, -1) : r));
      this.last.push(line);
      if (this.headLeft > 0) {
        this.headLeft -= line.length + 1;
        written.push(line);
      } else this.held.push(line);
    }
    if (written.length) this.write([{ kind: 'text', text: written.join('\n') }]);
  }
}
