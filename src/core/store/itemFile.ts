// Parsing and rewriting one work-item file: file name, YAML front matter, checklist.
// A file that cannot be parsed is still returned, marked invalid with what is wrong and where.
import { parseDocument, isMap, YAMLParseError } from 'yaml';
import type { Criterion, ItemType, WorkItem } from '../model/workItem';
import { ITEM_TYPES } from '../model/workItem';
import type { Stage } from '../model/stage';

const FILE_NAME = /^(\d{1,9})_([a-z]+)_([a-z0-9_-]*)\.md$/;
const CHECKBOX = /^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/;

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

/** Splits `---\n yaml \n---\n body`. Returns the yaml source, the body and the line the yaml starts on. */
export function splitFrontMatter(text: string): { yaml?: string; body: string } {
  const src = text.replace(/^\uFEFF/, '');
  if (!/^---\r?\n/.test(src)) return { body: src };
  const end = /\r?\n---[ \t]*(\r?\n|$)/.exec(src.slice(3));
  if (!end) return { yaml: undefined, body: src };
  const yaml = src.slice(src.indexOf('\n') + 1, 3 + end.index + 1);
  const body = src.slice(3 + end.index + end[0].length);
  return { yaml, body };
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

export function parseCriteria(body: string): Criterion[] {
  const out: Criterion[] = [];
  // A fence closes only with the same character, at least as long (CommonMark).
  let fence: { ch: string; len: number } | undefined;
  for (const line of body.split(/\r?\n/)) {
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

export function parseItem(text: string, fileName: string, filePath: string, stage: Stage, mtimeMs: number): WorkItem {
  const parts = parseFileName(fileName);
  const problems: string[] = [];
  const id = parts?.id ?? syntheticId(fileName);
  if (!parts) problems.push(`${fileName}: the file name must look like <number>_<type>_<slug>.md (e.g. 42_story_add_login.md)`);
  let type: ItemType = 'story';
  if (parts) {
    if ((ITEM_TYPES as readonly string[]).includes(parts.type)) type = parts.type as ItemType;
    else problems.push(`${fileName}: unknown type "${parts.type}" in the file name (expected one of ${ITEM_TYPES.join(', ')})`);
  }

  const { yaml, body } = splitFrontMatter(text);
  let fm: Record<string, unknown> = {};
  if (yaml === undefined && /^---\r?\n/.test(text.replace(/^\uFEFF/, ''))) {
    problems.push(`${fileName}:1: the front matter starts with --- but has no closing --- line`);
  } else if (yaml !== undefined) {
    const doc = parseDocument(yaml);
    if (doc.errors.length > 0) {
      const e = doc.errors[0] as YAMLParseError;
      const line = (e.linePos?.[0]?.line ?? lineAt(yaml, e.pos?.[0] ?? 0)) + 1; // +1 for the opening --- line
      problems.push(`${fileName}:${line}: front matter is not valid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
    } else if (doc.contents !== null && !isMap(doc.contents)) {
      problems.push(`${fileName}:2: front matter must be a mapping of key: value lines`);
    } else {
      fm = (doc.toJS() as Record<string, unknown>) ?? {};
    }
  }

  const keyLine = (key: string) => lineOfKey(yaml ?? '', key);
  let name = typeof fm.name === 'string' && fm.name.trim() ? fm.name.trim() : firstHeading(body) ?? unslug(parts?.slug ?? fileName);
  if (fm.name !== undefined && typeof fm.name !== 'string') {
    problems.push(`${fileName}:${keyLine('name')}: key "name" must be a string`);
    name = String(fm.name);
  }
  let dependsOn: number[] = [];
  if (fm.depends_on !== undefined) {
    const raw = Array.isArray(fm.depends_on) ? fm.depends_on : [fm.depends_on];
    if (raw.every((n) => Number.isInteger(n) && (n as number) > 0)) dependsOn = raw as number[];
    else problems.push(`${fileName}:${keyLine('depends_on')}: key "depends_on" must be a list of story numbers, e.g. [40, 41]`);
  }
  let agent: string | undefined;
  if (fm.agent !== undefined) {
    if (typeof fm.agent === 'string' && fm.agent.trim()) agent = fm.agent.trim();
    else problems.push(`${fileName}:${keyLine('agent')}: key "agent" must be an agent name`);
  }
  const blocked = fm.blocked === true;
  const blockedReason = typeof fm.blocked_reason === 'string' ? fm.blocked_reason : undefined;

  return {
    id,
    type,
    slug: parts?.slug ?? '',
    stage,
    fileName,
    path: filePath,
    name,
    frontMatter: fm,
    body,
    criteria: parseCriteria(body),
    agent,
    dependsOn,
    blocked,
    blockedReason,
    invalid: problems.length ? problems.join('; ') : undefined,
    mtimeMs,
  };
}

function lineOfKey(yaml: string, key: string): number {
  const lines = yaml.split(/\r?\n/);
  const i = lines.findIndex((l) => l.startsWith(`${key}:`));
  return i < 0 ? 1 : i + 2;
}

/** A stable negative id for a file whose name has no number, so it can still be shown. */
function syntheticId(fileName: string): number {
  let h = 0;
  for (let i = 0; i < fileName.length; i++) h = (h * 31 + fileName.charCodeAt(i)) | 0;
  return -(Math.abs(h) % 1_000_000_000) - 1;
}

/**
 * Returns the file text with front-matter keys set (or deleted when the value is undefined),
 * keeping every other key, comments and the body as they were.
 */
export function patchFrontMatter(text: string, patch: Record<string, unknown>): string {
  const { yaml, body } = splitFrontMatter(text);
  if (yaml === undefined && /^---\r?\n/.test(text.replace(/^\uFEFF/, ''))) throw new Error('cannot rewrite front matter: it starts with --- but has no closing --- line');
  const doc = parseDocument(yaml ?? '');
  if (doc.errors.length > 0) throw new Error(`cannot rewrite front matter: ${doc.errors[0].message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('cannot rewrite front matter: it is not a mapping of key: value lines');
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) doc.delete(k);
    else doc.set(k, v);
  }
  let out = doc.toString({ lineWidth: 0 });
  if (out.trim() === '{}') out = '';
  return `---\n${out}${out.endsWith('\n') || !out ? '' : '\n'}---\n${yaml === undefined ? text.replace(/^\uFEFF/, '') : body}`;
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
