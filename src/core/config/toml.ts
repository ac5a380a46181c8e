// TOML text → plain values plus the line where each key is defined. smol-toml parses but keeps
// no positions, so a light scanner over the same text finds the lines; it also names the key of
// a "redefine" error, which smol-toml reports by position only.
import { parse as parseToml, TomlError } from 'smol-toml';
import type { ConfigProblem } from './types';

export type KeyPath = readonly (string | number)[];
const SEP = '\u0000';
const keyOf = (p: KeyPath) => p.join(SEP);

interface Definition {
  path: (string | number)[];
  /** The key as written on its line, e.g. `max_coders` or `agent.env`. */
  written: string;
  line: number;
}

/** Scans TOML text for key and table definitions, skipping strings, arrays and comments. */
class Scanner {
  private i = 0;
  private line = 1;
  private table: (string | number)[] = [];
  /** Last index of each array of tables, keyed by its path (with the indices of enclosing arrays). */
  private counts = new Map<string, number>();
  readonly first = new Map<string, number>();
  readonly definitions: Definition[] = [];

  constructor(private readonly text: string) {}

  static scan(text: string): Scanner {
    const s = new Scanner(text);
    while (s.i < text.length) s.statement();
    return s;
  }

  private get ch(): string {
    return this.text[this.i];
  }

  private skipBlank(): void {
    while (this.ch === ' ' || this.ch === '\t' || this.ch === '\r') this.i++;
  }

  private skipLine(): void {
    while (this.i < this.text.length && this.ch !== '\n') this.i++;
  }

  private statement(): void {
    this.skipBlank();
    if (this.ch === '\n') {
      this.line++;
      this.i++;
    } else if (this.ch === '#') this.skipLine();
    else if (this.ch === '[') this.header();
    else {
      const key = this.key();
      this.skipBlank();
      if (!key || this.ch !== '=') return this.skipLine();
      this.i++;
      this.define([...this.table, ...key.segments], key.written);
      this.skipValue();
    }
  }

  private header(): void {
    const isArray = this.text[this.i + 1] === '[';
    this.i += isArray ? 2 : 1;
    const key = this.key();
    this.skipLine();
    if (!key) return;
    if (isArray) {
      const p = [...this.withIndices(key.segments.slice(0, -1)), key.segments[key.segments.length - 1]];
      const index = (this.counts.get(keyOf(p)) ?? -1) + 1;
      this.counts.set(keyOf(p), index);
      this.table = [...p, index];
    } else this.table = this.withIndices(key.segments);
    this.define(this.table, key.written);
  }

  /** Puts the current index after each prefix that names an array of tables (`[agent.env]` → agent, 2, env). */
  private withIndices(segments: string[]): (string | number)[] {
    const out: (string | number)[] = [];
    for (const s of segments) {
      out.push(s);
      const index = this.counts.get(keyOf(out));
      if (index !== undefined) out.push(index);
    }
    return out;
  }

  private define(path: (string | number)[], written: string): void {
    this.definitions.push({ path, written, line: this.line });
    if (!this.first.has(keyOf(path))) this.first.set(keyOf(path), this.line);
  }

  /** A dotted key of bare and quoted parts, or undefined when there is none here. */
  key(): { segments: string[]; written: string } | undefined {
    const start = this.i;
    const segments: string[] = [];
    for (;;) {
      this.skipBlank();
      const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.i, this.i + 256));
      if (m) {
        segments.push(m[0]);
        this.i += m[0].length;
      } else if (this.ch === '"' || this.ch === "'") {
        const from = this.i;
        this.skipString();
        const raw = this.text.slice(from, this.i);
        segments.push(raw.startsWith('"') ? safeJson(raw) : raw.slice(1, -1));
      } else break;
      this.skipBlank();
      if (this.ch !== '.') break;
      this.i++;
    }
    return segments.length ? { segments, written: this.text.slice(start, this.i).trim() } : undefined;
  }

  private skipValue(): void {
    let depth = 0;
    while (this.i < this.text.length) {
      const c = this.ch;
      if (c === '"' || c === "'") this.skipString();
      else if (c === '#') this.skipLine();
      else if (c === '\n') {
        if (depth <= 0) return;
        this.line++;
        this.i++;
      } else {
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') depth--;
        this.i++;
      }
    }
  }

  /** Skips a basic, literal or multi-line string starting at the quote, counting its lines. */
  private skipString(): void {
    const q = this.ch;
    const multi = this.text.startsWith(q.repeat(3), this.i);
    this.i += multi ? 3 : 1;
    while (this.i < this.text.length) {
      const c = this.ch;
      if (c === '\\' && q === '"') this.i += 2;
      else if (multi && this.text.startsWith(q.repeat(3), this.i)) {
        this.i += 3;
        while (this.ch === q) this.i++; // up to two quotes may end the content
        return;
      } else if (!multi && c === q) {
        this.i++;
        return;
      } else if (c === '\n') {
        if (!multi) return;
        this.line++;
        this.i++;
      } else this.i++;
    }
  }

  /** The key written at a given offset (for smol-toml's errors, which give a position only). */
  static keyAt(text: string, offset: number): string | undefined {
    const s = new Scanner(text);
    s.i = offset;
    return s.key()?.written;
  }
}

function safeJson(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/** Where keys are defined in one TOML text. */
export class KeyLines {
  private readonly scan: Scanner;

  constructor(text: string) {
    this.scan = Scanner.scan(text);
  }

  /** The line of the deepest part of `path` that is written in the file (a key in an inline table → its table's line). */
  lineOf(path: KeyPath): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.scan.first.get(keyOf(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }

  /** The definition on `line` that repeats an earlier one, with the earlier line. */
  repeatedAt(line: number): { written: string; firstLine: number } | undefined {
    const d = this.scan.definitions.find((x) => x.line === line && this.scan.first.get(keyOf(x.path)) !== line);
    return d && { written: d.written, firstLine: this.scan.first.get(keyOf(d.path))! };
  }
}

export interface TomlDoc {
  doc?: Record<string, unknown>;
  lines: KeyLines;
  problems: ConfigProblem[];
}

/** Parses TOML; a syntax error becomes one problem with line and column, and a redefinition names its key. */
export function readToml(file: string, text: string): TomlDoc {
  const lines = new KeyLines(text);
  try {
    return { doc: parseToml(text) as Record<string, unknown>, lines, problems: [] };
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const message = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
    let problem: ConfigProblem = { file, line: err.line, column: err.column, severity: 'error', message };
    if (/redefine/.test(err.message)) {
      const repeated = lines.repeatedAt(err.line);
      const lineStart = text
        .split('\n')
        .slice(0, err.line - 1)
        .reduce((n, l) => n + l.length + 1, 0);
      const key = repeated?.written ?? Scanner.keyAt(text, lineStart + err.column - 1);
      const first = repeated ? ` (first on line ${repeated.firstLine})` : '';
      if (key !== undefined) problem = { file, line: err.line, key, severity: 'error', message: `key "${key}" is defined twice${first}` };
    }
    return { lines, problems: [problem] };
  }
}

/** The known key nearest to `key` when it is a likely typo (two edits at most, one for short keys). */
export function closest(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = key.length <= 3 ? 1 : 2;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d <= bestDistance) [best, bestDistance] = [k, d - 1];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
