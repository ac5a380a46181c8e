// Keeps every open board in step with the orchestrator like a replica: a snapshot after `ready`,
// `resync` or while it was hidden, then only deltas of what it shows. No vscode import: unit-tested.
import { boardView, DEFAULT_SHOWN, diffBoard } from '../protocol/boardDelta';
import type { BoardState, HostMessage, Stage } from '../protocol/messages';

/** One board webview as the feed sees it. */
export interface BoardSink {
  post(msg: HostMessage): void;
  /** A hidden board is not sent deltas; it gets a snapshot when it is shown again. */
  visible(): boolean;
  /** Its page is dropped while hidden (no retainContextWhenHidden): it says `ready` again when shown. */
  reloadsWhenHidden?: boolean;
}

export interface FeedTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: FeedTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Client {
  sink: BoardSink;
  shown: Stage[];
  /** What this board holds: the last state sent to it (its shown stages only). Undefined: it needs a snapshot. */
  last?: BoardState;
  seq: number;
  /** It said `ready`: its page runs and listens. */
  ready: boolean;
}

export class BoardFeed<K> {
  private readonly clients = new Map<K, Client>();
  private full: BoardState | undefined;
  private window: unknown;
  private dirty = false;
  private disposed = false;

  /**
   * @param build the whole board state, computed once per change and shared by every board; undefined when
   *   there is no orchestrator.
   * @param windowMs a burst of changes is sent at most once per window (the first at once, the rest at its end).
   */
  constructor(
    private readonly build: () => BoardState | undefined,
    private readonly windowMs = 50,
    private readonly timers: FeedTimers = realTimers,
  ) {}

  add(key: K, sink: BoardSink): void {
    this.clients.set(key, { sink, shown: [...DEFAULT_SHOWN], seq: 0, ready: false });
  }

  remove(key: K): void {
    this.clients.delete(key);
  }

  /** The board's page (re)started, or it saw a gap in the sequence: it gets a fresh snapshot. */
  ready(key: K): void {
    const c = this.clients.get(key);
    if (!c) return;
    c.ready = true;
    c.last = undefined;
    this.full = this.build();
    this.send(c);
  }

  /** The board shows other stages now: it gets the cards of the new ones, and loses the others'. */
  view(key: K, stages: readonly Stage[]): void {
    const c = this.clients.get(key);
    if (!c) return;
    c.shown = [...stages];
    if (!c.ready) return;
    this.full ??= this.build();
    this.send(c);
  }

  /** The board was shown again: if it missed changes while hidden, it catches up with a snapshot. */
  shown(key: K): void {
    const c = this.clients.get(key);
    if (c?.ready && c.last === undefined) this.send(c);
  }

  /** The board was hidden: a board whose page is dropped gets nothing until its new page says `ready`. */
  hidden(key: K): void {
    const c = this.clients.get(key);
    if (!c?.sink.reloadsWhenHidden) return;
    c.ready = false;
    c.last = undefined;
  }

  /** The orchestrator changed. The first change of a burst is sent at once, the rest together at the window's end. */
  refresh(): void {
    if (this.disposed) return;
    if (this.window !== undefined) {
      this.dirty = true;
      return;
    }
    this.flush();
    this.window = this.timers.setTimeout(() => {
      this.window = undefined;
      if (this.dirty) {
        this.dirty = false;
        this.refresh();
      }
    }, this.windowMs);
  }

  /** Sends a message to every board that listens (not a board state: those go through the replica). */
  tell(msg: HostMessage): void {
    for (const c of this.clients.values()) if (c.ready) c.sink.post(msg);
  }

  dispose(): void {
    this.disposed = true;
    if (this.window !== undefined) this.timers.clearTimeout(this.window);
    this.window = undefined;
    this.clients.clear();
  }

  private flush(): void {
    this.full = this.build();
    for (const c of this.clients.values()) if (c.ready) this.send(c);
  }

  /** A snapshot if the board holds nothing current, otherwise a delta if anything it shows changed. */
  private send(c: Client): void {
    const full = this.full;
    if (!full) return;
    if (!c.sink.visible()) {
      c.last = undefined;
      return;
    }
    const next = boardView(full, c.shown);
    if (c.last === undefined) {
      c.sink.post({ type: 'boardSnapshot', seq: ++c.seq, state: next });
    } else {
      const delta = diffBoard(c.last, next);
      if (!delta) return;
      c.sink.post({ type: 'boardDelta', seq: ++c.seq, delta });
    }
    c.last = next;
  }
}
