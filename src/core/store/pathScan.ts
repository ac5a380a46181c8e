// A rescan of only the paths the watcher saw change: a story moved, edited or renamed by hand costs
// a few file reads, not a read of every folder. Anything it cannot prove from those paths alone (a
// folder changed, a file removed with no trace of where it went, a number in two places, a stray
// file) returns undefined, and the caller scans everything instead.
import { lstatSync } from 'node:fs';
import * as path from 'node:path';
import { STAGES, type Stage } from '../model/stage';
import type { WorkItem } from '../model/workItem';
import { parseFileName } from './itemFile';
import { isIgnored, readEntry, type ItemCache } from './entryRead';

export interface PathScanContext {
  stageDir(stage: Stage): string;
  items: ReadonlyMap<number, WorkItem>;
  cache: ItemCache;
  /** A number in two places: only a full scan reports it and sees it resolved. */
  hasConflicts: boolean;
  /** Stray files (markdown that is not a story) found by the last full scan. */
  strayPaths: ReadonlySet<string>;
}

/** More changed paths than this at once (a checkout, a folder copied in): one full scan is as cheap. */
export const MAX_CHANGED_PATHS = 1000;

const exists = (file: string) => lstatSync(file, { throwIfNoEntry: false }) !== undefined;

/** The items with the changed paths re-read, and the numbers to compare; undefined when only a full scan can tell. */
export async function scanPaths(ctx: PathScanContext, paths: readonly string[]): Promise<{ items: Map<number, WorkItem>; ids: Set<number> } | undefined> {
  if (ctx.hasConflicts || paths.length > MAX_CHANGED_PATHS) return undefined;
  const stageOfDir = new Map(STAGES.map((s) => [ctx.stageDir(s), s]));
  const todo = new Map<string, { stage: Stage; name: string }>();
  for (const p of paths) {
    const file = path.resolve(p);
    const stage = stageOfDir.get(path.dirname(file));
    if (stage === undefined) return undefined; // the work folder, a stage folder itself, or deeper
    const name = path.basename(file);
    if (!isIgnored(name)) todo.set(file, { stage, name });
  }
  const next = new Map(ctx.items);
  const ids = new Set<number>();
  const gone: Array<{ file: string; stage: Stage; name: string }> = [];
  for (const [file, { stage, name }] of todo) {
    const e = await readEntry(ctx.cache, name, file, stage);
    if (e.kind === 'stray') return undefined;
    if (e.kind === 'other') continue;
    if (e.kind === 'gone') {
      gone.push({ file, stage, name });
      continue;
    }
    const item = e.item;
    if (ids.has(item.id)) return undefined; // the same number twice among the changed paths
    const prev = next.get(item.id);
    if (prev && prev.path !== item.path && !todo.has(prev.path)) {
      // Known at another path: moved from there, unless that file is still there (the same number twice).
      if (exists(prev.path)) return undefined;
      ctx.cache.delete(prev.path);
    }
    next.set(item.id, item);
    ids.add(item.id);
  }
  for (const g of gone) {
    ctx.cache.delete(g.file);
    if (ctx.strayPaths.has(g.file)) return undefined;
    const id = parseFileName(g.name)?.id;
    const prev = id === undefined ? undefined : next.get(id);
    if (id === undefined || !prev || ids.has(id) || prev.path !== g.file) continue; // not ours, or already placed
    // A move by hand keeps the file's name: look for it in the other stage folders.
    const found = await findMoved(ctx, g.name, g.stage);
    if (!found || found.id !== id) return undefined; // removed or renamed: the full scan tells which
    next.set(id, found);
    ids.add(id);
  }
  return { items: next, ids };
}

async function findMoved(ctx: PathScanContext, name: string, from: Stage): Promise<WorkItem | undefined> {
  for (const stage of STAGES) {
    if (stage === from) continue;
    const file = path.join(ctx.stageDir(stage), name);
    if (!exists(file)) continue;
    const e = await readEntry(ctx.cache, name, file, stage);
    return e.kind === 'item' ? e.item : undefined;
  }
  return undefined;
}
