// What a card's lines say, without the DOM (unit-tested in Node): the run's status in words, and
// which line owns each reason so that a card never says the same thing twice. The owners, in order:
// the question box (the question), the blocked line (blocked_reason), the merge line (merge_failure),
// the waits line (why it is not moving); the status line adds the run's own reason only when none
// of those says it already.
import type { AgentView, CardView } from '../src/protocol/messages';
import { formatClock } from './dom';

/** Endings that are waits (a rate limit, an overloaded API, the network), not failures of the story. */
export const WAIT_OUTCOMES: ReadonlySet<string> = new Set(['rate_limited', 'overloaded', 'network']);

/** How the card looks as a whole: a question and a wait are neither a success nor a failure. */
export type CardRunState = 'none' | 'queued' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'question' | 'waiting';

export interface StatusLine {
  state: CardRunState;
  /** The words, before the countdown (if any). */
  text: string;
  /** A countdown after the text (see countdown in dom.ts): to `until` (epoch ms), then `done`. */
  countdown?: { until: number; prefix: string; done: string; coarse?: boolean };
  /** After the countdown, e.g. a closing bracket. */
  after?: string;
  /** Shown on hover: the full reason when the line says it short. */
  title?: string;
  /** The run started then: the line shows the time since. */
  since?: number;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.;:!,]+$/, '')
    .trim();

/** Whether one text says the other (one contains the other, case and trailing punctuation aside). */
export function repeats(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = norm(a);
  const y = norm(b);
  return !!x && !!y && (x.includes(y) || y.includes(x));
}

/** Whether the run ended in a wait (rate limit, overload, network) rather than a failure. */
export function endedWaiting(c: CardView): boolean {
  const r = c.run;
  return !!r && r.status !== 'running' && r.status !== 'queued' && WAIT_OUTCOMES.has(r.outcome ?? '');
}

/** The card's state as a whole, for its style (data-run-status): a question or a wait overrides how the run ended. */
export function cardRunState(c: CardView, now: number): CardRunState {
  const r = c.run;
  if (r?.status === 'running') return 'running';
  if (c.question) return 'question';
  if (r?.status === 'queued') return c.agentLimit && c.agentLimit.until > now ? 'waiting' : 'queued';
  if (endedWaiting(c) || (c.resumeAt !== undefined && c.resumeAt > now)) return 'waiting';
  return r ? r.status : 'none';
}

/** The blocked line: the reason once, and none when the question box or the merge line says it. */
export function blockedText(c: CardView): string | undefined {
  if (!c.blocked) return undefined;
  if (c.question && (!c.blockedReason || repeats(c.blockedReason, c.question))) return undefined;
  return `Blocked${c.blockedReason ? `: ${c.blockedReason}` : ''}`;
}

/** The merge line: the failure's reason, unless the blocked line already says it (a mergemaster gave up). */
export function mergeFailureText(c: CardView): string | undefined {
  if (c.mergeFailure === undefined) return undefined;
  if (c.blocked && c.mergeFailure && repeats(c.blockedReason, c.mergeFailure)) return undefined;
  return `Merge failed: ${c.mergeFailure || 'no reason given'}`;
}

/** The waits line, unless the status line says it: a rate-limited agent the next run waits for. */
export function waitingText(c: CardView, now: number): string | undefined {
  if (!c.waiting) return undefined;
  if (c.run?.status === 'queued' && c.agentLimit && c.agentLimit.until > now && c.waiting.includes(`${c.agentLimit.agent} is rate-limited`)) return undefined;
  return `Waits: ${c.waiting}`;
}

/** The run's reason on the status line, when no other line of the card says it. */
function ownReason(c: CardView): string | undefined {
  const reason = c.run?.reason;
  if (!reason) return undefined;
  const others = [c.question, c.blocked ? c.blockedReason : undefined, c.mergeFailure, c.waiting];
  if (others.some((o) => repeats(o, reason))) return undefined;
  // "stopped by the user" and "stopped by you: start it again" are one fact
  if (c.run?.status === 'stopped' && c.waiting?.startsWith('stopped by you')) return undefined;
  return reason;
}

/** What the kind of wait is called, from the run's outcome. */
function waitName(outcome: string | undefined): string {
  if (outcome === 'overloaded') return 'API overloaded';
  if (outcome === 'network') return 'API unreachable';
  return 'rate-limited';
}

/** The status line of a card with a run (or a resume wait), or undefined when it has neither. */
export function statusLine(c: CardView, now: number): StatusLine | undefined {
  const r = c.run;
  const state = cardRunState(c, now);
  const resuming = c.resumeAt !== undefined && c.resumeAt > now;
  if (state === 'question') return { state, text: 'question: waiting for your answer', title: r ? `${r.agent || 'The agent'} asked; it resumes when you answer` : undefined };
  if (!r && !resuming) return undefined;
  if (r?.status === 'running') return { state, text: `running · ${r.agent}`, since: r.startedAt };
  if (r?.status === 'queued') {
    const l = c.agentLimit;
    if (l && l.until > now)
      return {
        state,
        text: `queued: ${l.agent} rate-limited until ${formatClock(l.until, now)} (`,
        countdown: { until: l.until, prefix: 'in ', done: 'lifting now', coarse: true },
        after: ')',
        title: r.reason,
      };
    return { state, text: r.agent ? `queued · ${r.agent}` : 'queued' };
  }
  if (state === 'waiting') {
    const name = waitName(r?.outcome);
    if (resuming) return { state, text: `${name} — resumes `, countdown: { until: c.resumeAt!, prefix: 'in ', done: 'now' }, title: r?.reason };
    return { state, text: `${name} — resuming`, title: r?.reason };
  }
  const reason = r && (r.status === 'failed' || r.status === 'stopped') ? ownReason(c) : undefined;
  return { state, text: reason ? `${r!.status}: ${reason}` : r!.status };
}

/** The question's suggested answers, as the card's buttons: index (what the board sends back) and label. */
export function questionChoices(c: CardView): { index: number; label: string }[] {
  if (!c.question || !c.questionOptions) return [];
  return c.questionOptions.map((label, index) => ({ index, label })).filter((o) => o.label.trim() !== '');
}

/** The data-action of an option's button, and back: `option:<index>`. */
export const optionAction = (index: number): string => `option:${index}`;

export function optionIndex(action: string | undefined): number | undefined {
  const m = action ? /^option:(\d{1,2})$/.exec(action) : null;
  return m ? Number(m[1]) : undefined;
}

/** The program an agent runs, by its own name (the agent strip); the runtime's key when the host sent none. */
export function agentProgram(a: Pick<AgentView, 'program' | 'runtime'>): string {
  return a.program || a.runtime;
}
