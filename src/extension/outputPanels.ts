// The per-story agent output panels: each renders one run's transcript, caught up from disk and then live.
import * as vscode from 'vscode';
import type { Huskies as Orchestrator, Snapshot } from '../core/api';
import { parseWebviewMessage, type HostMessage } from '../protocol/messages';
import { runView } from './boardModel';
import { FEED_FIRST_PAGE, OutputFeed } from './outputFeed';
import { html, webviewOptions } from './webviews';

/** One editor panel per story showing its latest run's output live, caught up from the transcript. */
export class OutputPanels implements vscode.Disposable {
  private panels = new Map<number, OutputPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly orch: () => Orchestrator | undefined,
  ) {}

  /** Shows a story's latest run, following each new one; with runId, that run and no other. */
  show(storyId: number, runId?: string): void {
    const existing = this.panels.get(storyId);
    if (existing) {
      existing.pin(runId);
      existing.reveal();
      return;
    }
    const o = this.orch();
    if (!o) return;
    const item = o.store.get(storyId);
    const panel = vscode.window.createWebviewPanel(
      'huskies.agentOutput',
      `Agent: #${storyId} ${item?.name ?? ''}`.trim(),
      vscode.ViewColumn.Active,
      webviewOptions(this.extensionUri),
    );
    this.adopt(panel, storyId, runId);
  }

  /** A panel VS Code restored after a window reload: it catches up from the transcript on disk. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const storyId = typeof state === 'object' && state && typeof (state as { storyId?: unknown }).storyId === 'number' ? (state as { storyId: number }).storyId : undefined;
    if (storyId === undefined || !this.orch() || this.panels.has(storyId)) {
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(this.extensionUri);
    this.adopt(panel, storyId);
  }

  private adopt(panel: vscode.WebviewPanel, storyId: number, runId?: string): OutputPanel {
    const o = this.orch()!;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'huskies.svg');
    const p = new OutputPanel(panel, this.extensionUri, o, storyId, runId);
    this.panels.set(storyId, p);
    panel.onDidDispose(() => {
      p.dispose();
      this.panels.delete(storyId);
    });
    return p;
  }

  /** Called on every orchestrator change: a new run on a story switches its panel to it. */
  refresh(): void {
    if (!this.panels.size) return;
    const snap = this.orch()?.snapshot(); // one snapshot for all panels
    for (const p of this.panels.values()) void p.refresh(false, snap);
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
  }
}

class OutputPanel {
  private ready = false;
  private readonly feed: OutputFeed;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly orch: Orchestrator,
    private readonly storyId: number,
    /** A run chosen from the story's history; unset, the panel follows the latest run. */
    private pinned?: string,
  ) {
    this.feed = new OutputFeed(orch, (m: HostMessage) => void panel.webview.postMessage(m));
    panel.webview.onDidReceiveMessage((raw) => {
      const msg = parseWebviewMessage(raw);
      if (!msg) return;
      if (msg.type === 'ready') {
        this.ready = true;
        void this.refresh(true, undefined, msg.shows); // a reloaded webview starts again from what it shows
      } else if (msg.type === 'loadOlder') void this.feed.loadOlder(msg.runId, msg.beforeSeq);
      else if (msg.type === 'jumpToLatest') void this.feed.jumpToLatest(msg.runId);
    });
    void this.load(extensionUri);
  }

  /**
   * The page's document carries the run's tail page, so the rows paint as soon as its script runs,
   * without waiting for a message round trip; `ready` then says up to which seq it shows.
   */
  private async load(extensionUri: vscode.Uri): Promise<void> {
    const run = this.runToShow();
    let first: HostMessage | undefined;
    if (run) {
      const page = await this.orch.readTranscript(run.runId, undefined, FEED_FIRST_PAGE).catch(() => undefined);
      if (page) first = { type: 'output', run: runView(run, this.orch.agents()), records: page.records, hasOlder: page.hasOlder, story: this.storyRef() };
    }
    this.panel.webview.html = html(this.panel.webview, extensionUri, 'output', 'output.css', `Agent output #${this.storyId}`, first, 'toolkit');
  }

  private runToShow(snap?: Snapshot) {
    const pinned = this.pinned ? this.orch.registry.get(this.pinned) : undefined;
    return pinned?.storyId === this.storyId ? pinned : (snap ?? this.orch.snapshot()).latestRun.get(this.storyId);
  }

  private storyRef(): { id: number; name: string } | undefined {
    const item = this.orch.store.get(this.storyId);
    return item ? { id: item.id, name: item.name } : undefined;
  }

  reveal(): void {
    this.panel.reveal();
  }

  pin(runId: string | undefined): void {
    if (runId === this.pinned) return;
    this.pinned = runId;
    void this.refresh(true);
  }

  /**
   * Follows the story's run (or the pinned one); `reopen` starts again from a fresh snapshot, or from
   * what the page `shows` when that is the run to follow.
   */
  async refresh(reopen = false, snap?: Snapshot, shows?: { runId: string; lastSeq: number }): Promise<void> {
    if (!this.ready) return;
    const run = this.runToShow(snap);
    if (!run) {
      if (reopen || this.feed.runId !== undefined) this.feed.empty(`No agent has run on story ${this.storyId} yet.`);
      return;
    }
    const view = runView(run, this.orch.agents());
    if (reopen && shows?.runId === run.runId) await this.feed.resume(view, this.storyRef(), shows.lastSeq);
    else if (reopen || run.runId !== this.feed.runId) await this.feed.open(view, this.storyRef());
    else this.feed.updateRun(view);
  }

  dispose(): void {
    this.feed.dispose();
  }
}
