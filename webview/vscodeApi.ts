// Typed access to the webview host: the one place that calls acquireVsCodeApi(), which
// may be called only once per page, and the one place that listens for host messages.
import type { HostMessage, WebviewMessage } from '../src/protocol/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function vscode(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export function post(msg: WebviewMessage): void {
  vscode().postMessage(msg);
}

/** Every host message type: a Record, so that a type added to HostMessage and missing here fails the type check. */
const HOST_TYPES: Readonly<Record<HostMessage['type'], true>> = {
  boardSnapshot: true,
  boardDelta: true,
  output: true,
  outputAppend: true,
  outputRun: true,
  outputOlder: true,
  outputEmpty: true,
  moveRefused: true,
  charts: true,
};

/** Calls handler for every message from the host; anything not shaped like a HostMessage is dropped. Returns an unsubscribe function. */
export function onMessage(handler: (m: HostMessage) => void): () => void {
  const listener = (e: MessageEvent): void => {
    const data: unknown = e.data;
    if (typeof data !== 'object' || data === null) return;
    const type = (data as { type?: unknown }).type;
    if (typeof type !== 'string' || !Object.hasOwn(HOST_TYPES, type)) return;
    handler(data as HostMessage);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}

/** The state VS Code keeps for this webview while it is hidden or reloaded. */
export function getState<T extends object>(): Partial<T> {
  const s = vscode().getState();
  return typeof s === 'object' && s !== null ? (s as Partial<T>) : {};
}

export function setState<T extends object>(state: T): void {
  vscode().setState(state);
}
