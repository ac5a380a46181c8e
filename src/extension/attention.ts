// What needs the user, read from the snapshot: a story waiting for a review verdict, a merge that
// failed with nobody working on it, a blocked story, an open question; and the merges in progress.
// No vscode import: unit-tested. The notifier shows each (story, reason) once while it lasts.
import type { Snapshot } from '../core/api';
import { REVIEW_WAIT } from './boardModel';

export type AttentionReason = 'review' | 'mergeFailed' | 'blocked' | 'question';

export interface Attention {
  id: number;
  reason: AttentionReason;
  /** The notification text, naming the story. */
  message: string;
  /** A question's suggested answers (front matter question_options), offered as buttons. */
  options?: string[];
}

/** One key per story and reason: a notification is shown once per key while the condition lasts. */
export const attentionKey = (a: Pick<Attention, 'id' | 'reason'>): string => `${a.id}:${a.reason}`;

const cut = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function needsUser(snap: Pick<Snapshot, 'items' | 'runs' | 'waits'>): Attention[] {
  const active = new Set(snap.runs.filter((r) => r.status === 'running' || r.status === 'queued').map((r) => r.storyId));
  const out: Attention[] = [];
  for (const it of snap.items) {
    if (it.invalid || active.has(it.id)) continue;
    const name = `#${it.id} ${it.name}`;
    const question = typeof it.frontMatter.question === 'string' ? it.frontMatter.question : undefined;
    const failure = it.frontMatter.merge_failure;
    // A failed merge with no agent on it (no mergemaster, or its attempts used up and the story blocked).
    if (it.stage === 'merge' && failure != null) out.push({ id: it.id, reason: 'mergeFailed', message: `The merge of story ${name} failed: ${cut(String(failure))}` });
    else if (it.blocked && question) {
      const options = Array.isArray(it.frontMatter.question_options) ? it.frontMatter.question_options.filter((o): o is string => typeof o === 'string' && o.trim() !== '') : [];
      out.push({ id: it.id, reason: 'question', message: `Story ${name}: the agent asks: ${cut(question)}`, ...(options.length ? { options } : {}) });
    } else if (it.blocked) out.push({ id: it.id, reason: 'blocked', message: `Story ${name} is blocked${it.blockedReason ? `: ${cut(it.blockedReason)}` : '.'}` });
    else if (it.stage === 'qa' && REVIEW_WAIT.test(snap.waits.get(it.id) ?? '')) out.push({ id: it.id, reason: 'review', message: `Story ${name} is ready for your review.` });
  }
  return out;
}

/**
 * A question notification's buttons: its first three options (answered by index), then Answer… for
 * words of your own. A notification tells its buttons apart by title, so of two equal ones the first stands.
 */
export function questionButtons(options: readonly string[]): { title: string; index?: number }[] {
  const out: { title: string; index?: number }[] = [];
  const seen = new Set<string>(['Answer…']);
  options.forEach((o, index) => {
    const title = o.length > 40 ? `${o.slice(0, 39)}…` : o;
    if (out.length < 3 && !seen.has(title)) {
      seen.add(title);
      out.push({ title, index });
    }
  });
  return [...out, { title: 'Answer…' }];
}

/**
 * The text of option `index` of a story's open question, read from its front matter: the board and
 * the notification send only the index, so no text from a webview reaches the agent.
 */
export function optionText(it: { frontMatter: Record<string, unknown> } | undefined, index: number): string | undefined {
  const options = it?.frontMatter.question_options;
  if (!it || typeof it.frontMatter.question !== 'string' || !Array.isArray(options)) return undefined;
  const text: unknown = options[index];
  return typeof text === 'string' && text.trim() ? text : undefined;
}

export interface MergeStatus {
  /** Stories in merge with no failure: being merged, or queued for it. */
  merging: number[];
  /** Stories whose last merge attempt failed. */
  failed: number[];
}

export function mergeStatus(snap: Pick<Snapshot, 'items'>): MergeStatus {
  const merging: number[] = [];
  const failed: number[] = [];
  for (const it of snap.items) {
    if (it.stage !== 'merge' || it.invalid) continue;
    if (it.frontMatter.merge_failure != null) failed.push(it.id);
    else if (!it.blocked) merging.push(it.id);
  }
  return { merging: merging.sort((a, b) => a - b), failed: failed.sort((a, b) => a - b) };
}

const ids = (list: number[]): string =>
  list.length > 3
    ? `${list
        .slice(0, 3)
        .map((n) => `#${n}`)
        .join(', ')} +${list.length - 3}`
    : list.map((n) => `#${n}`).join(', ');

/** The merge status bar item's text; undefined hides it. */
export function mergeStatusText(m: MergeStatus): string | undefined {
  const parts: string[] = [];
  if (m.merging.length) parts.push(`$(git-merge) merging ${ids(m.merging)}`);
  if (m.failed.length) parts.push(`$(error) merge failed ${ids(m.failed)}`);
  return parts.length ? parts.join('  ') : undefined;
}

/**
 * Remembers which (story, reason) pairs were shown: `next` returns the ones to show now, and forgets
 * those that ended, so a story blocked again later is shown again.
 */
export class AttentionLedger {
  private shown = new Set<string>();

  next(now: Attention[]): Attention[] {
    const keys = new Set(now.map(attentionKey));
    for (const k of this.shown) if (!keys.has(k)) this.shown.delete(k);
    const fresh = now.filter((a) => !this.shown.has(attentionKey(a)));
    for (const a of fresh) this.shown.add(attentionKey(a));
    return fresh;
  }
}
