// The work items under .huskies/work/<stage>/: scan, number, create, move and patch, with atomic
// writes (itemWrite.ts writes the files). It keeps the last scan so a rescan reports only what changed. Scans, moves and patches
// of one store run one at a time, and a scan re-reads until the folders hold still, so a rename
// made elsewhere never shows as a story in two places, a removal or a move back.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { STAGES, STAGE_FOLDERS, type Stage } from '../model/stage';
import type { StrayFile, WorkItem } from '../model/workItem';
import { MAX_ITEM_NUMBER, parseFileName } from './itemFile';
import { isIgnored, readEntry, type ItemCache } from './entryRead';
import { createItem, patchItemFile, type NewItem } from './itemWrite';
import { scanPaths } from './pathScan';

export type StoreChange =
  { kind: 'added'; item: WorkItem } | { kind: 'removed'; item: WorkItem } | { kind: 'moved'; item: WorkItem; from: Stage } | { kind: 'changed'; item: WorkItem };

export interface ScanResult {
  items: Map<number, WorkItem>;
  /** The same number in two places: never start two agents; report it. */
  conflicts: string[];
  changes: StoreChange[];
  /** Markdown files in stage folders that are not work items: reported, never numbered. */
  strays: StrayFile[];
}

/** Each stage folder's entries, sorted: what one pass of a scan reads. */
type Listing = Array<{ stage: Stage; names: string[] }>;

interface Pass {
  items: Map<number, WorkItem>;
  conflicts: string[];
  strays: StrayFile[];
  seen: Set<string>;
  /** A file vanished or changed identity while it was read: the listing is already out of date. */
  unstable: boolean;
}

/** A scan re-reads at most this often while files keep moving under it, then keeps its last pass. */
const MAX_SCAN_PASSES = 10;
/** The longest a scan reads new files without letting the event loop run. */
const READ_SLICE_MS = 10;

export class WorkStore {
  readonly huskiesDir: string;
  readonly workDir: string;
  private items = new Map<number, WorkItem>();
  private sorted?: WorkItem[];
  private byStage?: Map<Stage, WorkItem[]>;
  private cache: ItemCache = new Map();
  private conflicts: string[] = [];
  private strays: StrayFile[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string) {
    this.huskiesDir = path.join(root, '.huskies');
    this.workDir = path.join(this.huskiesDir, 'work');
  }

  stageDir(stage: Stage): string {
    return path.join(this.workDir, STAGE_FOLDERS[stage]);
  }

  /** Every item by number (a new array each call; the sort is kept until the next scan). */
  all(): WorkItem[] {
    this.sorted ??= [...this.items.values()].sort((a, b) => a.id - b.id);
    return this.sorted.slice();
  }

  /** The items in one stage by number; the index is kept until the next scan. */
  inStage(stage: Stage): readonly WorkItem[] {
    if (!this.byStage) {
      const by = new Map<Stage, WorkItem[]>(STAGES.map((st) => [st, []]));
      for (const item of this.all()) by.get(item.stage)!.push(item);
      this.byStage = by;
    }
    return this.byStage.get(stage) ?? [];
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

  /** Markdown files in stage folders that are not work items (e.g. notes.md), as of the last scan. */
  getStrays(): StrayFile[] {
    return this.strays;
  }

  /** Everything about the work folders a user should fix: conflicts, then stray files. */
  getProblems(): string[] {
    return [...this.conflicts, ...this.strays.map((s) => s.problem)];
  }

  /** Runs fn after every scan, move and patch of this store that was asked for before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads every stage folder (re-parsing only files that changed) and diffs against the last scan.
   * With `paths` (files the watcher saw change), re-reads only those when that is enough to be sure.
   */
  scan(paths?: readonly string[]): Promise<ScanResult> {
    return this.serial(() => (paths ? this.scanPathsNow(paths) : this.scanNow()));
  }

  private async scanPathsNow(paths: readonly string[]): Promise<ScanResult> {
    const got = await scanPaths(
      { stageDir: (s) => this.stageDir(s), items: this.items, cache: this.cache, hasConflicts: this.conflicts.length > 0, strayPaths: new Set(this.strays.map((s) => s.path)) },
      paths,
    );
    if (!got) return this.scanNow();
    const changes: StoreChange[] = [];
    for (const id of [...got.ids].sort((a, b) => a - b)) {
      const change = changeOf(this.items.get(id), got.items.get(id)!);
      if (change) changes.push(change);
    }
    if (got.ids.size) this.updateItems(got.items, got.ids);
    return { items: this.items, conflicts: this.conflicts, changes, strays: this.strays };
  }

  private async scanNow(): Promise<ScanResult> {
    let listing = await this.list();
    let pass: Pass;
    for (let attempt = 1; ; attempt++) {
      pass = await this.read(listing);
      const again = await this.list();
      // Two listings that agree around a clean read: no rename landed between the folders' reads.
      if ((!pass.unstable && sameListing(listing, again)) || attempt >= MAX_SCAN_PASSES) break;
      listing = again;
    }
    for (const p of [...this.cache.keys()]) if (!pass.seen.has(p)) this.cache.delete(p);

    const next = pass.items;
    const changes: StoreChange[] = [];
    for (const [id, item] of next) {
      const change = changeOf(this.items.get(id), item);
      if (change) changes.push(change);
    }
    for (const [id, item] of this.items) if (!next.has(id)) changes.push({ kind: 'removed', item });
    this.setItems(next);
    this.conflicts = pass.conflicts;
    this.strays = pass.strays;
    return { items: next, conflicts: pass.conflicts, changes, strays: pass.strays };
  }

  /** A few numbers changed: the sorted list and the stage index are patched, not rebuilt (a new array for each stage touched). */
  private updateItems(items: Map<number, WorkItem>, ids: ReadonlySet<number>): void {
    const prev = this.items;
    this.items = items;
    for (const id of ids) {
      const was = prev.get(id);
      const now = items.get(id);
      if (this.sorted) placeById(this.sorted, id, now);
      if (!this.byStage) continue;
      if (was) this.byStage.set(was.stage, placeById([...this.byStage.get(was.stage)!], id, undefined));
      if (now) this.byStage.set(now.stage, placeById([...this.byStage.get(now.stage)!], id, now));
    }
  }

  private setItems(items: Map<number, WorkItem>): void {
    this.items = items;
    this.sorted = undefined;
    this.byStage = undefined;
  }

  private async list(): Promise<Listing> {
    const out: Listing = [];
    for (const stage of STAGES) {
      try {
        out.push({ stage, names: (await fs.readdir(this.stageDir(stage))).filter((n) => !isIgnored(n)).sort() });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        out.push({ stage, names: [] });
      }
    }
    return out;
  }

  private async read(listing: Listing): Promise<Pass> {
    const pass: Pass = { items: new Map(), conflicts: [], strays: [], seen: new Set(), unstable: false };
    let slice = Date.now();
    for (const { stage, names } of listing) {
      const dir = this.stageDir(stage);
      for (const name of names) {
        // Blocking reads in short slices: the event loop never waits longer than one slice.
        if (Date.now() - slice >= READ_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = Date.now();
        }
        const file = path.join(dir, name);
        const e = await readEntry(this.cache, name, file, stage);
        if (e.kind === 'item') {
          if (e.seen) pass.seen.add(file);
          this.addItem(pass, e.item);
        } else if (e.kind === 'stray') pass.strays.push({ stage, fileName: name, path: file, problem: `${this.rel(file)}: not a work item: ${e.problem}` });
        else if (e.kind === 'gone') pass.unstable = true; // moved away since the listing
      }
    }
    return pass;
  }

  /** The same number twice is one invalid item and a conflict, never two items. */
  private addItem(pass: Pass, item: WorkItem): void {
    const other = pass.items.get(item.id);
    if (!other) {
      pass.items.set(item.id, item);
      return;
    }
    const msg = `Story ${item.id} is in two places: ${this.rel(other.path)} and ${this.rel(item.path)}. Remove or renumber one; no agent starts on it until then.`;
    pass.conflicts.push(msg);
    pass.items.set(item.id, { ...other, invalid: other.invalid ? `${other.invalid}; ${msg}` : msg });
  }

  /** One more than the highest number under work/, counting unparsable files that carry a number. */
  async nextNumber(): Promise<number> {
    let max = 0;
    let holder = '';
    for (const { stage, names } of await this.list()) {
      for (const n of names) {
        const m = /^(\d{1,9})_/.exec(n);
        if (m && Number(m[1]) > max) [max, holder] = [Number(m[1]), path.join(this.stageDir(stage), n)];
      }
    }
    if (max >= MAX_ITEM_NUMBER) {
      throw new Error(`No story number is left: ${this.rel(holder)} has ${max}, the highest number a story can have. Renumber that file to a free lower number.`);
    }
    return max + 1;
  }

  /**
   * Writes a new item into the backlog (or `stage`) under the next free number, claimed so that
   * two concurrent creates never share one.
   */
  create(opts: NewItem): Promise<WorkItem> {
    return createItem({ root: this.root, huskiesDir: this.huskiesDir, stageDir: (s) => this.stageDir(s), nextNumber: () => this.nextNumber() }, opts);
  }

  /**
   * Moves an item's file to another stage folder (one rename: atomic), optionally patching its
   * front matter first. A file that cannot be rewritten (binary, a symlink, bad YAML) still moves
   * without a patch; with one, the move is refused and nothing changes.
   */
  move(id: number, to: Stage, patch?: Record<string, unknown>): Promise<WorkItem> {
    return this.serial(async () => {
      const item = await this.fresh(id);
      const target = path.join(this.stageDir(to), item.fileName);
      if (item.stage !== to && (await fs.lstat(target).catch(() => undefined))) {
        throw new Error(`Cannot move story ${id}: ${this.rel(target)} already exists.`);
      }
      if (patch && Object.keys(patch).length) await patchItemFile(this.root, item, patch);
      if (item.stage === to) {
        await this.scanPathsNow([item.path]);
        return this.items.get(id) ?? item;
      }
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(item.path, target);
      await this.scanPathsNow([item.path, target]);
      const moved = this.items.get(id);
      if (!moved) throw new Error(`Story ${id} disappeared during the move.`);
      return moved;
    });
  }

  /** Sets or deletes front-matter keys, keeping everything else in the file. */
  patch(id: number, patch: Record<string, unknown>, criterion?: { index: number; done: boolean }): Promise<WorkItem> {
    return this.serial(async () => {
      const item = await this.fresh(id);
      await patchItemFile(this.root, item, patch, criterion);
      await this.scanPathsNow([item.path]);
      const patched = this.items.get(id);
      if (!patched) throw new Error(`Story ${id} disappeared during the change.`);
      return patched;
    });
  }

  /** The item as it is on disk now (rescans if the cached path has gone, e.g. moved by hand). */
  private async fresh(id: number): Promise<WorkItem> {
    let item = this.items.get(id);
    if (!item || !(await fs.lstat(item.path).catch(() => undefined))) {
      await this.scanNow();
      item = this.items.get(id);
    }
    if (!item) throw new Error(`There is no story ${id} under ${path.relative(this.root, this.workDir) || '.huskies/work'}.`);
    return item;
  }

  private rel(file: string): string {
    return path.relative(this.root, file);
  }
}

/** Puts `item` (or nothing) where number `id` belongs in a list sorted by number; returns the list. */
function placeById(list: WorkItem[], id: number, item: WorkItem | undefined): WorkItem[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  const present = lo < list.length && list[lo].id === id;
  if (item) list.splice(lo, present ? 1 : 0, item);
  else if (present) list.splice(lo, 1);
  return list;
}

/** What became of one number between two scans, if anything. */
function changeOf(prev: WorkItem | undefined, item: WorkItem): StoreChange | undefined {
  if (!prev) return { kind: 'added', item };
  if (prev.stage !== item.stage) return { kind: 'moved', item, from: prev.stage };
  if (prev.path !== item.path || prev.mtimeMs !== item.mtimeMs || prev.invalid !== item.invalid) return { kind: 'changed', item };
  return undefined;
}

function sameListing(a: Listing, b: Listing): boolean {
  return a.length === b.length && a.every((s, i) => s.names.length === b[i].names.length && s.names.every((n, j) => n === b[i].names[j]));
}

export function isWorkFileName(name: string): boolean {
  return parseFileName(name) !== undefined;
}
