// Small DOM and formatting helpers shared by the board's parts: element creation, idempotent
// setters (a render touches only what changed), costs, durations, clocks and countdowns.
import type { RunView } from '../src/protocol/messages';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function isActive(run: RunView | undefined): boolean {
  return run !== undefined && (run.status === 'running' || run.status === 'queued');
}

export function hasEnded(run: RunView | undefined): boolean {
  return run !== undefined && (run.status === 'succeeded' || run.status === 'failed' || run.status === 'stopped');
}

export function formatCost(usd: number): string {
  if (usd > 0 && usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Time left, rounded up so that "0s" never shows while the wait is still on. */
export function formatLeft(ms: number, coarse: boolean): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  if (!coarse) return formatDuration(s * 1000);
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** HH:MM in local time, with the date when it is not today. */
export function formatClock(at: number, now: number): string {
  const d = new Date(at);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return d.toDateString() === new Date(now).toDateString() ? hm : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${hm}`;
}

/**
 * A text that the board's one ticker counts down to `until`: `prefix` + time left, then
 * `done` once it has passed. The ticker finds it by data-until and touches nothing else.
 */
export function countdown(className: string, until: number, now: number, opts: { coarse?: boolean; prefix?: string; done: string }): HTMLElement {
  const s = el('span', `countdown ${className}`);
  s.dataset.until = String(until);
  s.dataset.prefix = opts.prefix ?? '';
  s.dataset.done = opts.done;
  if (opts.coarse) s.dataset.coarse = '';
  s.textContent = countdownText(s, now);
  return s;
}

export function countdownText(e: HTMLElement, now: number): string {
  const left = Number(e.dataset.until) - now;
  return left > 0 ? `${e.dataset.prefix ?? ''}${formatLeft(left, e.dataset.coarse !== undefined)}` : (e.dataset.done ?? '');
}

export function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** For the ticker: rewrites the text node in place (one characterData change, no new node). */
export function setTickText(e: HTMLElement, text: string): void {
  const node = e.firstChild;
  if (node && node === e.lastChild && node.nodeType === Node.TEXT_NODE) {
    if ((node as Text).data !== text) (node as Text).data = text;
  } else setText(e, text);
}

export function setHidden(e: HTMLElement, hidden: boolean): void {
  if (e.hidden !== hidden) e.hidden = hidden;
}

export function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}
