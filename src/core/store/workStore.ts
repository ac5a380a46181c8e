// The work items under .huskies/work/<stage>/: scan, number, create, move and patch,
// with atomic writes. It keeps the last scan so a rescan reports only what changed.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { STAGES, STAGE_FOLDERS, type Stage } from '../model/stage';
import type { ItemType, WorkItem } from '../model/workItem';
import { parseFileName, parseItem, patchFrontMatter, renderNewItem } from './itemFile';
import { writeFileAtomic } from '../util/fsAtomic';
import { slugify } from '../util/ids';

export type StoreChange =
  | { kind: 'added'; item: WorkItem }
  | { kind: 'removed'; item: WorkItem }
  | { kind: 'moved'; item: WorkItem; from: Stage }
  | { kind: 'changed'; item: WorkItem };

export interface ScanResult {
  items: Map<number, WorkItem>;
  /** The same number in two places: never start two agents; report it. */
  conflicts: string[];
  changes: StoreChange[];
}

export class WorkStore {
  readonly huskiesDir: string;
  readonly workDir: string;
  private items = new Map<number, WorkItem>();
  private cache = new Map<string, { mtimeMs: number; size: number; item: WorkItem }>();
  private conflicts: string[] = [];

  constructor(readonly root: string) {
    this.huskiesDir = path.join(root, '.huskies');
    this.workDir = path.join(this.huskiesDir, 'work');
  }

  stageDir(stage: Stage): string {
    return path.join(this.workDir, STAGE_FOLDERS[stage]);
  }

  all(): WorkItem[] {
    return [...this.items.values()].sort((a, b) => a.id - b.id);
  }

  itemsById(): Map<number, WorkItem> {
    return this.items;
  }

  get(id: number): WorkItem | undefined {
    return this.items.get(id);
  }

  getConflicts(): string[] {
    return this.conflicts;
  }

  /** Reads every stage folder (re-parsing only files whose mtime or size changed) and diffs against the last scan. */
  async scan(): Promise<ScanResult> {
    const next = new Map<number, WorkItem>();
    const seenPaths = new Set<string>();
    const conflicts: string[] = [];
    for (const stage of STAGES) {
      const dir = this.stageDir(stage);
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const name of names.sort()) {
        if (!name.endsWith('.md') || name.startsWith('.')) continue;
        const file = path.join(dir, name);
        let st;
        try {
          st = await fs.stat(file);
        } catch {
          continue; // moved away between readdir and stat
        }
        if (!st.isFile()) continue;
        seenPaths.add(file);
        let item: WorkItem;
        const cached = this.cache.get(file);
        if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
          item = cached.item;
        } else {
          let text: string;
          try {
            text = await fs.readFile(file, 'utf8');
          } catch {
            continue;
          }
          item = parseItem(text, name, file, stage, st.mtimeMs);
          this.cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, item });
        }
        const other = next.get(item.id);
        if (other) {
          const msg = `Story ${item.id} is in two places: ${path.relative(this.root, other.path)} and ${path.relative(this.root, item.path)}. Remove or renumber one; no agent starts on it until then.`;
          conflicts.push(msg);
          next.set(item.id, { ...other, invalid: other.invalid ? `${other.invalid}; ${msg}` : msg });
          continue;
        }
        next.set(item.id, item);
      }
    }
    for (const p of [...this.cache.keys()]) if (!seenPaths.has(p)) this.cache.delete(p);

    const changes: StoreChange[] = [];
    for (const [id, item] of next) {
      const prev = this.items.get(id);
      if (!prev) changes.push({ kind: 'added', item });
      else if (prev.stage !== item.stage) changes.push({ kind: 'moved', item, from: prev.stage });
      else if (prev.path !== item.path || prev.mtimeMs !== item.mtimeMs || prev.invalid !== item.invalid) changes.push({ kind: 'changed', item });
    }
    for (const [id, item] of this.items) if (!next.has(id)) changes.push({ kind: 'removed', item });
    this.items = next;
    this.conflicts = conflicts;
    return { items: next, conflicts, changes };
  }

  /** One more than the highest number under work/, counting unparsable files that carry a number. */
  async nextNumber(): Promise<number> {
    let max = 0;
    for (const stage of STAGES) {
      let names: string[] = [];
      try {
        names = await fs.readdir(this.stageDir(stage));
      } catch {
        continue;
      }
      for (const n of names) {
        const m = /^(\d{1,9})_/.exec(n);
        if (m) max = Math.max(max, Number(m[1]));
      }
    }
    return max + 1;
  }

  /**
   * Writes a new item into the backlog. The number is claimed with a hard link, which fails
   * if another writer took it first, so two concurrent creates never share a number.
   */
  async create(opts: { name: string; type?: ItemType; criteria?: string[]; description?: string; stage?: Stage }): Promise<WorkItem> {
    const name = opts.name.trim();
    if (!name) throw new Error('A story needs a title.');
    const type = opts.type ?? 'story';
    const stage = opts.stage ?? 'backlog';
    const dir = this.stageDir(stage);
    await fs.mkdir(dir, { recursive: true });
    const text = renderNewItem({ name, type, criteria: opts.criteria ?? [], description: opts.description });
    const tmp = path.join(dir, `.new-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    await fs.writeFile(tmp, text);
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        const id = await this.nextNumber();
        // The number itself is claimed (mkdir is atomic), so creates with different titles never share it.
        const claim = await this.claimNumber(id);
        if (!claim) continue;
        try {
          // Another writer may have claimed, written and released this number since we counted.
          if ((await this.nextNumber()) !== id) continue;
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
  private async claimNumber(id: number): Promise<string | undefined> {
    const dir = path.join(this.huskiesDir, '.claims');
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

  /** Moves an item's file to another stage folder (one rename: atomic), optionally patching its front matter first. */
  async move(id: number, to: Stage, patch?: Record<string, unknown>): Promise<WorkItem> {
    const item = await this.fresh(id);
    const target = path.join(this.stageDir(to), item.fileName);
    if (item.stage !== to && (await fs.stat(target).catch(() => undefined))) {
      throw new Error(`Cannot move story ${id}: ${path.relative(this.root, target)} already exists.`);
    }
    if (patch && Object.keys(patch).length) await this.patchFile(item.path, patch);
    if (item.stage === to) {
      await this.scan();
      return this.items.get(id) ?? item;
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(item.path, target);
    await this.scan();
    const moved = this.items.get(id);
    if (!moved) throw new Error(`Story ${id} disappeared during the move.`);
    return moved;
  }

  /** Sets or deletes front-matter keys, keeping everything else in the file. */
  async patch(id: number, patch: Record<string, unknown>): Promise<WorkItem> {
    const item = await this.fresh(id);
    await this.patchFile(item.path, patch);
    await this.scan();
    return this.items.get(id)!;
  }

  private async patchFile(file: string, patch: Record<string, unknown>): Promise<void> {
    const text = await fs.readFile(file, 'utf8');
    await writeFileAtomic(file, patchFrontMatter(text, patch));
  }

  /** The item as it is on disk now (rescans if the cached path has gone, e.g. moved by hand). */
  private async fresh(id: number): Promise<WorkItem> {
    let item = this.items.get(id);
    if (!item || !(await fs.stat(item.path).catch(() => undefined))) {
      await this.scan();
      item = this.items.get(id);
    }
    if (!item) throw new Error(`There is no story ${id} under ${path.relative(this.root, this.workDir) || '.huskies/work'}.`);
    return item;
  }
}

export function isWorkFileName(name: string): boolean {
  return parseFileName(name) !== undefined;
}
