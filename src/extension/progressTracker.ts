// Pairs the core's progress notices (work.progress: start, step, end) into progress indicators: one
// per piece of long work, shown after a short delay (quick work never flickers), ended when its end
// comes, and all ended on dispose, so that no indicator outlives its work. No 'vscode' import: the
// extension passes vscode.window.withProgress in, the tests a fake.

export interface ProgressNotice {
  kind: string;
  id: number;
  phase: 'start' | 'step' | 'end';
  message?: string;
  ok?: boolean;
}

export interface ProgressReporter {
  report(value: { message?: string }): void;
}

export interface ShowOptions {
  title: string;
  /** Show it as a notification (work the user just asked for), not only in the status bar. */
  notify: boolean;
}

/** Shows an indicator until the task's promise settles (vscode.window.withProgress, adapted). */
export type ShowProgress = (opts: ShowOptions, task: (reporter: ProgressReporter) => Promise<void>) => unknown;

export interface TrackerOptions {
  /** How long work must last before it is shown (default 300 ms). */
  delayMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Item {
  /** Starts not yet ended (the same work started twice ends twice). */
  open: number;
  title: string;
  notify: boolean;
  message?: string;
  timer?: unknown;
  reporter?: ProgressReporter;
  finish?: () => void;
  ended?: boolean;
}

/** The title a piece of work is shown with: "Huskies: merging #12…". */
export function progressTitle(kind: string, id: number): string {
  switch (kind) {
    case 'worktree':
      return `Huskies: preparing the worktree of #${id}…`;
    case 'gates':
      return `Huskies: running the QA gates of #${id}…`;
    case 'merge':
      return `Huskies: merging #${id}…`;
    default:
      return `Huskies: ${kind} #${id}…`;
  }
}

export class ProgressTracker {
  private readonly items = new Map<string, Item>();
  private readonly notifyNext = new Set<string>();
  private readonly delayMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private disposed = false;

  constructor(
    private readonly show: ShowProgress,
    opts: TrackerOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? 300;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** The next start of this work is shown as a notification (the user asked for it, e.g. by Approve). */
  expectNotify(kind: string, id: number): void {
    if (!this.disposed) this.notifyNext.add(`${kind}:${id}`);
  }

  /** The work under way, as kind:id keys. */
  active(): string[] {
    return [...this.items.keys()];
  }

  notice(n: ProgressNotice): void {
    if (this.disposed) return;
    const key = `${n.kind}:${n.id}`;
    let item = this.items.get(key);
    if (n.phase === 'start') {
      if (item) {
        item.open++;
        return;
      }
      const notify = this.notifyNext.delete(key);
      item = { open: 1, title: progressTitle(n.kind, n.id), notify, message: n.message };
      this.items.set(key, item);
      const it = item;
      if (this.delayMs > 0 && !notify) it.timer = this.setTimer(() => this.display(key, it), this.delayMs);
      else this.display(key, it);
      return;
    }
    if (!item) return; // an end (or step) whose start came before this tracker did
    if (n.phase === 'step') {
      item.message = n.message;
      item.reporter?.report({ message: n.message });
      return;
    }
    if (--item.open <= 0) this.end(key, item);
  }

  /** Ends every indicator: the work's ends will never be heard. */
  dispose(): void {
    this.disposed = true;
    for (const [key, item] of [...this.items]) this.end(key, item);
    this.notifyNext.clear();
  }

  private display(key: string, item: Item): void {
    item.timer = undefined;
    if (this.items.get(key) !== item) return;
    this.show({ title: item.title, notify: item.notify }, (reporter) => {
      // the task may start late (withProgress may call it later): work that ended meanwhile ends at once
      if (item.ended) return Promise.resolve();
      item.reporter = reporter;
      if (item.message) reporter.report({ message: item.message });
      return new Promise<void>((resolve) => (item.finish = resolve));
    });
  }

  private end(key: string, item: Item): void {
    this.items.delete(key);
    item.ended = true;
    if (item.timer !== undefined) this.clearTimer(item.timer);
    item.timer = undefined;
    item.finish?.();
  }
}
