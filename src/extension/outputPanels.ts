// The per-story agent output panels: each renders one run's transcript, caught up from disk and then live.
import * as vscode from 'vscode';
import type { Huskies as Orchestrator, TranscriptRecord } from '../core/api';
import { parseWebviewMessage, type HostMessage } from '../protocol/messages';
import { runView } from './boardModel';
import { html, webviewOptions } from './webviews';

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
