// One entry of a stage folder as a scan sees it: a work item (parsed, or taken from the cache when
// the file is the same), a stray (a markdown file or folder that is not a story), nothing of ours,
// or gone (it moved away or changed while it was read: the caller's view is out of date).
import type { Stats } from 'node:fs';
import type { Stage } from '../model/stage';
import type { WorkItem } from '../model/workItem';
import { MAX_ITEM_BYTES, decodeItemBytes, parseItem, readItemFile, unreadableItem } from './itemFile';
import { identityOf, probeEntry } from './probe';

/** Parsed items by file path, with the identity (inode, size, times) of the file they were read from. */
export type ItemCache = Map<string, { identity: string; item: WorkItem }>;

export type Entry =
  /** seen: the file was there to be read (an unreadable one is shown but not cached). */
  { kind: 'item'; item: WorkItem; seen: boolean } | { kind: 'stray'; problem: string } | { kind: 'other' } | { kind: 'gone' };

const SYMLINK_PROBLEM = 'the file is a symbolic link; a story must be a regular file in its stage folder (links are not followed)';

/** Hidden files (.gitkeep, our temp files) and editor leftovers are not the user's stories. */
export function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /^#.*#$/.test(name);
}

/** Reads one entry with blocking calls where it can (see probe.ts); never throws for a bad file. */
export async function readEntry(cache: ItemCache, name: string, file: string, stage: Stage): Promise<Entry> {
  const p = probeEntry(name, file, cache.has(file));
  if (p.kind === 'not-item') {
    // Other files (images, notes in other formats) may sit beside the stories; markdown ones look meant as stories.
    return /\.(md|markdown)$/i.test(name) ? { kind: 'stray', problem: p.reason } : { kind: 'other' };
  }
  if (p.kind === 'read') return { kind: 'item', item: parseRead(cache, file, name, stage, p.st, p.bytes), seen: true };
  const st = p.st;
  if (!st) return { kind: 'gone' };
  if (st instanceof Error) return { kind: 'item', item: unreadableItem(name, file, stage, 0, `the file cannot be read: ${st.message}`), seen: false };
  if (st.isDirectory()) return { kind: 'stray', problem: 'it is a folder, not a file' };
  if (!st.isFile() && !st.isSymbolicLink()) return { kind: 'stray', problem: 'it is not a regular file' };
  const item = await readItem(cache, file, name, stage, st);
  return item ? { kind: 'item', item, seen: true } : { kind: 'gone' };
}

/** The item from a new file's bytes, cached by the file's identity. */
function parseRead(cache: ItemCache, file: string, name: string, stage: Stage, st: Stats, bytes: Buffer): WorkItem {
  const decoded = decodeItemBytes(bytes);
  const item = 'text' in decoded ? parseItem(decoded.text, name, file, stage, st.mtimeMs) : unreadableItem(name, file, stage, st.mtimeMs, decoded.problem);
  cache.set(file, { identity: identityOf(st), item });
  return item;
}

/** One item from its file, from the cache when the file is the same; undefined when it changed under the read. */
async function readItem(cache: ItemCache, file: string, name: string, stage: Stage, st: Stats): Promise<WorkItem | undefined> {
  if (st.isSymbolicLink()) return unreadableItem(name, file, stage, st.mtimeMs, SYMLINK_PROBLEM);
  const identity = identityOf(st);
  const cached = cache.get(file);
  if (cached?.identity === identity) return cached.item;
  let item: WorkItem;
  if (st.size > MAX_ITEM_BYTES) {
    item = unreadableItem(name, file, stage, st.mtimeMs, `the file is ${st.size} bytes; a story file may have at most ${MAX_ITEM_BYTES}`);
  } else {
    try {
      const bytes = await readItemFile(file, st);
      if (!bytes) return undefined;
      const decoded = decodeItemBytes(bytes);
      item = 'text' in decoded ? parseItem(decoded.text, name, file, stage, st.mtimeMs) : unreadableItem(name, file, stage, st.mtimeMs, decoded.problem);
    } catch (err) {
      // One unreadable story (permissions, I/O) must not stop the scan of all the others.
      item = unreadableItem(name, file, stage, st.mtimeMs, `the file cannot be read: ${(err as Error).message}`);
    }
  }
  cache.set(file, { identity, item });
  return item;
}

export { SYMLINK_PROBLEM };
