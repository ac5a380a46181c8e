// Where each configuration and story problem sits (file, line, key) and the quick fix it offers,
// from the snapshot; pure, so the Problems panel's placing and its edits are tested without VS Code.
import * as path from 'node:path';
import type { Snapshot, WorkItem } from '../core/api';

/** A quick fix that is obvious from the problem alone. */
export type SpotFix = { kind: 'replaceKey'; from: string; to: string } | { kind: 'removeLine' } | { kind: 'removeSelfDependency'; id: number };

export interface ProblemSpot {
  /** Absolute path of the file. */
  file: string;
  /** 1-based; absent when the problem is about the whole file. */
  line?: number;
  column?: number;
  /** The key concerned, when known (its line is looked up when `line` is absent). */
  key?: string;
  severity: 'error' | 'warning';
  message: string;
  fix?: SpotFix;
}

/** A text edit on one line (0-based), or the removal of the whole line. */
export interface LineEdit {
  line: number;
  start: number;
  end: number;
  newText: string;
  /** True: delete the whole line, line break included. */
  removeLine?: boolean;
}

/** `<file>:<line>[:<column>]: <message>` → its parts; undefined when the text has no such prefix. */
export function parseProblemText(text: string): { file: string; line: number; column?: number; message: string } | undefined {
  const m = /^(.+?):(\d+)(?::(\d+))?: (.*)$/s.exec(text);
  if (!m) return undefined;
  return { file: m[1], line: Number(m[2]), column: m[3] === undefined ? undefined : Number(m[3]), message: m[4] };
}

/** The fix a problem's message makes obvious: an unknown key with a guess, or a key set twice. */
export function fixFor(message: string): SpotFix | undefined {
  const guess = /unknown key "([^"]+)" \(did you mean "([^"]+)"\?\)/.exec(message);
  if (guess) return { kind: 'replaceKey', from: guess[1], to: guess[2] };
  if (/key "[^"]+" is (?:defined|set) twice \(first on line \d+\)/.test(message)) return { kind: 'removeLine' };
  return undefined;
}

/** The problems of one story's `invalid` text, each at its line of the story's file. */
export function itemSpots(item: Pick<WorkItem, 'path' | 'fileName' | 'invalid'>): ProblemSpot[] {
  if (!item.invalid) return [];
  const esc = item.fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Parts are joined with "; "; split only where the next part starts with the file name or a conflict.
  const parts = item.invalid.split(new RegExp(`; (?=${esc}[:]|Story \\d+ is in two places)`));
  return parts.map((part) => {
    const at = part.startsWith(`${item.fileName}:`) ? parseProblemText(part) : undefined;
    const message = at ? at.message : part.startsWith(`${item.fileName}: `) ? part.slice(item.fileName.length + 2) : part;
    return { file: item.path, line: at?.line, severity: 'error' as const, message, fix: fixFor(message) };
  });
}

/** A story whose depends_on names itself: placed on its depends_on key, fixed by removing itself. */
export function selfDependencySpot(item: Pick<WorkItem, 'id' | 'path' | 'dependsOn'>): ProblemSpot | undefined {
  if (!item.dependsOn.includes(item.id)) return undefined;
  return {
    file: item.path,
    key: 'depends_on',
    severity: 'warning',
    message: `#${item.id} depends on itself: it can never start`,
    fix: { kind: 'removeSelfDependency', id: item.id },
  };
}

/** A stray file: `<relative path>: not a work item: <why>`. */
function straySpot(root: string, text: string): ProblemSpot | undefined {
  const m = /^(.+?): not a work item: (.*)$/s.exec(text);
  if (!m) return undefined;
  return { file: path.resolve(root, m[1]), line: 1, severity: 'warning', message: `not a work item: ${m[2]}` };
}

/** Every problem of the snapshot that belongs to a file, grouped by nothing: one spot per problem and place. */
export function problemSpots(snap: Pick<Snapshot, 'root' | 'items' | 'problems'> & Partial<Pick<Snapshot, 'configProblems'>>): ProblemSpot[] {
  const out: ProblemSpot[] = [];
  for (const p of snap.configProblems ?? []) {
    out.push({ file: path.resolve(snap.root, p.file), line: p.line, column: p.column, key: p.key, severity: p.severity, message: p.message, fix: fixFor(p.message) });
  }
  for (const it of snap.items) {
    out.push(...itemSpots(it));
    const self = selfDependencySpot(it);
    if (self) out.push(self);
  }
  for (const text of snap.problems) {
    const s = straySpot(snap.root, text);
    if (s) out.push(s);
  }
  return out;
}

/** The 1-based line where `key` is set: `key =` (TOML) or `key:` (YAML front matter), or undefined. */
export function keyLine(lines: readonly string[], key: string): number | undefined {
  const last = key.split('.').pop()!;
  const esc = last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*["']?${esc}["']?\\s*[=:]`);
  const i = lines.findIndex((l) => re.test(l));
  return i < 0 ? undefined : i + 1;
}

/** The 0-based column of `key` as a whole word on the line (not inside a longer key), or undefined. */
export function keyColumn(text: string, key: string): number | undefined {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?<![\\w-])${esc}(?![\\w-])`).exec(text);
  return m ? m.index : undefined;
}

/** The edit that applies `fix` to the file's lines, for the problem on 1-based `line`; undefined when it does not fit. */
export function fixEdit(fix: SpotFix, lines: readonly string[], line: number): LineEdit | undefined {
  const i = line - 1;
  const text = lines[i];
  if (text === undefined) return undefined;
  if (fix.kind === 'replaceKey') {
    const start = keyColumn(text, fix.from);
    if (start === undefined) return undefined;
    return { line: i, start, end: start + fix.from.length, newText: fix.to };
  }
  if (fix.kind === 'removeLine') {
    // Only a one-line `key = value` / `key: value`: a table header or a multi-line value would leave a broken file.
    if (!/^\s*["']?[A-Za-z0-9_.-]+["']?\s*[=:]\s*\S/.test(text) || /(?:\[|\{|"""|''')\s*(?:#.*)?$/.test(text)) return undefined;
    return { line: i, start: 0, end: text.length, newText: '', removeLine: true };
  }
  return selfDependencyEdit(lines, i, fix.id);
}

/** Removes story `id` from `depends_on` on line `i`: from an inline list, the whole key for a single number, or a `- id` item below. */
function selfDependencyEdit(lines: readonly string[], i: number, id: number): LineEdit | undefined {
  const text = lines[i];
  const inline = /^(\s*depends_on\s*:\s*)\[(.*)\](\s*(?:#.*)?)$/.exec(text);
  if (inline) {
    const kept = inline[2]
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && Number(s) !== id);
    const newText = `${inline[1]}[${kept.join(', ')}]${inline[3]}`;
    return { line: i, start: 0, end: text.length, newText };
  }
  if (new RegExp(`^\\s*depends_on\\s*:\\s*${id}\\s*(?:#.*)?$`).test(text)) return { line: i, start: 0, end: text.length, newText: '', removeLine: true };
  for (let j = i + 1; j < lines.length && /^\s*-/.test(lines[j]); j++) {
    if (new RegExp(`^\\s*-\\s*${id}\\s*(?:#.*)?$`).test(lines[j])) return { line: j, start: 0, end: lines[j].length, newText: '', removeLine: true };
  }
  return undefined;
}

/** The title of a fix's code action. */
export function fixTitle(fix: SpotFix): string {
  if (fix.kind === 'replaceKey') return `Replace "${fix.from}" with "${fix.to}"`;
  if (fix.kind === 'removeLine') return 'Remove this repeated key';
  return `Remove #${fix.id} from depends_on`;
}

/** A diagnostic as diagnosticsKey reads it (vscode.Diagnostic has these). */
export interface DiagnosticLike {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  message: string;
}

/** Everything the Problems panel would show, and which diagnostics have a fix, as one string to compare. */
export function diagnosticsKey(byFile: ReadonlyMap<string, readonly DiagnosticLike[]>, fixes: ReadonlyMap<string, readonly [DiagnosticLike, SpotFix][]>): string {
  const one = (d: DiagnosticLike) => [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity, d.message];
  return JSON.stringify([[...byFile].map(([file, ds]) => [file, ds.map(one)]), [...fixes].map(([file, fs]) => [file, fs.map(([d, fix]) => [one(d), fix])])]);
}
