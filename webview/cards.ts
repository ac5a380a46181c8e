// The story cards: what each part of a card shows, its buttons (the actions that apply to its
// stage and state, see cardActions) and the context the native context menu reads.
import { CARD_BUTTONS, actionContextKey, cardActions, type CardAction, type CardView, type RunView } from '../src/protocol/messages';
import { countdown, el, formatClock, formatCost, formatDuration, setData } from './dom';
import { patchSlots, type RenderCtx, type Slot, type SlotEntry } from './slots';
import { makeButton, makeSpinner } from './toolkit';

/** The card's buttons: the actions that apply, less those that live in the context menu only. */
export function buttonKinds(c: CardView): CardAction[] {
  // An open question is answered with the button beside it, not from the action row.
  return cardActions(c).filter((a) => CARD_BUTTONS.has(a));
}

/**
 * The data-vscode-context of a card: VS Code's native context menu reads it (webviewSection, one
 * key per action that applies) and passes it to the chosen command, which takes the storyId from it.
 */
export function cardContext(c: CardView, trusted: boolean): string {
  const ctx: Record<string, unknown> = { webviewSection: 'card', storyId: c.id, preventDefaultContextMenuItems: true };
  for (const a of cardActions(c)) if (trusted || !AGENT_ACTIONS.has(a)) ctx[actionContextKey(a)] = true;
  return JSON.stringify(ctx);
}

/** Actions that start an agent: disabled in an untrusted workspace. */
const AGENT_ACTIONS: ReadonlySet<CardAction> = new Set<CardAction>(['start', 'followup', 'answer', 'reject', 'fixup']);

const BUTTON: Record<string, { label: string; title: (id: number) => string; primary?: boolean }> = {
  start: { label: 'Start', title: (id) => `Start an agent on #${id}` },
  stop: { label: 'Stop', title: (id) => `Stop the agent on #${id}` },
  approve: { label: 'Approve', title: (id) => `Approve #${id}: on to merge`, primary: true },
  reject: { label: 'Reject', title: (id) => `Reject #${id} with feedback for its agent` },
  unblock: { label: 'Unblock', title: (id) => `Unblock #${id}` },
  fixup: { label: 'Fix up', title: (id) => `Send #${id} back to its coder to fix the merge` },
  followup: { label: 'Follow-up', title: (id) => `Send a follow-up to the last agent session on #${id}` },
  review: { label: 'Diff', title: (id) => `Review the changes of #${id} in the diff editor` },
  output: { label: 'Output', title: (id) => `Show the agent output of #${id}` },
};

/** The blocked reason, unless it only repeats the open question that the card already shows. */
function blockedText(c: CardView): string | undefined {
  if (!c.blocked) return undefined;
  if (c.question && (!c.blockedReason || c.blockedReason.includes(c.question))) return undefined;
  return `Blocked${c.blockedReason ? `: ${c.blockedReason}` : ''}`;
}

function isResuming(c: CardView, now: number): boolean {
  return c.resumeAt !== undefined && c.resumeAt > now;
}

export const CARD_SLOTS: Slot<CardView>[] = [
  {
    sig: (c) => JSON.stringify([c.id, c.type, c.criteriaDone, c.criteriaTotal]),
    build: (c) => {
      const top = el('div', 'card-top');
      top.append(el('span', 'card-id', `#${c.id}`), el('span', 'card-type', c.type));
      if (c.criteriaTotal > 0) {
        const crit = el('span', 'card-criteria badge', `${c.criteriaDone}/${c.criteriaTotal}`);
        crit.title = `${c.criteriaDone} of ${c.criteriaTotal} acceptance criteria done`;
        top.append(crit);
      }
      return top;
    },
  },
  {
    sig: (c) => JSON.stringify([c.name, c.fileName]),
    build: (c) => {
      const title = el('button', 'card-title', c.name || c.fileName);
      title.type = 'button';
      title.dataset.action = 'open';
      title.title = `Open ${c.fileName}`;
      return title;
    },
  },
  {
    sig: (c, ctx) => (c.question ? JSON.stringify([c.question, c.run?.agent ?? c.agent, ctx.trusted]) : ''),
    build: (c, ctx) => {
      if (!c.question) return null;
      const box = el('div', 'card-question');
      box.setAttribute('role', 'group');
      const who = c.run?.agent ?? c.agent;
      const label = el('div', 'card-question-label', who ? `Question from ${who}` : 'Question');
      label.id = `question-label-${c.id}`;
      box.setAttribute('aria-labelledby', label.id);
      const text = el('div', 'card-question-text', c.question);
      const answer = makeButton('Answer', {
        action: 'answer',
        appearance: 'primary',
        title: ctx.trusted ? `Answer the question on #${c.id} and resume the agent` : 'Workspace not trusted: agents are disabled',
      });
      if (!ctx.trusted) answer.setAttribute('disabled', '');
      box.append(label, text, answer);
      return box;
    },
  },
  {
    sig: (c) => JSON.stringify([c.agent, c.costUsd]),
    build: (c) => {
      const meta: string[] = [];
      if (c.agent) meta.push(c.agent);
      if (c.costUsd !== undefined && c.costUsd > 0) meta.push(formatCost(c.costUsd));
      return meta.length ? el('div', 'card-meta', meta.join(' · ')) : null;
    },
  },
  {
    // Not run.lastSeq or token counts: they change with every line of output and the card shows neither.
    sig: (c) => (c.run ? JSON.stringify([c.run.status, c.run.outcome, c.run.agent, c.run.reason, c.run.startedAt, c.question, c.blockedReason]) : ''),
    build: (c) => (c.run ? statusLine(c.run, c.question, c.blockedReason) : null),
  },
  {
    sig: (c, ctx) => (isResuming(c, ctx.now) ? String(c.resumeAt) : ''),
    build: (c, ctx) => {
      if (!isResuming(c, ctx.now)) return null;
      const line = el('div', 'card-resume', 'rate-limited · resumes ');
      line.title = `Resumes at ${formatClock(c.resumeAt!, ctx.now)}`;
      line.append(countdown('resume-in', c.resumeAt!, ctx.now, { prefix: 'in ', done: 'now' }));
      return line;
    },
  },
  {
    sig: (c) => `${c.stackedOn ?? ''}|${c.waiting?.startsWith('stacked on') ?? ''}`,
    build: (c) => (c.stackedOn !== undefined && !c.waiting?.startsWith('stacked on') ? el('div', 'card-waiting', `Stacked on #${c.stackedOn}`) : null),
  },
  {
    sig: (c) => c.waiting ?? '',
    build: (c) => (c.waiting ? el('div', 'card-waiting', `Waits: ${c.waiting}`) : null),
  },
  {
    sig: (c) => c.paused ?? '',
    build: (c) => {
      if (c.paused === undefined) return null;
      const p = el('div', 'card-paused', c.paused === 'paused' ? 'Paused' : `Paused: ${c.paused}`);
      p.title = 'No new agent starts on this story until it is resumed (context menu: Resume)';
      return p;
    },
  },
  {
    sig: (c) => c.note ?? '',
    build: (c) => (c.note ? el('div', 'card-note', `Note: ${c.note}`) : null),
  },
  {
    sig: (c) => blockedText(c) ?? '',
    build: (c) => {
      const text = blockedText(c);
      return text ? el('div', 'card-blocked', text) : null;
    },
  },
  {
    sig: (c) => (c.invalid ? JSON.stringify([c.fileName, c.invalid]) : ''),
    build: (c) => {
      if (!c.invalid) return null;
      const inv = el('div', 'card-invalid', `Invalid file ${c.fileName}: ${c.invalid}`);
      inv.setAttribute('role', 'alert');
      return inv;
    },
  },
  {
    sig: (c) => c.mergeFailure ?? '',
    build: (c) => {
      if (c.mergeFailure === undefined) return null;
      const line = el('div', 'card-blocked card-merge-failure', `Merge failed: ${c.mergeFailure || 'no reason given'}`);
      line.setAttribute('role', 'alert');
      return line;
    },
  },
  {
    sig: (c, ctx) => `${buttonKinds(c).join(',')}|${ctx.trusted}`,
    build: (c, ctx) => {
      const kinds = buttonKinds(c);
      if (!kinds.length) return null;
      const untrusted = 'Workspace not trusted: agents are disabled';
      const actions = el('div', 'card-actions');
      for (const kind of kinds) {
        const b = BUTTON[kind];
        if (!b) continue;
        const off = !ctx.trusted && AGENT_ACTIONS.has(kind);
        const button = makeButton(b.label, { action: kind, appearance: b.primary ? 'primary' : 'secondary', title: off ? untrusted : b.title(c.id) });
        if (off) button.setAttribute('disabled', '');
        actions.append(button);
      }
      return actions;
    },
  },
];

export function updateCard(entry: SlotEntry, c: CardView, ctx: RenderCtx, slotSigs: string[]): void {
  const card = entry.el;
  setData(card, 'vscodeContext', cardContext(c, ctx.trusted));
  if (!card.draggable && c.stage !== 'archived' && !c.invalid) card.draggable = true;
  else if (card.draggable && (c.stage === 'archived' || !!c.invalid)) card.draggable = false;
  setData(card, 'storyId', String(c.id));
  setData(card, 'stage', c.stage);
  setData(card, 'runStatus', c.run?.status ?? 'none');
  card.classList.toggle('blocked', c.blocked);
  card.classList.toggle('invalid', !!c.invalid);
  card.classList.toggle('has-question', !!c.question);
  patchSlots(entry, CARD_SLOTS, c, ctx, slotSigs);
}

/** Endings that are waits (a rate limit, an overloaded API), not failures of the story. */
export const WAIT_OUTCOMES = new Set(['rate_limited', 'overloaded', 'network']);

function statusLine(run: RunView, question: string | undefined, blockedReason: string | undefined): HTMLElement {
  const waiting = run.status === 'failed' && WAIT_OUTCOMES.has(run.outcome ?? '');
  const line = el('div', `card-status status-${waiting ? 'waiting' : run.status}`);
  line.setAttribute('role', 'status');
  if (run.status === 'running') line.append(makeSpinner());
  let text: string = waiting ? 'waiting' : run.status;
  if (run.status === 'running' || run.status === 'queued') text += ` · ${run.agent}`;
  // The question box and the blocked line show their text already: failure text appears once.
  const repeated = (question !== undefined && run.reason?.includes(question)) || (!!blockedReason && !!run.reason && blockedReason.includes(run.reason));
  if ((run.status === 'failed' || run.status === 'stopped') && run.reason && !repeated) text += `: ${run.reason}`;
  line.append(el('span', 'status-text', text));
  if (run.status === 'running' && run.startedAt) {
    const since = el('span', 'elapsed', ` · ${formatDuration(Date.now() - run.startedAt)}`);
    since.dataset.since = String(run.startedAt);
    line.append(since);
  }
  return line;
}
