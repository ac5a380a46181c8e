// The live output of one agent run. A replica of a window of the run's transcript: one `output`
// snapshot (the tail page), then `outputAppend` batches in seq order, older pages on request when
// the user scrolls to the top. The DOM holds at most MAX_ROWS records (outputWindow.ts decides
// which); the rest stays on disk. The root #output says data-state="ready" once the first page is
// in the DOM (the end-to-end bench times opening with it); each row carries data-seq.
import type { HostMessage, RunView, TranscriptRecord } from '../src/protocol/messages';
import { OutputHeader } from './outputHeader';
import { el, n, RecordRenderer } from './outputRecords';
import { OutputWindow, type WindowOps } from './outputWindow';
import { makeButton } from './elements';
import { onMessage, post, setState } from './vscodeApi';

/** Pixels from the bottom that still count as "at the bottom" for auto-scroll. */
const STICK_PX = 24;
/** Pixels from the top at which the previous page is asked for. */
const LOAD_OLDER_PX = 200;

class OutputPanel {
  private readonly root: HTMLElement;
  private readonly header = new OutputHeader();
  private readonly empty: HTMLElement;
  private readonly log: HTMLElement;
  private readonly olderBar: HTMLElement;
  private loadOlderButton: HTMLElement | undefined;
  private readonly newOutput: HTMLButtonElement;
  private readonly detachedBar: HTMLElement;

  private readonly window = new OutputWindow();
  private readonly renderer = new RecordRenderer();
  private queue: TranscriptRecord[] = [];
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(parent: HTMLElement) {
    this.root = el('div');
    this.root.id = 'output';
    this.root.dataset.state = 'loading';

    this.empty = el('div', 'output-empty');
    this.empty.id = 'output-empty';
    this.empty.hidden = true;

    this.log = el('div');
    this.log.id = 'output-log';
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-label', 'Agent output');
    this.log.tabIndex = 0;
    this.olderBar = el('div', 'older-bar');
    this.olderBar.hidden = true;
    this.log.append(this.olderBar);

    this.newOutput = el('button', 'new-output', '↓ new output');
    this.newOutput.id = 'new-output';
    this.newOutput.type = 'button';
    this.newOutput.hidden = true;

    this.detachedBar = el('div', 'detached-bar');
    this.detachedBar.id = 'output-detached';
    this.detachedBar.hidden = true;

    this.root.append(this.header.element, this.empty, this.log, this.newOutput, this.detachedBar);
    parent.append(this.root);

    this.log.addEventListener('scroll', () => {
      if (this.atBottom()) this.newOutput.hidden = true;
      if (this.log.scrollTop < LOAD_OLDER_PX && this.root.dataset.state === 'ready') this.requestOlder();
    });
    this.newOutput.addEventListener('click', () => this.scrollToBottom());
    this.olderBar.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('#load-older')) this.requestOlder();
    });
    this.detachedBar.addEventListener('click', (e) => {
      const runId = this.header.runId;
      if (runId && (e.target as HTMLElement).closest('[data-action="latest"]')) post({ type: 'jumpToLatest', runId });
    });
  }

  handle(m: HostMessage): void {
    switch (m.type) {
      case 'output':
        this.replace(m.run, m.records, m.hasOlder, m.story);
        // User Timing marks (DevTools, the UI bench): page start → script ready → first rows shown.
        if (!performance.getEntriesByName('huskies:first-rows').length) performance.mark('huskies:first-rows');
        // Lets VS Code restore this panel after a window reload; the host then catches up from disk.
        setState({ storyId: m.run.storyId });
        break;
      case 'outputAppend':
        if (m.runId !== this.header.runId) break;
        if (m.run) this.header.update(m.run);
        this.enqueue(m.records);
        break;
      case 'outputRun':
        this.header.update(m.run);
        break;
      case 'outputOlder':
        if (m.runId === this.header.runId) this.prepend(m.records, m.hasOlder);
        break;
      case 'outputEmpty':
        this.showEmpty(m.message);
        break;
    }
  }

  /** The run and the newest seq on screen after the document's first page, for `ready`. */
  shows(): { runId: string; lastSeq: number } | undefined {
    const runId = this.header.runId;
    return runId && this.root.dataset.state === 'ready' ? { runId, lastSeq: this.window.lastSeq ?? 0 } : undefined;
  }

  // ---- whole view ----

  private replace(run: RunView, records: TranscriptRecord[], hasOlder: boolean, story?: { id: number; name: string }): void {
    this.queue = [];
    this.renderer.clear();
    this.header.show(run, story);
    this.empty.hidden = true;
    this.log.hidden = false;
    this.log.replaceChildren(this.olderBar); // all rows at once: faster than one by one
    this.apply({ ...this.window.reset(records, hasOlder), dropFirst: 0 });
    this.renderDetached();
    this.scrollToBottom();
    this.root.dataset.state = 'ready';
  }

  private showEmpty(message: string): void {
    this.queue = [];
    this.renderer.clear();
    this.header.show(undefined);
    this.log.replaceChildren(this.olderBar);
    this.apply({ ...this.window.clear(), dropFirst: 0 });
    this.renderDetached();
    this.empty.textContent = message;
    this.empty.hidden = false;
    this.root.dataset.state = 'empty';
  }

  /** Puts the window's decision into the DOM: drops first, then adds. */
  private apply(ops: WindowOps): void {
    for (let i = 0; i < ops.dropFirst; i++) this.olderBar.nextSibling?.remove();
    for (let i = 0; i < ops.dropLast && this.log.lastChild !== this.olderBar; i++) this.log.lastChild?.remove();
    if (ops.prepend.length) this.olderBar.after(this.rows(ops.prepend));
    if (ops.append.length) this.log.append(this.rows(ops.append));
    this.renderOlderBar();
    this.root.dataset.rows = String(this.window.size);
  }

  private rows(records: TranscriptRecord[]): DocumentFragment {
    const frag = document.createDocumentFragment();
    for (const r of records) frag.append(this.renderer.render(r));
    return frag;
  }

  // ---- live tail ----

  private enqueue(records: TranscriptRecord[]): void {
    for (const r of records) this.queue.push(r);
    if (this.frame || this.timer !== undefined) return;
    // One DOM write per frame however fast batches arrive; the timer covers a hidden panel.
    const flush = (): void => {
      if (this.frame) cancelAnimationFrame(this.frame);
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.frame = 0;
      this.timer = undefined;
      this.flushAppends();
    };
    this.frame = requestAnimationFrame(flush);
    this.timer = setTimeout(flush, 200);
  }

  private flushAppends(): void {
    const batch = this.queue;
    this.queue = [];
    const stick = this.atBottom();
    const ops = this.window.append(batch);
    if (this.window.detached) {
      this.renderDetached();
      return;
    }
    if (!ops.append.length) return;
    if (!stick && ops.dropFirst) {
      // Rows leave above what the user reads: keep it where it was.
      const before = this.log.scrollHeight;
      this.apply({ ...ops, append: [] });
      this.log.scrollTop -= before - this.log.scrollHeight;
      this.apply({ dropFirst: 0, dropLast: 0, prepend: [], append: ops.append });
    } else this.apply(ops);
    if (stick) this.scrollToBottom();
    else this.newOutput.hidden = false;
  }

  // ---- history ----

  private requestOlder(): void {
    const runId = this.header.runId;
    if (!runId) return;
    const beforeSeq = this.window.olderRequest();
    if (beforeSeq === undefined) return;
    this.loadOlderButton?.setAttribute('disabled', '');
    post({ type: 'loadOlder', runId, beforeSeq });
    // If the host never answers, let the user try again.
    setTimeout(() => {
      if (this.window.loadingOlder && this.window.firstSeq === beforeSeq) {
        this.window.loadingOlder = false;
        this.renderOlderBar();
      }
    }, 10_000);
  }

  private prepend(records: TranscriptRecord[], hasOlder: boolean): void {
    const ops = this.window.prepend(records, hasOlder);
    // Rows below the view go first; then the page goes in above, keeping what the user reads in place.
    this.apply({ ...ops, prepend: [] });
    const before = this.log.scrollHeight;
    this.apply({ dropFirst: 0, dropLast: 0, prepend: ops.prepend, append: [] });
    this.log.scrollTop += this.log.scrollHeight - before;
    if (ops.dropLast) this.newOutput.hidden = true;
    this.renderDetached();
  }

  private renderDetached(): void {
    const w = this.window;
    this.detachedBar.hidden = !w.detached;
    this.root.dataset.detached = String(w.detached);
    if (!w.detached) return;
    const label = w.missed ? `${n(w.missed)} new record${w.missed === 1 ? '' : 's'} not shown.` : 'Newer output not shown.';
    this.detachedBar.replaceChildren(el('span', undefined, label), makeButton('Jump to latest', { action: 'latest', appearance: 'secondary' }));
  }

  private renderOlderBar(): void {
    const has = this.window.hasOlder;
    if (has && !this.loadOlderButton) {
      this.loadOlderButton = makeButton('Load earlier output', { id: 'load-older', appearance: 'secondary' });
      this.olderBar.append(this.loadOlderButton);
    } else if (!has && this.loadOlderButton) {
      this.loadOlderButton.remove();
      this.loadOlderButton = undefined;
    }
    if (this.loadOlderButton) {
      if (this.window.loadingOlder) this.loadOlderButton.setAttribute('disabled', '');
      else this.loadOlderButton.removeAttribute('disabled');
    }
    this.olderBar.hidden = !has;
  }

  // ---- scrolling ----

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight <= STICK_PX;
  }

  private scrollToBottom(): void {
    this.log.scrollTop = this.log.scrollHeight;
    this.newOutput.hidden = true;
  }
}

/** The first page the host put in the document (see webviewHtml's data), if any. */
function firstPage(): HostMessage | undefined {
  const text = document.getElementById('huskies-data')?.textContent;
  if (!text) return undefined;
  try {
    const m = JSON.parse(text) as HostMessage;
    return m?.type === 'output' && Array.isArray(m.records) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** This script's nonce, read while it runs (the CSP allows a script carrying it). */
const NONCE = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';

/** The toolkit's own script (its URI is on <body data-after-paint>): loaded once the rows are on screen. */
function loadToolkit(): void {
  const src = document.body.dataset.afterPaint;
  if (!src) return;
  const s = document.createElement('script');
  s.nonce = NONCE;
  s.src = src;
  s.dataset.afterPaint = '';
  document.body.append(s);
}

function main(): void {
  const panel = new OutputPanel(document.body);
  onMessage((m) => panel.handle(m));
  performance.mark('huskies:ready');
  // Paint the document's first page now; the host goes on after its last seq instead of sending it again.
  const first = firstPage();
  if (first) panel.handle(first);
  post({ type: 'ready', shows: panel.shows() });
  // After the first paint (the rows first); buttons made before this upgrade in place.
  requestAnimationFrame(() => setTimeout(loadToolkit, 0));
}

main();
