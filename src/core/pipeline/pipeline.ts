// The one writer: every change of pipeline state is a Command that passes here, one at a time —
// the stage rules decide, the state store writes (atomically), the audit log gets a line and the
// bus one typed event per change. Nothing else writes pipeline state.
// Group commit: a command is decided and applied in memory under the lock, and the next one may
// be decided on it while its state file is still being written; its audit line and events come
// once it is on disk, in the order the commands were applied, and only then is the caller answered.
import { Mutex } from 'async-mutex';
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import { RefusedError } from '../model/errors';
import type { StateStore } from '../state/types';
import type { Logger } from '../util/log';
import type { AuditSink } from './audit';
import type { EventBus } from './eventBus';
import { decide, type DecideContext } from './stageMachine';

export type RequestResult = { ok: true; seq: number; events: HuskiesEvent[] } | { ok: false; refusal: string };

export class Pipeline {
  private readonly mutex = new Mutex();
  private closed = false;
  /** The last applied command's announcement (after it is on disk): the next one's waits for it. */
  private announced: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: StateStore,
    private readonly audit: AuditSink,
    private readonly bus: EventBus,
    private readonly context: () => DecideContext,
    private readonly logger: Logger,
  ) {}

  /** Applies a command if the rules allow it; a refusal changes nothing and says why. */
  request(c: Command): Promise<RequestResult> {
    return this.mutex.runExclusive(() => this.requestLocked(c)).then((r) => r.done);
  }

  /** Like request, but a refusal throws a RefusedError with the reason. */
  async require(c: Command): Promise<HuskiesEvent[]> {
    const r = await this.request(c);
    if (!r.ok) throw new RefusedError(r.refusal);
    return r.events;
  }

  /** Runs fn while no command is being applied (a rescan of the files, say); fn may apply commands with `apply`. */
  exclusive<T>(fn: (apply: (c: Command) => Promise<RequestResult>) => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(() => fn((c) => this.requestLocked(c).then((r) => r.done)));
  }

  /** Waits for the commands already asked for; later ones are refused. */
  async close(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      this.closed = true;
    });
    await this.announced;
  }

  /** Decides and applies under the lock; `done` settles once the change is on disk and announced. */
  private async requestLocked(c: Command): Promise<{ done: Promise<RequestResult> }> {
    const r = await this.decideAndApply(c);
    // A refusal was decided on what came before it: it is answered once that is on disk too.
    if ('refusal' in r) return { done: this.announced.then(() => r) };
    const done = this.announced.then(() => r.announce());
    // One announcement that threw (an audit line that could not be written) fails its own request only.
    this.announced = done.catch(() => undefined);
    return { done };
  }

  private async decideAndApply(c: Command): Promise<{ ok: false; refusal: string } | { announce: () => Promise<RequestResult> }> {
    if (this.closed) return { ok: false, refusal: 'The orchestrator is shutting down.' };
    const ctx = this.context();
    let d;
    try {
      d = decide(this.state, c, ctx);
    } catch (err) {
      this.logger.error(`deciding ${c.type}: ${(err as Error).stack ?? err}`);
      return { ok: false, refusal: `internal error while deciding ${c.type}: ${(err as Error).message}` };
    }
    if (!d.ok) return d;
    let applied;
    try {
      applied = await this.state.apply(d.ops);
    } catch (err) {
      // The write failed part-way (a file moved by hand underneath, a full disk): nothing is announced.
      this.logger.error(`${c.type} could not be written: ${(err as Error).message}`);
      return { ok: false, refusal: (err as Error).message };
    }
    const events = d.events(applied);
    const { durable, seq } = applied;
    const audit = d.audit;
    const announce = async (): Promise<RequestResult> => {
      try {
        await durable;
      } catch (err) {
        this.logger.error(`${c.type} could not be written: ${(err as Error).message}`);
        return { ok: false, refusal: (err as Error).message };
      }
      const first = events[0];
      const id = audit.id ?? (first && first.type === 'item.created' ? first.item.id : undefined);
      this.audit.append({ seq, cmd: c.type, source: 'source' in c ? c.source : c.type === 'item.external' ? 'watcher' : 'orchestrator', ...audit, id }, ctx.now);
      for (const e of events) this.bus.emit(e);
      return { ok: true, seq, events };
    };
    return { announce };
  }
}
