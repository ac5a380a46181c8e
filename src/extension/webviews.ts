// The board (sidebar view and editor panel) and the per-story agent output panels.
// Both render the orchestrator's state; neither keeps state of its own.
import * as vscode from 'vscode';
import type { Huskies as Orchestrator, TranscriptRecord } from '../core/api';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol/messages';
import { buildBoardState, runView } from './boardModel';
import { makeNonce, webviewHtml } from './webviewHtml';

function html(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, css: string, title: string): string {
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  return webviewHtml({ cspSource: webview.cspSource, scriptUri: uri('dist', 'webview', `${script}.js`), styleUris: [uri('media', css)], title, nonce: makeNonce() });
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

export type BoardActionHandler = (msg: WebviewMessage) => unknown;

/** Keeps every open board (sidebar and panel) in step with the orchestrator. */
export class BoardHub implements vscode.WebviewViewProvider, vscode.Disposable {
  private webviews = new Set<vscode.Webview>();
  private seq = 0;
  private panel?: vscode.WebviewPanel;
  private disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly orch: () => Orchestrator | undefined,
    private readonly onAction: BoardActionHandler,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.attach(view.webview, () => view.onDidDispose);
  }

  openPanel(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel('huskies.boardPanel', 'Huskies Board', vscode.ViewColumn.Active, {
      ...webviewOptions(this.extensionUri),
      retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'huskies.svg');
    this.panel = panel;
    this.attach(panel.webview, () => panel.onDidDispose);
    panel.onDidDispose(() => (this.panel = undefined));
  }

  private attach(webview: vscode.Webview, onDispose: () => vscode.Event<void>): void {
    webview.options = webviewOptions(this.extensionUri);
    webview.html = html(webview, this.extensionUri, 'board', 'board.css', 'Huskies Board');
    const subs = [
      webview.onDidReceiveMessage((raw) => {
        const msg = parseWebviewMessage(raw);
        if (!msg) return; // the webview is not trusted: ignore anything malformed
        if (msg.type === 'ready') {
          this.webviews.add(webview);
          this.post(webview);
        } else void this.onAction(msg);
      }),
    ];
    onDispose()(() => {
      this.webviews.delete(webview);
      subs.forEach((d) => d.dispose());
    });
  }

  /** Sends a message to every open board. */
  tell(msg: HostMessage): void {
    for (const w of this.webviews) void w.postMessage(msg);
  }

  /** Sends the board state to every open board. */
  refresh(): void {
    for (const w of this.webviews) this.post(w);
  }

  private post(webview: vscode.Webview): void {
    const o = this.orch();
    if (!o) return;
    const msg: HostMessage = { type: 'board', seq: ++this.seq, state: buildBoardState(o.snapshot()) };
    void webview.postMessage(msg);
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

const PAGE = 400;

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
    this.adopt(panel, storyId).pin(runId);
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

  private adopt(panel: vscode.WebviewPanel, storyId: number): OutputPanel {
    const o = this.orch()!;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'huskies.svg');
    const p = new OutputPanel(panel, this.extensionUri, o, storyId);
    this.panels.set(storyId, p);
    panel.onDidDispose(() => {
      p.dispose();
      this.panels.delete(storyId);
    });
    return p;
  }

  /** Called on every orchestrator change: a new run on a story switches its panel to it. */
  refresh(): void {
    for (const p of this.panels.values()) void p.refresh();
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
  }
}

class OutputPanel {
  private runId?: string;
  private lastSent = 0;
  private sub?: { dispose(): void };
  private ready = false;
  private lastStatus = '';
  private catchingUp = false;
  /** A run chosen from the story's history; unset, the panel follows the latest run. */
  private pinned?: string;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly orch: Orchestrator,
    private readonly storyId: number,
  ) {
    panel.webview.html = html(panel.webview, extensionUri, 'output', 'output.css', `Agent output #${storyId}`);
    panel.webview.onDidReceiveMessage((raw) => {
      const msg = parseWebviewMessage(raw);
      if (!msg) return;
      if (msg.type === 'ready') {
        this.ready = true;
        this.runId = undefined; // a reloaded webview starts from a fresh snapshot
        void this.refresh();
      } else if (msg.type === 'loadOlder' && msg.runId === this.runId) {
        void this.orch.readTranscript(msg.runId, msg.beforeSeq, PAGE).then(({ records, hasOlder }) => this.send({ type: 'outputOlder', runId: msg.runId, records, hasOlder }));
      }
    });
  }

  reveal(): void {
    this.panel.reveal();
  }

  pin(runId: string | undefined): void {
    if (runId === this.pinned) return;
    this.pinned = runId;
    this.runId = undefined; // switch on the next refresh
    void this.refresh();
  }

  private send(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  async refresh(): Promise<void> {
    if (!this.ready) return;
    const pinned = this.pinned ? this.orch.registry.get(this.pinned) : undefined;
    const run = pinned?.storyId === this.storyId ? pinned : this.orch.snapshot().latestRun.get(this.storyId);
    if (!run) {
      this.send({ type: 'outputEmpty', message: `No agent has run on story ${this.storyId} yet.` });
      return;
    }
    if (run.runId !== this.runId) {
      this.sub?.dispose();
      this.runId = run.runId;
      this.lastStatus = run.status;
      // Subscribe first, then read the disk: records that arrive meanwhile are filtered by seq.
      const pending: TranscriptRecord[] = [];
      this.catchingUp = true;
      this.sub = this.orch.subscribe(run.runId, (batch) => {
        if (batch.resyncAfterSeq !== undefined) {
          void this.catchUp(run.runId);
          return;
        }
        if (this.catchingUp) pending.push(...batch.records);
        else this.append(run.runId, batch.records);
      });
      const { records, hasOlder } = await this.orch.readTranscript(run.runId, undefined, PAGE);
      this.lastSent = records.length ? records[records.length - 1].seq : 0;
      const item = this.orch.store.get(this.storyId);
      this.send({ type: 'output', run: runView(run), records, hasOlder, story: item ? { id: item.id, name: item.name } : undefined });
      this.catchingUp = false;
      this.append(run.runId, pending);
      return;
    }
    if (run.status !== this.lastStatus || run.lastSeq !== this.lastSent) {
      this.lastStatus = run.status;
      this.send({ type: 'outputRun', run: runView(run) });
    }
  }

  private append(runId: string, records: TranscriptRecord[]): void {
    const fresh = records.filter((r) => r.seq > this.lastSent);
    if (!fresh.length) return;
    this.lastSent = fresh[fresh.length - 1].seq;
    this.send({ type: 'outputAppend', runId, records: fresh });
  }

  /** The live stream dropped records for this slow panel: read what it missed from the disk, bounded. */
  private async catchUp(runId: string): Promise<void> {
    const missed = await this.orch.readTranscriptAfter(runId, this.lastSent, 5000);
    if (missed.length >= 5000) {
      this.runId = undefined; // too far behind: start again from the tail
      await this.refresh();
    } else this.append(runId, missed);
  }

  dispose(): void {
    this.sub?.dispose();
  }
}
