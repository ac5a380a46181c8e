// Watches .huskies/ for changes made from outside the pipeline: story files moved or edited by
// hand, the two config files, the follower request queue, and .huskies/ appearing after `init`.
// It only says that something changed; the pipeline rescans under its lock, and a change the
// pipeline made itself is an echo that the rescan finds already applied.
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../util/log';

export interface WatchHandlers {
  work(): void;
  config(): void;
  requests(): void;
  /** Runtime state files written by another process (used while following a leader). */
  state(): void;
  huskiesCreated(): void;
}

const IGNORED = /(^|[/\\])\.[^/\\]*\.tmp$|\.swp$|~$/;

export class HuskiesWatcher {
  private watchers: FSWatcher[] = [];
  private workTimer?: NodeJS.Timeout;

  constructor(
    private readonly root: string,
    private readonly on: WatchHandlers,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const dir = path.join(this.root, '.huskies');
    const w = watch(
      [
        path.join(dir, 'work'),
        path.join(dir, 'project.toml'),
        path.join(dir, 'agents.toml'),
        path.join(dir, 'requests'),
        path.join(dir, 'runs.json'),
        path.join(dir, 'timers.json'),
        path.join(dir, 'agents_state.json'),
      ],
      {
        ignoreInitial: true,
        followSymlinks: false, // a story that is a link never makes us watch a file outside the project
        depth: 2,
        ignored: (p: string) => IGNORED.test(p),
      },
    );
    w.on('all', (_ev, p) => this.route(p));
    w.on('error', (err) => this.logger.warn(`watcher: ${(err as Error).message}`));
    const hw = watch(this.root, { ignoreInitial: true, depth: 0 });
    hw.on('addDir', (p) => {
      if (path.basename(p) === '.huskies') this.on.huskiesCreated();
    });
    hw.on('error', (err) => this.logger.warn(`watcher: ${(err as Error).message}`));
    this.watchers = [w, hw];
    await Promise.all(this.watchers.map((x) => new Promise<void>((r) => x.once('ready', () => r()))));
  }

  private route(p: string): void {
    const rel = path.relative(path.join(this.root, '.huskies'), p).split(path.sep);
    if (rel[0] === 'work') {
      // A burst of events (a folder of files moved at once) becomes one rescan.
      if (this.workTimer) clearTimeout(this.workTimer);
      this.workTimer = setTimeout(() => {
        this.workTimer = undefined;
        this.on.work();
      }, 15);
    } else if (rel[0] === 'project.toml' || rel[0] === 'agents.toml') this.on.config();
    else if (rel[0] === 'requests') this.on.requests();
    else this.on.state();
  }

  async dispose(): Promise<void> {
    if (this.workTimer) clearTimeout(this.workTimer);
    await Promise.all(this.watchers.map((w) => w.close()));
    this.watchers = [];
  }
}
