// The board (sidebar view and editor panel): it renders the orchestrator's state and keeps none of its own.
import * as vscode from 'vscode';
import type { Huskies as Orchestrator } from '../core/api';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol/messages';
import { buildBoardState } from './boardModel';
import { makeNonce, webviewHtml } from './webviewHtml';

export function html(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, css: string, title: string): string {
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  return webviewHtml({ cspSource: webview.cspSource, scriptUri: uri('dist', 'webview', `${script}.js`), styleUris: [uri('media', css)], title, nonce: makeNonce() });
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
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
