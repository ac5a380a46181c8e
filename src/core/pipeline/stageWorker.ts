// The shape shared by the workers that act on a stage (QA gates, merges): they look at every story
// in their stage when it changes or the tick says so, work on each at most once at a time, and
// stop what they run when the orchestrator goes away.
import type { Stage } from '../model/stage';
import type { WorkKind } from '../model/events';
import type { WorkItem } from '../model/workItem';
import type { Logger } from '../util/log';
import type { EventBus } from './eventBus';
import type { HuskiesConfig } from '../config/config';
import type { Command } from '../model/commands';
import type { StateView } from '../state/types';
import type { RequestResult } from './pipeline';

/** What a stage worker needs from the composition. */
export interface WorkerDeps {
  root: string;
  logsDir: string;
  state: StateView;
  bus: EventBus;
  request(c: Command): Promise<RequestResult>;
  config(): HuskiesConfig;
  mask(text: string): string;
  now(): number;
  logger: Logger;
  /** Why no work may start now (untrusted workspace, not the leader…). */
  stopped(): string | undefined;
}

/** What the progress indicators call each stage worker's work. */
const PROGRESS: Partial<Record<Stage, WorkKind>> = { qa: 'gates', merge: 'merge' };

export abstract class StageWorker {
  protected readonly running = new Map<number, AbortController>();
  private subs: { dispose(): void }[] = [];
  protected disposed = false;

  constructor(
    private readonly stage: Stage,
    private readonly what: string,
    protected readonly base: { bus: EventBus; logger: Logger; items(): WorkItem[]; stopped(): string | undefined },
  ) {}

  start(): void {
    this.subs.push(
      this.base.bus.on('item.moved', (e) => e.to === this.stage && this.pump()),
      // A story already in the stage may become ready: unblocked, its merge failure resolved, its agent gone.
      this.base.bus.on('item.changed', () => this.pump()),
      this.base.bus.on('item.unblocked', () => this.pump()),
      this.base.bus.on('run.handled', () => this.pump()),
    );
    this.pump();
  }

  /** Whether this worker is working on the story now. */
  busy(id: number): boolean {
    return this.running.has(id);
  }

  /** Starts work on every story in the stage that waits for it. Safe to call on every tick. */
  pump(): void {
    if (this.disposed || this.base.stopped() || !this.ready()) return;
    for (const item of this.base.items()) {
      if (item.stage !== this.stage || item.blocked || item.invalid || this.running.has(item.id) || !this.wants(item)) continue;
      const abort = new AbortController();
      this.running.set(item.id, abort);
      const kind = PROGRESS[this.stage];
      // a notice, sent after the event being delivered now (pump runs inside subscribers)
      if (kind) queueMicrotask(() => this.base.bus.emit({ type: 'work.progress', kind, id: item.id, phase: 'start' }));
      let ok = true;
      void this.work(item, abort.signal)
        .catch((err) => {
          ok = false;
          this.base.logger.error(`${this.what} for #${item.id}: ${(err as Error).message}`);
        })
        .finally(() => {
          this.running.delete(item.id);
          if (kind) this.base.bus.emit({ type: 'work.progress', kind, id: item.id, phase: 'end', ok });
        });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const s of this.subs) s.dispose();
    for (const a of this.running.values()) a.abort();
  }

  /** Whether the worker can do anything at all now (its configuration allows it). */
  protected ready(): boolean {
    return true;
  }

  /** Whether this story, in the stage and neither blocked nor invalid, waits for this worker. */
  protected abstract wants(item: WorkItem): boolean;

  protected abstract work(item: WorkItem, signal: AbortSignal): Promise<void>;
}
