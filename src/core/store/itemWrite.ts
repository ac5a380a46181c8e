// Writing work-item files: a new item under a claimed number, and a front-matter patch that
// never turns a valid story invalid. The store serializes these with its scans.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Stage } from '../model/stage';
import { ITEM_TYPES, type ItemType, type WorkItem } from '../model/workItem';
import { MAX_ITEM_BYTES, decodeItemBytes, parseItem, readItemFile, patchFrontMatter, setCriterion, renderNewItem } from './itemFile';
import { SYMLINK_PROBLEM } from './entryRead';
import { writeFileAtomic } from '../util/fsAtomic';
import { slugify } from '../util/ids';

export interface NewItem {
  name: string;
  type?: ItemType;
  criteria?: string[];
  description?: string;
  stage?: Stage;
}

export interface CreateContext {
  root: string;
  huskiesDir: string;
  stageDir(stage: Stage): string;
  /** One more than the highest number in use, read from disk now. */
  nextNumber(): Promise<number>;
}

/**
 * Writes a new item. The number is claimed (mkdir is atomic) and the file is hard-linked into
 * place, which fails if another writer took the name first: two concurrent creates never share
 * a number.
 */
export async function createItem(c: CreateContext, opts: NewItem): Promise<WorkItem> {
  const name = opts.name.trim();
  if (!name) throw new Error('A story needs a title.');
  const type = opts.type ?? 'story';
  if (!(ITEM_TYPES as readonly string[]).includes(type)) throw new Error(`Unknown story type "${type}" (expected one of ${ITEM_TYPES.join(', ')}).`);
  const stage = opts.stage ?? 'backlog';
  const dir = c.stageDir(stage);
  const text = renderNewItem({ name, type, criteria: opts.criteria ?? [], description: opts.description });
  // Never write a file the next scan would call invalid.
  const check = parseItem(text, `1_${type}_${slugify(name)}.md`, dir, stage, 0).invalid;
  if (check) throw new Error(`Cannot create the story: ${check.replace(/^1_/, '<number>_')}`);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.new-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await fs.writeFile(tmp, text);
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      const id = await c.nextNumber();
      const claim = await claimNumber(c.huskiesDir, id);
      if (!claim) continue;
      try {
        // Another writer may have claimed, written and released this number since we counted.
        if ((await c.nextNumber()) !== id) continue;
        const fileName = `${id}_${type}_${slugify(name)}.md`;
        const file = path.join(dir, fileName);
        try {
          await fs.link(tmp, file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw err;
        }
        const st = await fs.stat(file);
        return parseItem(text, fileName, file, stage, st.mtimeMs);
      } finally {
        await fs.rm(claim, { recursive: true, force: true });
      }
    }
    throw new Error('Could not claim a story number after 50 attempts.');
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Returns the claim's path, or undefined when another writer holds this number. Stale claims (a crash) expire. */
async function claimNumber(huskiesDir: string, id: number): Promise<string | undefined> {
  const dir = path.join(huskiesDir, '.claims');
  await fs.mkdir(dir, { recursive: true });
  const claim = path.join(dir, String(id));
  try {
    await fs.mkdir(claim);
    return claim;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await fs.stat(claim).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 10_000) await fs.rm(claim, { recursive: true, force: true });
    return undefined;
  }
}

/** Rewrites an item's front matter only from a file read faithfully, and never turns a valid story invalid. */
export async function patchItemFile(root: string, item: WorkItem, patch: Record<string, unknown>, criterion?: { index: number; done: boolean }): Promise<void> {
  const file = item.path;
  const refuse = (why: string) => new Error(`Cannot change ${path.relative(root, file)}: ${why}`);
  const st = await fs.lstat(file);
  if (st.isSymbolicLink()) throw refuse(SYMLINK_PROBLEM);
  if (st.size > MAX_ITEM_BYTES) throw refuse(`the file is ${st.size} bytes; a story file may have at most ${MAX_ITEM_BYTES}`);
  const bytes = await readItemFile(file, st);
  if (!bytes) throw refuse('the file changed while it was read; try again');
  const decoded = decodeItemBytes(bytes);
  if ('problem' in decoded) throw refuse(decoded.problem);
  let text: string;
  try {
    text = patchFrontMatter(decoded.text, patch);
    if (criterion) text = setCriterion(text, criterion.index, criterion.done);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  const before = parseItem(decoded.text, item.fileName, file, item.stage, 0).invalid;
  const after = parseItem(text, item.fileName, file, item.stage, 0).invalid;
  if (!before && after) throw refuse(`the change would make it invalid: ${after}`);
  await writeFileAtomic(file, text);
}
