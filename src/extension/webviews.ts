// The board (sidebar view and editor panel): it renders the orchestrator's state and keeps none of its own.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Huskies as Orchestrator } from '../core/api';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol/messages';
import { BoardFeed } from './boardFeed';
import { buildBoardState } from './boardModel';
import { makeNonce, webviewHtml } from './webviewHtml';

const assets = new Map<string, { mtimeMs: number; text: string }>();

/** A file of the extension's own (a webview bundle, a style sheet), read once and again only when it changed. */
function assetText(file: string): string | undefined {
  try {
    const { mtimeMs } = fs.statSync(file);
    const hit = assets.get(file);
    if (hit?.mtimeMs === mtimeMs) return hit.text;
    const text = fs.readFileSync(file, 'utf8');
    assets.set(file, { mtimeMs, text });
    return text;
  } catch {
    return undefined; // loaded by URI instead
  }
}

/**
 * A webview's document: its script and style sheet are put in it (no fetch through the webview's
 * service worker before the page can run; the source map is still found by its full URI).
 * `afterPaint` names a script of dist/webview the page loads itself once it has painted.
 */
export function html(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, css: string, title: string, data?: unknown, afterPaint?: string): string {
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const scriptText = assetText(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${script}.js`).fsPath)?.replace(
    /^\/\/# sourceMappingURL=([\w.-]+\.map)\s*$/m,
    (_, map: string) => `//# sourceMappingURL=${uri('dist', 'webview', map)}`,
  );
  const styleText = assetText(vscode.Uri.joinPath(extensionUri, 'media', css).fsPath);
  return webviewHtml({
    cspSource: webview.cspSource,
    scriptUri: uri('dist', 'webview', `${script}.js`),
    styleUris: [uri('media', css)],
    scriptText,
    styleTexts: styleText === undefined ? undefined : [styleText],
    title,
    nonce: makeNonce(),
    data,
    afterPaintUri: afterPaint === undefined ? undefined : uri('dist', 'webview', `${afterPaint}.js`),
  });
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

export type BoardActionHandler = (msg: WebviewMessage) => unknown;

/** Keeps every open board (sidebar and panel) in step with the orchestrator, as replicas fed by a BoardFeed. */
export class BoardHub implements vscode.WebviewViewProvider, vscode.Disposable {
  private readonly feed: BoardFeed<vscode.Webview>;
  private panel?: vscode.WebviewPanel;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly orch: () => Orchestrator | undefined,
    private readonly onAction: BoardActionHandler,
  ) {
    this.feed = new BoardFeed(() => {
      const o = this.orch();
      return o ? buildBoardState(o.snapshot()) : undefined;
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.attach(view.webview, view.onDidDispose, () => view.visible, view.onDidChangeVisibility);
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
    this.adopt(panel);
  }

  /** The full board panel VS Code brought back after a window reload: it gets a fresh snapshot once its page is ready. */
  restorePanel(panel: vscode.WebviewPanel): void {
    if (this.panel) {
      panel.dispose();
      return;
    }
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'huskies.svg');
    this.panel = panel;
    // The panel does not retain its page while hidden (the sidebar view does).
    this.attach(panel.webview, panel.onDidDispose, () => panel.visible, panel.onDidChangeViewState, true);
    panel.onDidDispose(() => (this.panel = undefined));
  }

  private attach(webview: vscode.Webview, onDispose: vscode.Event<void>, visible: () => boolean, onVisibility: vscode.Event<unknown>, reloadsWhenHidden = false): void {
    webview.options = webviewOptions(this.extensionUri);
    webview.html = html(webview, this.extensionUri, 'board', 'board.css', 'Huskies Board');
    this.feed.add(webview, { post: (m) => void webview.postMessage(m), visible, reloadsWhenHidden });
    const subs = [
      webview.onDidReceiveMessage((raw) => {
        const msg = parseWebviewMessage(raw);
        if (!msg) return; // the webview is not trusted: ignore anything malformed
        if (msg.type === 'ready' || msg.type === 'resync') this.feed.ready(webview);
        else if (msg.type === 'boardView') this.feed.view(webview, msg.stages);
        else void this.onAction(msg);
      }),
      onVisibility(() => {
        if (visible()) this.feed.shown(webview);
        else this.feed.hidden(webview);
      }),
    ];
    onDispose(() => {
      this.feed.remove(webview);
      subs.forEach((d) => d.dispose());
    });
  }

  /** Sends a message to every open board. */
  tell(msg: HostMessage): void {
    this.feed.tell(msg);
  }

  /** The orchestrator changed: every shown board gets what changed in what it shows (bursts coalesced). */
  refresh(): void {
    this.feed.refresh();
  }

  dispose(): void {
    this.panel?.dispose();
    this.feed.dispose();
  }
}
