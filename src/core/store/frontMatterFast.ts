// A fast reader for the front matter most stories have: flat `key: value` lines whose values are
// plain or quoted scalars, flow lists of scalars ([40, 41]) or block lists of scalars. It gives the
// same result as the YAML library (core schema) or gives up: anything else — other syntax, a
// duplicate key, tabs, control characters, numbers other than plain decimal integers — returns
// undefined and the caller parses with the library, which also reports what is wrong.

export interface FastFrontMatter {
  fm: Record<string, unknown>;
  /** Each key's line in the file (the opening --- is line 1). */
  keyLines: Map<string, number>;
}

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$/;
const SEQ_ITEM = /^( *)- +(.*)$/;
/** Characters the fast path leaves to the library: tabs, control and format characters, lone surrogates. */
const UNUSUAL = /[\p{Cc}\p{Cs}\u2028\u2029\ufeff\ufffe\uffff]/u;
// The YAML 1.2 core schema's plain-scalar types (as the library resolves them).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const TRUE = /^(?:[Tt]rue|TRUE)$/;
const FALSE = /^(?:[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
/** Octal, hex, float, exponent, infinity and NaN forms: left to the library. */
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
/** A plain scalar may not start with an indicator; "-" is allowed before a letter or digit ("-5", "-x"). */
const PLAIN_START = /^(?:[^-?:,[\]{}#&*!|>'"%@` ]|-[A-Za-z0-9])/;

/** The value of a scalar written after `key: ` or `- `, or undefined when it is not a simple one. */
function scalar(text: string, inFlow: boolean): { value: unknown } | undefined {
  const c = text.charCodeAt(0);
  if (c === 0x22 /* " */) {
    const end = text.indexOf('"', 1);
    if (end < 0 || !restIsComment(text, end + 1)) return undefined;
    const inner = text.slice(1, end);
    if (inner.includes('\\')) return undefined; // escapes: the library
    return { value: inner };
  }
  if (c === 0x27 /* ' */) {
    let end = 1;
    for (;;) {
      end = text.indexOf("'", end);
      if (end < 0) return undefined;
      if (text.charCodeAt(end + 1) === 0x27) end += 2;
      else break;
    }
    if (!restIsComment(text, end + 1)) return undefined;
    return { value: text.slice(1, end).replace(/''/g, "'") };
  }
  if (!PLAIN_START.test(text)) return undefined;
  const hash = text.indexOf(' #');
  const plain = trimEndSpaces(hash >= 0 ? text.slice(0, hash) : text);
  if (plain.includes(': ') || plain.endsWith(':')) return undefined;
  if (inFlow && /[[\]{},]/.test(plain)) return undefined;
  if (NULL.test(plain)) return { value: null };
  if (TRUE.test(plain)) return { value: true };
  if (FALSE.test(plain)) return { value: false };
  if (INT.test(plain)) {
    const n = parseInt(plain, 10);
    // Beyond the safe integers (and -0) the library's result is left to the library.
    return Number.isSafeInteger(n) && !Object.is(n, -0) ? { value: n } : undefined;
  }
  if (OTHER_NUMBER.test(plain)) return undefined;
  return { value: plain };
}

/** YAML trims spaces (tabs never reach here), not the other Unicode white space String.trim knows. */
function trimEndSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** After a closing quote or bracket: nothing, spaces, or spaces then a comment. */
function restIsComment(text: string, from: number): boolean {
  const rest = text.slice(from);
  return /^ *$/.test(rest) || /^ +#/.test(rest);
}

/** `[a, 1, "b"]`: a flow list of simple scalars on one line. */
function flowList(text: string): { value: unknown[] } | undefined {
  const end = text.indexOf(']');
  if (end < 0 || !restIsComment(text, end + 1)) return undefined;
  const inner = text.slice(1, end);
  if (/[[{}"'#]/.test(inner)) return undefined;
  if (/^ *$/.test(inner)) return { value: [] };
  const out: unknown[] = [];
  for (const part of inner.split(',')) {
    const item = trimEndSpaces(part).replace(/^ +/, '');
    if (!item) return undefined;
    const v = scalar(item, true);
    if (!v) return undefined;
    out.push(v.value);
  }
  return { value: out };
}

/** The front matter's keys and values, or undefined when the YAML library has to read it. */
export function readFastFrontMatter(yaml: string): FastFrontMatter | undefined {
  if (UNUSUAL.test(yaml.replace(/\n/g, ''))) return undefined;
  const fm: Record<string, unknown> = {};
  const keyLines = new Map<string, number>();
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || line.charCodeAt(0) === 0x23 /* # */) continue;
    const m = KEY_LINE.exec(line);
    if (!m) return undefined;
    const key = m[1];
    if (keyLines.has(key) || key === '__proto__' || NULL.test(key) || TRUE.test(key) || FALSE.test(key)) return undefined;
    const keyLine = i + 2;
    const text = trimEndSpaces(m[2] ?? '');
    let value: unknown;
    if (text === '') {
      // Nothing after the key: null, or a block list of scalars on the lines that follow.
      const items: unknown[] = [];
      let indent: string | undefined;
      while (i + 1 < lines.length) {
        const next = lines[i + 1];
        if (next === '') break;
        const s = SEQ_ITEM.exec(next);
        if (!s) {
          if (next.charCodeAt(0) === 0x20 || next.charCodeAt(0) === 0x2d /* - */) return undefined;
          break;
        }
        if (indent === undefined) indent = s[1];
        else if (s[1] !== indent) return undefined;
        const item = trimEndSpaces(s[2]);
        const v = item === '' ? undefined : scalar(item, false);
        if (!v) return undefined;
        items.push(v.value);
        i++;
      }
      value = indent === undefined ? null : items;
    } else if (text.charCodeAt(0) === 0x5b /* [ */) {
      const v = flowList(text);
      if (!v) return undefined;
      value = v.value;
    } else {
      const v = scalar(text, false);
      if (!v) return undefined;
      value = v.value;
    }
    fm[key] = value;
    keyLines.set(key, keyLine);
  }
  return { fm, keyLines };
}
