// Turns the orchestrator's own changes to story files (moves, new stories, front-matter patches) into
// `huskies:` commits: it collects the story numbers from the event bus and commits them in debounced
// batches, one commit at a time. Changes a person made by hand (seen by the watcher) are theirs: they are
// only recorded when the orchestrator later changes the same story, as it then is on disk.
import type { HuskiesEvent } from '../model/events';
import type { EventBus } from '../pipeline/eventBus';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../util/log';
import type { WorkCommitResult } from './workCommits';

export interface MoveCommitterDeps {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  /** Commits these stories' files as they are on disk now (commitStoryFiles with the project's root and base). */
  commit(ids: number[]): Promise<WorkCommitResult>;
  /** Why nothing may be committed now (not the leader, agents stopped, commit_moves = false); pending moves are dropped silently. */
  blocked(): string | undefined;
  /** Why committing should wait a little (a merge publishing the base branch, for one); pending moves are kept. */
  waitFor?(): string | undefined;
  /** Quiet time after the last change before a batch is committed (default 1500 ms). */
  debounceMs?: number;
}

/** Sources of changes the orchestrator did not make: a hand edit picked up by the watcher or at start-up. */
const BY_HAND = new Set(['watcher', 'startup']);

/** The story an event changed the file of, when the orchestrator changed it. */
function storyOf(e: HuskiesEvent): number | undefined {
  switch (e.type) {
    case 'item.created':
      return BY_HAND.has(e.source) ? undefined : e.item.id;
    case 'item.moved':
    case 'item.changed':
    case 'item.blocked':
    case 'item.unblocked':
    case 'item.answered':
      return BY_HAND.has(e.source) ? undefined : e.id;
    case 'item.questionAsked':
      return e.id;
    default:
      return undefined;
  }
}

/** The longest wait between tries while the repository stays busy. */
const MAX_BACKOFF_MS = 30_000;

export class MoveCommitter {
  private readonly pending = new Set<number>();
  private sub?: { dispose(): void };
  private timer?: TimerHandle;
  private inFlight?: Promise<void>;
  private backoffMs = 0;
  private lastReason?: string;
  private disposed = false;

  constructor(private readonly d: MoveCommitterDeps) {}

  private get debounceMs(): number {
    return this.d.debounceMs ?? 1500;
  }

  /** Idempotent: listens to the bus from now on. */
  start(): void {
    if (this.sub || this.disposed) return;
    this.sub = this.d.bus.on('*', (e) => {
      const id = storyOf(e);
      if (id === undefined) return;
      this.pending.add(id);
      this.backoffMs = 0;
      this.schedule(this.debounceMs);
    });
  }

  /** Stories changed and not yet committed. */
  waiting(): number[] {
    return [...this.pending].sort((a, b) => a - b);
  }

  /** Resolves once no commit is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Stops listening and commits what is left (once); never throws. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.sub?.dispose();
    this.timer?.dispose();
    this.timer = undefined;
    await this.inFlight;
    await this.flush({ final: true });
  }

  /** Commits the pending stories now, after the commit in flight if there is one. */
  flush(opts: { final?: boolean } = {}): Promise<void> {
    // started at once when nothing is in flight, so that one timer tick never starts two commits
    if (this.inFlight) return this.inFlight.then(() => this.flush(opts));
    if (!this.pending.size) return Promise.resolve();
    const batch = this.commitBatch(opts.final === true)
      .catch((err) => this.d.logger.error(`Committing the story moves failed: ${(err as Error).message}`))
      .finally(() => {
        if (this.inFlight === batch) this.inFlight = undefined;
      });
    this.inFlight = batch;
    return batch;
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    this.timer?.dispose();
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush(); // after the commit in flight, if there is one
    }, ms);
  }

  private async commitBatch(final: boolean): Promise<void> {
    if (this.d.blocked()) {
      // a choice of the user's or of this process (commit_moves = false, a one-shot command, a follower): nothing to report
      this.pending.clear();
      return;
    }
    const wait = this.d.waitFor?.();
    if (wait) {
      // a cheap check with no git: asked again at the usual pace
      if (!final) this.schedule(this.debounceMs);
      else this.d.logger.info(`Story moves left uncommitted (${this.list()}): ${wait}.`);
      return;
    }
    const ids = this.waiting();
    this.pending.clear();
    let result: WorkCommitResult;
    try {
      result = await this.d.commit(ids);
    } catch (err) {
      for (const id of ids) this.pending.add(id);
      this.d.logger.warn(`Committing the story moves of ${ids.map((i) => `#${i}`).join(', ')} failed: ${(err as Error).message}`);
      return; // tried again with the next change, and at dispose
    }
    this.afterCommit(ids, result, final);
  }

  private afterCommit(ids: number[], result: WorkCommitResult, final: boolean): void {
    switch (result.kind) {
      case 'committed':
        this.lastReason = undefined;
        this.backoffMs = 0;
        this.d.logger.info(`${result.message.split('\n')[0]} (${result.commit.slice(0, 12)} on ${result.branch})`);
        if (result.indexProblem) this.d.logger.warn(`The story moves are committed, but git's index could not be updated for them: ${result.indexProblem}`);
        return;
      case 'unchanged':
        return;
      case 'skipped':
        // kept: committed with the next change once the reason is gone
        for (const id of ids) this.pending.add(id);
        this.note(result.reason);
        return;
      case 'busy':
        for (const id of ids) this.pending.add(id);
        if (final) this.d.logger.info(`Story moves left uncommitted (${this.list()}): ${result.reason}.`);
        else this.retryLater();
        return;
    }
  }

  private retryLater(): void {
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : this.debounceMs);
    this.schedule(this.backoffMs);
  }

  /** Logs a reason once, until it changes. */
  private note(reason: string): void {
    if (reason === this.lastReason) return;
    this.lastReason = reason;
    this.d.logger.info(capitalize(reason.endsWith('.') ? reason : `${reason}.`));
  }

  private list(): string {
    return this.waiting()
      .map((i) => `#${i}`)
      .join(', ');
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
