// Watches .huskies/ for changes made from outside the pipeline: story files moved or edited by
// hand, the two config files, the follower request queue, and .huskies/ appearing after `init`.
// It only says what changed; the pipeline rescans under its lock, and a change the pipeline made
// itself is an echo that the rescan finds already applied. Story files are reported by path, so
// a hand move costs a few reads; a folder event or an error asks for a full rescan, and so does a
// quiet moment after changes, in case an event was lost or merged with another. The stage folders
// are watched with fs.watch, which names the file that changed: chokidar re-lists (and stats) the
// whole folder on every event, which costs thousands of calls per move in a big project.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { STAGE_FOLDERS } from '../model/stage';
import type { Logger } from '../util/log';

export interface WatchHandlers {
  /** Files under work/ changed: these paths, or (undefined) anything, so rescan everything. */
  work(paths?: string[]): void;
  config(): void;
  requests(): void;
  /** Runtime state files written by another process (used while following a leader). */
  state(): void;
  huskiesCreated(): void;
}

const IGNORED = /(^|[/\\])\.[^/\\]*\.tmp$|\.swp$|~$/;
const REQUESTS = 'requests';
/** Runtime state a leader writes, re-read by a follower. */
const STATE_FILES = new Set(['runs.json', 'timers.json', 'agents_state.json']);
/** Events this close together are one batch: a folder of files moved at once is one rescan. */
const WORK_BATCH_MS = 3;
/** After this long with no change under work/, one full rescan catches an event that was lost. */
export const WORK_SETTLE_MS = 2000;

export interface WatcherOptions {
  /** Overrides WORK_SETTLE_MS (tests). */
  settleMs?: number;
}

export class HuskiesWatcher {
  private watchers: FSWatcher[] = [];
  private workTimer?: NodeJS.Timeout;
  private settleTimer?: NodeJS.Timeout;
  private stageWatchers = new Map<string, fs.FSWatcher>();
  private dirWatchers = new Map<string, fs.FSWatcher>();
  private closed = false;
  /** The changed paths of the batch being gathered; undefined once a full rescan is asked for. */
  private workPaths: Set<string> | undefined = new Set();

  constructor(
    private readonly root: string,
    private readonly on: WatchHandlers,
    private readonly logger: Logger,
    private readonly opts: WatcherOptions = {},
  ) {}

  async start(): Promise<void> {
    const dir = path.join(this.root, '.huskies');
    // The config and state files and the request queue: fs.watch on .huskies/ (not recursive) names
    // the entry that changed. chokidar, asked for single files, re-listed .huskies/ with its logs and
    // worktrees on every atomic write of runs.json: thousands of listings a minute with 30 agents.
    this.watchDir(dir, (name) => this.route(name));
    this.watchDir(path.join(dir, REQUESTS), () => this.on.requests());
    // The work folder itself: its stage folders appearing or going (their files are watched below).
    const ww = watch(path.join(dir, 'work'), { ignoreInitial: true, depth: 0, followSymlinks: false });
    ww.on('all', (ev, p) => {
      if (ev === 'unlinkDir') this.unwatchStageFolder(p);
      this.watchStageFolders();
      this.workChanged(undefined);
    });
    ww.on('error', (err) => {
      this.logger.warn(`watcher: ${(err as Error).message}`);
      this.workChanged(undefined);
    });
    const hw = watch(this.root, { ignoreInitial: true, depth: 0 });
    hw.on('addDir', (p) => {
      if (path.basename(p) !== '.huskies') return;
      this.watchDir(dir, (name) => this.route(name));
      this.on.huskiesCreated();
    });
    hw.on('error', (err) => this.logger.warn(`watcher: ${(err as Error).message}`));
    this.watchers = [ww, hw];
    await Promise.all(this.watchers.map((x) => new Promise<void>((r) => x.once('ready', () => r()))));
    this.watchStageFolders();
  }

  /** One fs.watch per stage folder that exists and is not watched yet. */
  private watchStageFolders(): void {
    if (this.closed) return;
    for (const folder of Object.values(STAGE_FOLDERS)) {
      const dir = path.join(this.root, '.huskies', 'work', folder);
      if (this.stageWatchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, (_ev, name) => {
          const file = name ? path.join(dir, name.toString()) : undefined;
          if (file === undefined || !IGNORED.test(file)) this.workChanged(file);
        });
        w.on('error', (err) => {
          this.logger.warn(`watcher: ${dir}: ${err.message}`);
          this.unwatchStageFolder(dir);
          this.workChanged(undefined);
        });
        this.stageWatchers.set(dir, w);
      } catch {
        // Not there (yet): the work folder's watcher says when it appears.
      }
    }
  }

  private unwatchStageFolder(dir: string): void {
    this.stageWatchers.get(dir)?.close();
    this.stageWatchers.delete(dir);
  }

  /** One fs.watch on a folder (re-opened when it appears later); `on` gets the changed entry's name. */
  private watchDir(dir: string, on: (name: string | undefined) => void): void {
    if (this.closed || this.dirWatchers.has(dir)) return;
    try {
      const w = fs.watch(dir, (_ev, name) => {
        const n = name ? name.toString() : undefined;
        if (n === undefined || !IGNORED.test(n)) on(n);
      });
      w.on('error', (err) => {
        this.logger.warn(`watcher: ${dir}: ${err.message}`);
        this.dirWatchers.get(dir)?.close();
        this.dirWatchers.delete(dir);
      });
      this.dirWatchers.set(dir, w);
    } catch {
      // Not there (yet): .huskies/ names it when it appears.
    }
  }

  /** An entry of .huskies/ changed (undefined: the OS did not say which). */
  private route(name: string | undefined): void {
    if (name === undefined || name === REQUESTS) {
      // The request queue may have just been made: watch it, and serve what is in it already.
      this.watchDir(path.join(this.root, '.huskies', REQUESTS), () => this.on.requests());
      this.on.requests();
    }
    if (name === undefined || name === 'project.toml' || name === 'agents.toml') this.on.config();
    if (name === undefined || STATE_FILES.has(name)) this.on.state();
  }

  /** Gathers a batch of changed files (undefined: a folder or anything else, so all) and reports it soon. */
  private workChanged(file: string | undefined): void {
    if (file === undefined) this.workPaths = undefined;
    else this.workPaths?.add(file);
    this.workTimer ??= setTimeout(() => {
      this.workTimer = undefined;
      const paths = this.workPaths;
      this.workPaths = new Set();
      this.on.work(paths && [...paths]);
    }, WORK_BATCH_MS);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.on.work();
    }, this.opts.settleMs ?? WORK_SETTLE_MS);
  }

  async dispose(): Promise<void> {
    if (this.workTimer) clearTimeout(this.workTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.closed = true;
    for (const dir of [...this.stageWatchers.keys()]) this.unwatchStageFolder(dir);
    for (const w of this.dirWatchers.values()) w.close();
    this.dirWatchers.clear();
    await Promise.all(this.watchers.map((w) => w.close()));
    this.watchers = [];
  }
}
