// One work-item file: its name, reading its bytes safely, YAML front matter, checklist, rewrite.
// Bad content never throws: the item comes back marked invalid with what is wrong and where,
// and a rewrite is refused rather than made from a file that could not be read faithfully.
import * as fsSync from 'node:fs';
import { constants as FS, promises as fs, type Stats } from 'node:fs';
import { LineCounter, isAlias, isMap, isNode, isScalar, parseDocument, visit, type Document } from 'yaml';
import type { Criterion, ItemType, WorkItem } from '../model/workItem';
import { ITEM_TYPES } from '../model/workItem';
import type { Stage } from '../model/stage';
import { readFastFrontMatter } from './frontMatterFast';

/** File names carry at most 9 digits, so this is the highest number `create` may hand out. */
export const MAX_ITEM_NUMBER = 999_999_999;
/** Larger files are not read at all: a story is a page of text, not a log or a data dump. */
export const MAX_ITEM_BYTES = 2 * 1024 * 1024;
/** Bounds the cost of the YAML parse, which grows with the number of keys. */
export const MAX_FRONT_MATTER_BYTES = 64 * 1024;

// Editors on Windows and macOS may write the extension as .MD; the rest of the name is lower case.
const FILE_NAME = /^(\d{1,9})_([a-z]+)_([a-z0-9_-]*)\.[mM][dD]$/;
const CHECKBOX = /^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/;
const LINE_BREAK = /\r\n?|\n/;
const OPENING = /^---(\r\n|\r|\n)/;

export interface FileNameParts {
  id: number;
  type: string;
  slug: string;
}

export function parseFileName(fileName: string): FileNameParts | undefined {
  const m = FILE_NAME.exec(fileName);
  if (!m) return undefined;
  return { id: Number(m[1]), type: m[2], slug: m[3] };
}

/** Why a file in a stage folder is not a work item at all, or undefined when its name makes it one. */
export function notWorkItemReason(fileName: string): string | undefined {
  if (parseFileName(fileName)) return undefined;
  if (/^\d{10,}_/.test(fileName)) return `the number has more than 9 digits (the highest a story can have is ${MAX_ITEM_NUMBER})`;
  return 'the file name must look like <number>_<type>_<slug>.md, e.g. 42_story_add_login.md';
}

// No symlink is followed, and a FIFO swapped in after lstat cannot block the read.
const READ_FLAGS = FS.O_RDONLY | (FS.O_NOFOLLOW ?? 0) | (FS.O_NONBLOCK ?? 0);

/** Bytes of a regular file, read without following a symlink; undefined when it is no longer the file lstat saw. */
export async function readItemFile(file: string, seen: Stats): Promise<Buffer | undefined> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENXIO') return undefined;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.ino !== seen.ino || st.size > MAX_ITEM_BYTES) return undefined;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * A file the store has not read before, in the fewest calls: open (never following a link, never
 * blocking on a FIFO), stat through the descriptor, one read, close. Blocking calls: the caller
 * reads in short slices and yields between them (on many small files they take a fraction of the
 * time of the thread-pool round trips). Undefined for anything unusual (gone, a link, not a regular
 * file, too large, changed size under the read, an error): the caller then takes the careful path.
 */
export function readNewItemFileSync(file: string): { st: Stats; bytes: Buffer } | undefined {
  let fd: number;
  try {
    fd = fsSync.openSync(file, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const st = fsSync.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_ITEM_BYTES) return undefined;
    // One byte more than the size shows a file that grew since the stat.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let got = 0;
    for (;;) {
      const n = fsSync.readSync(fd, buf, got, buf.length - got, got);
      got += n;
      if (got === st.size) return { st, bytes: buf.subarray(0, got) };
      if (n === 0 || got > st.size) return undefined; // shrank or grew under the read
    }
  } catch {
    return undefined;
  } finally {
    fsSync.closeSync(fd);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a file, or why its bytes are not text a story can be read from (and rewritten). */
export function decodeItemBytes(bytes: Uint8Array): { text: string } | { problem: string } {
  if (bytes.length > MAX_ITEM_BYTES) return { problem: `the file is ${bytes.length} bytes; a story file may have at most ${MAX_ITEM_BYTES}` };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return { problem: 'the file is UTF-16 text; save it as UTF-8' };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { problem: `the file contains a NUL byte (at byte ${nul}): it is not a text file` };
  try {
    // ignoreBOM keeps a BOM in the text, so a rewrite can keep it too
    return { text: UTF8.decode(bytes) };
  } catch {
    return { problem: 'the file is not valid UTF-8 text' };
  }
}

/** Splits `---\n yaml \n---\n body`. CRLF and lone CR line breaks count like LF; both parts keep their own. */
export function splitFrontMatter(text: string): { yaml?: string; body: string } {
  const src = text.replace(/^\uFEFF/, '');
  const open = OPENING.exec(src);
  if (!open) return { body: src };
  // Searching from the opening line's break lets an empty front matter (---, ---) close at once.
  const end = /(\r\n|\r|\n)---[ \t]*(\r\n|\r|\n|$)/.exec(src.slice(3));
  if (!end) return { yaml: undefined, body: src };
  const yaml = src.slice(open[0].length, 3 + end.index + end[1].length);
  const body = src.slice(3 + end.index + end[0].length);
  return { yaml, body };
}

function toLf(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Ticks (or unticks) the `index`-th acceptance criterion (0-based, in parseCriteria's order) in a story file's
 * text, changing only the checkbox character of that line. Throws a readable error when there is no such criterion.
 */
export function setCriterion(text: string, index: number, done: boolean): string {
  const { body } = splitFrontMatter(text);
  const start = text.length - body.length;
  let fence: { ch: string; len: number } | undefined;
  let n = 0;
  let offset = start;
  for (const m of body.matchAll(/[^\r\n]*(\r\n|\r|\n|$)/g)) {
    const line = m[0].replace(/(\r\n|\r|\n)$/, '');
    const at = offset;
    offset += m[0].length;
    if (!m[0]) break;
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = { ch: f[1][0], len: f[1].length };
      else if (f[1][0] === fence.ch && f[1].length >= fence.len && line.trim() === f[1]) fence = undefined;
      continue;
    }
    if (fence || !CHECKBOX.test(line)) continue;
    if (n++ !== index) continue;
    const box = line.indexOf('[') + 1;
    return `${text.slice(0, at + box)}${done ? 'x' : ' '}${text.slice(at + box + 1)}`;
  }
  throw new RangeError(`there is no acceptance criterion ${index} (the story has ${n}, numbered from 0)`);
}

/** Lines that can open or close a fence or be a checklist item: the only lines parseCriteria looks at. */
const CRITERIA_CANDIDATE = /^.*[[`~].*$/gm;

export function parseCriteria(body: string): Criterion[] {
  // Line separators other than LF would split lines differently for the multiline regex: split them as before.
  return criteriaOf(/[\r\u2028\u2029]/.test(body) ? body.split(LINE_BREAK) : (body.match(CRITERIA_CANDIDATE) ?? []));
}

function criteriaOf(lines: readonly string[]): Criterion[] {
  const out: Criterion[] = [];
  // A fence closes only with the same character, at least as long (CommonMark).
  let fence: { ch: string; len: number } | undefined;
  for (const line of lines) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = { ch: f[1][0], len: f[1].length };
      else if (f[1][0] === fence.ch && f[1].length >= fence.len && line.trim() === f[1]) fence = undefined;
      continue;
    }
    if (fence) continue;
    const m = CHECKBOX.exec(line);
    if (m) out.push({ done: m[1] !== ' ', text: m[2].trim() });
  }
  return out;
}

function firstHeading(body: string): string | undefined {
  const m = /^#\s+(.+?)\s*#*\s*$/m.exec(body);
  return m?.[1];
}

function unslug(slug: string): string {
  const s = slug.replace(/_/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : slug;
}

type FrontMatterRead = { doc: Document.Parsed; keyLines: Map<string, number> } | { problem: string; line: number };

/**
 * Parses LF-normalised front matter, refusing what cannot be read safely: anchors and aliases
 * (an alias bomb expands exponentially), duplicate keys, and absurd sizes. Lines are file lines.
 */
function readFrontMatter(yaml: string): FrontMatterRead {
  const bytes = Buffer.byteLength(yaml);
  if (bytes > MAX_FRONT_MATTER_BYTES) {
    return { line: 2, problem: `front matter is too large (${Math.ceil(bytes / 1024)} KiB; at most ${MAX_FRONT_MATTER_BYTES / 1024} KiB)` };
  }
  const lines = new LineCounter();
  // The library's own duplicate-key check compares every key with every other one (seconds for
  // 20,000 keys); the check below does the same job with a Set.
  const doc = parseDocument(yaml, { lineCounter: lines, uniqueKeys: false });
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line + 1; // +1: the opening --- line
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { line: lineOf(e.pos[0]), problem: `front matter is not valid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` };
  }
  if (doc.contents !== null && !isMap(doc.contents)) return { line: 2, problem: 'front matter must be a mapping of key: value lines' };
  let found: { problem: string; line: number } | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) found = { line: lineOf(node.range?.[0]), problem: `front matter uses the YAML alias *${node.source}; aliases and anchors are not allowed in front matter` };
    else if (isNode(node) && node.anchor)
      found = { line: lineOf(node.range?.[0]), problem: `front matter sets the YAML anchor &${node.anchor}; aliases and anchors are not allowed in front matter` };
    else if (isMap(node)) {
      const first = new Map<string, number>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const line = lineOf(pair.key.range?.[0]);
        const before = first.get(name);
        if (before !== undefined) {
          found = { line, problem: `front matter is not valid YAML: key "${name}" is set twice (first on line ${before})` };
          break;
        }
        first.set(name, line);
      }
    }
    return found ? visit.BREAK : undefined;
  });
  if (found) return found;
  const keyLines = new Map<string, number>();
  if (isMap(doc.contents)) for (const pair of doc.contents.items) if (isScalar(pair.key)) keyLines.set(String(pair.key.value), lineOf(pair.key.range?.[0]));
  return { doc, keyLines };
}

const isStoryNumber = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0 && (n as number) <= MAX_ITEM_NUMBER;
const isBoolean = (v: unknown) => typeof v === 'boolean';
const isString = (v: unknown) => typeof v === 'string';

/** Keys the orchestrator acts on: a wrong type must show, not be read as "unset" (blocked: "yes" would run an agent). */
const KEY_RULES: Record<string, { ok: (v: unknown) => boolean; must: string }> = {
  name: { ok: isString, must: 'must be a string' },
  agent: { ok: (v) => typeof v === 'string' && v.trim() !== '', must: 'must be an agent name' },
  qa: { ok: (v) => v === 'server' || v === 'agent' || v === 'human', must: 'must be server, agent or human' },
  depends_on: { ok: (v) => (Array.isArray(v) ? v : [v]).every(isStoryNumber), must: 'must be a list of story numbers, e.g. [40, 41]' },
  blocked: { ok: isBoolean, must: 'must be true or false' },
  blocked_reason: { ok: isString, must: 'must be a string' },
  review_hold: { ok: isBoolean, must: 'must be true or false' },
};

/** The fields of an item that come from its file name alone; throws for a name that is not a work item's. */
function itemShell(fileName: string, filePath: string, stage: Stage, mtimeMs: number): { item: WorkItem; problems: string[] } {
  const parts = parseFileName(fileName);
  if (!parts) throw new Error(`${fileName}: not a work item: ${notWorkItemReason(fileName)}`);
  const problems: string[] = [];
  let type: ItemType = 'story';
  if ((ITEM_TYPES as readonly string[]).includes(parts.type)) type = parts.type as ItemType;
  else problems.push(`${fileName}: unknown type "${parts.type}" in the file name (expected one of ${ITEM_TYPES.join(', ')})`);
  const item: WorkItem = {
    id: parts.id,
    type,
    slug: parts.slug,
    stage,
    fileName,
    path: filePath,
    name: unslug(parts.slug),
    frontMatter: {},
    body: '',
    criteria: [],
    dependsOn: [],
    blocked: false,
    mtimeMs,
  };
  return { item, problems };
}

/** An item whose file was not read (a symlink, binary, too large): shown, with the reason, never rewritten. */
export function unreadableItem(fileName: string, filePath: string, stage: Stage, mtimeMs: number, problem: string): WorkItem {
  const { item, problems } = itemShell(fileName, filePath, stage, mtimeMs);
  return { ...item, invalid: [`${fileName}: ${problem}`, ...problems].join('; ') };
}

/** The front matter's values and each key's line, by the fast reader when it can, else by the YAML library. */
export function readFrontMatterValues(yaml: string): { fm: Record<string, unknown>; keyLines: Map<string, number> } | { problem: string; line: number } {
  // The size check first, as the library path makes it (bytes, not characters).
  if (yaml.length * 3 <= MAX_FRONT_MATTER_BYTES || Buffer.byteLength(yaml) <= MAX_FRONT_MATTER_BYTES) {
    const fast = readFastFrontMatter(yaml);
    if (fast) return fast;
  }
  return readFrontMatterByLibrary(yaml);
}

/** The same by the YAML library alone (what the fast reader must agree with). */
export function readFrontMatterByLibrary(yaml: string): { fm: Record<string, unknown>; keyLines: Map<string, number> } | { problem: string; line: number } {
  const read = readFrontMatter(yaml);
  if ('problem' in read) return read;
  try {
    return { fm: (read.doc.toJS() as Record<string, unknown> | null) ?? {}, keyLines: read.keyLines };
  } catch (err) {
    return { line: 2, problem: `front matter could not be read: ${(err as Error).message}` };
  }
}

/** Parses a work item's text. The file name must be a work item's (see notWorkItemReason). */
export function parseItem(text: string, fileName: string, filePath: string, stage: Stage, mtimeMs: number): WorkItem {
  const { item, problems } = itemShell(fileName, filePath, stage, mtimeMs);
  const { yaml, body } = splitFrontMatter(text.includes('\r') ? toLf(text) : text);
  let fm: Record<string, unknown> = {};
  let keyLines = new Map<string, number>();
  if (yaml === undefined && OPENING.test(body)) {
    problems.push(`${fileName}:1: the front matter starts with --- but has no closing --- line`);
  } else if (yaml !== undefined) {
    const read = readFrontMatterValues(yaml);
    if ('problem' in read) problems.push(`${fileName}:${read.line}: ${read.problem}`);
    else ({ fm, keyLines } = read);
  }

  const keyProblems: Array<[number, string]> = [];
  for (const [key, rule] of Object.entries(KEY_RULES)) {
    if (!Object.hasOwn(fm, key) || rule.ok(fm[key])) continue;
    const line = keyLines.get(key) ?? 2;
    keyProblems.push([line, `${fileName}:${line}: key "${key}" ${rule.must}`]);
  }
  problems.push(...keyProblems.sort((a, b) => a[0] - b[0]).map(([, p]) => p));
  const valid = (key: string) => Object.hasOwn(fm, key) && KEY_RULES[key].ok(fm[key]);

  let name = valid('name') && (fm.name as string).trim() ? (fm.name as string).trim() : (firstHeading(body) ?? item.name);
  if (Object.hasOwn(fm, 'name') && !valid('name')) name = String(fm.name);
  return {
    ...item,
    name,
    frontMatter: fm,
    body,
    criteria: parseCriteria(body),
    agent: valid('agent') ? (fm.agent as string).trim() : undefined,
    dependsOn: valid('depends_on') ? ([] as number[]).concat(fm.depends_on as number | number[]) : [],
    blocked: fm.blocked === true,
    blockedReason: valid('blocked_reason') ? (fm.blocked_reason as string) : undefined,
    invalid: problems.length ? problems.join('; ') : undefined,
  };
}

/**
 * Returns the file text with front-matter keys set (or deleted when the value is undefined),
 * keeping every other key, comments, a BOM and the body byte for byte. The front matter is
 * written with the line break the file already uses (CRLF stays CRLF). Throws rather than
 * rewrite front matter it cannot read faithfully.
 */
export function patchFrontMatter(text: string, patch: Record<string, unknown>): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const src = text.slice(bom.length);
  const eol = LINE_BREAK.exec(src)?.[0] ?? '\n';
  const { yaml, body } = splitFrontMatter(src);
  if (yaml === undefined && OPENING.test(src)) throw new Error('cannot rewrite front matter: it starts with --- but has no closing --- line');
  const read = readFrontMatter(toLf(yaml ?? ''));
  if ('problem' in read) throw new Error(`cannot rewrite front matter: line ${read.line}: ${read.problem}`);
  const doc = read.doc;
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) doc.delete(k);
    else doc.set(k, v);
  }
  let out = doc.toString({ lineWidth: 0 });
  if (out.trim() === '{}') out = '';
  if (out && !out.endsWith('\n')) out += '\n';
  if (Buffer.byteLength(out) > MAX_FRONT_MATTER_BYTES) throw new Error(`cannot rewrite front matter: it would be larger than ${MAX_FRONT_MATTER_BYTES / 1024} KiB`);
  return `${bom}${`---\n${out}---\n`.replace(/\n/g, eol)}${yaml === undefined ? src : body}`;
}

export function renderNewItem(opts: { name: string; type: ItemType; criteria: string[]; description?: string }): string {
  const doc = parseDocument('');
  doc.contents = doc.createNode({ name: opts.name }) as never;
  const lines = [`---`, doc.toString({ lineWidth: 0 }).trimEnd(), `---`, `# ${opts.name.replace(/\r?\n/g, ' ')}`, ''];
  if (opts.description?.trim()) lines.push(opts.description.trim(), '');
  lines.push('## Acceptance criteria', '');
  const crit = opts.criteria.map((c) => c.trim()).filter(Boolean);
  for (const c of crit) lines.push(`- [ ] ${c.replace(/\r?\n/g, ' ')}`);
  lines.push('');
  return lines.join('\n');
}
