// The value types config keys may have, as zod schemas whose messages read "must be …", and the
// translation of zod's issues into problems that name the file, the line and the key.
import { z } from 'zod';
import { closest, type KeyLines, type KeyPath } from './toml';
import type { ConfigProblem, Severity } from './types';

/** Error params whose message says what the key must be (or that it is missing). */
export function must(what: string) {
  return { error: (iss: { input?: unknown }) => (iss.input === undefined ? `is missing: it must be ${what}` : `must be ${what}`) };
}

const quoted = (opts: readonly string[]) => opts.map((o) => `"${o}"`).join(', ');

export const t = {
  string: () => z.string(must('a string')),
  boolean: () => z.boolean(must('true or false')),
  positiveInt: () => {
    const m = must('a positive whole number');
    return z.number(m).int(m).positive(m);
  },
  wholeNumber: () => {
    const m = must('a whole number ≥ 0');
    return z.number(m).int(m).nonnegative(m);
  },
  /** A process priority: 0 (the same as the editor's) to 19 (the lowest). */
  niceValue: () => {
    const m = must("a nice value from 0 (the editor's own priority) to 19 (the lowest)");
    return z.number(m).int(m).min(0, m).max(19, m);
  },
  positiveNumber: () => {
    const m = must('a positive number');
    return z.number(m).positive(m);
  },
  oneOf: <const T extends readonly [string, ...string[]]>(opts: T) => z.enum(opts, must(`one of ${quoted(opts)}`)),
  stringList: () => {
    const m = must('a list of strings');
    return z.array(z.string(m), m);
  },
  /** One shell command line or a list of them; always a list afterwards. */
  commands: () => {
    const m = must('a command or a list of commands, e.g. "npm test" or ["npm ci", "npm test"]');
    return z.union([z.string(m), z.array(z.string(m), m)], m).transform((v) => (typeof v === 'string' ? [v] : v));
  },
  tables: (name: string) => {
    const m = must(`written as [[${name}]] tables`);
    return z.array(z.record(z.string(), z.unknown(), m), m);
  },
};

/** Where the checked object sits in its file, for lines and labels. */
export interface Place {
  file: string;
  lines: KeyLines;
  /** Path of the checked object in the document, e.g. ['agent', 2]. */
  base: KeyPath;
  /** Prefix of each message, e.g. `agent "coder-1"`. */
  label?: string;
}

export function problemAt(place: Place, path: KeyPath, key: string | undefined, message: string, severity: Severity = 'error'): ConfigProblem {
  const line = place.lines.lineOf([...place.base, ...path]);
  // Absent fields are left out rather than set to undefined, so problems compare and print cleanly.
  return { file: place.file, ...(line !== undefined && { line }), ...(key !== undefined && { key }), severity, message: place.label ? `${place.label}: ${message}` : message };
}

/** One error per key (the first issue zod found for it), in the order of the issues. */
export function issueProblems(issues: readonly z.core.$ZodIssue[], place: Place): ConfigProblem[] {
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const key = issue.path.filter((s): s is string => typeof s === 'string').join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const message = issue.code === 'custom' ? issue.message : `key "${key}" ${issue.message}`;
    out.push(problemAt(place, path, key || undefined, message));
  }
  return out;
}

/** A problem for each key of `obj` that the schema does not know, with a guess when one is close. */
export function unknownKeys(obj: Record<string, unknown>, known: readonly string[], place: Place, severity: Severity, listKnown = false): ConfigProblem[] {
  return Object.keys(obj)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const guess = closest(k, known);
      const hint = guess ? ` (did you mean "${guess}"?)` : listKnown ? ` (known: ${known.join(', ')})` : '';
      return problemAt(place, [k], k, `unknown key "${k}"${hint}`, severity);
    });
}

/** Drops keys whose value is undefined, so that a spec only lists what was set. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
