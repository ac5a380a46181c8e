// The story cards: what each part of a card shows, its buttons (the actions that apply to its
// stage and state, see cardActions) and the context the native context menu reads.
import { CARD_BUTTONS, actionContextKey, cardActions, type CardAction, type CardView } from '../src/protocol/messages';
import { blockedText, cardRunState, mergeFailureText, optionAction, questionChoices, statusLine, waitingText, type StatusLine } from './cardText';
import { countdown, el, formatCost, formatDuration, setData } from './dom';
import { patchSlots, type RenderCtx, type Slot, type SlotEntry } from './slots';
import { makeButton, makeSpinner } from './elements';

/** The card's buttons: the actions that apply, less those that live in the context menu only. */
export function buttonKinds(c: CardView): CardAction[] {
  // An open question is answered with the button beside it, not from the action row.
  // "Use another agent" is on the card too: the story sits behind a rate limit that may last hours.
  return cardActions(c).filter((a) => CARD_BUTTONS.has(a) || a === 'otherAgent');
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
const AGENT_ACTIONS: ReadonlySet<CardAction> = new Set<CardAction>(['start', 'followup', 'answer', 'reject', 'fixup', 'otherAgent']);

const BUTTON: Record<string, { label: string; title: (id: number) => string; primary?: boolean }> = {
  start: { label: 'Start', title: (id) => `Start an agent on #${id}` },
  stop: { label: 'Stop', title: (id) => `Stop the agent on #${id}` },
  approve: { label: 'Approve', title: (id) => `Approve #${id}: on to merge`, primary: true },
  reject: { label: 'Reject', title: (id) => `Reject #${id} with feedback for its agent` },
  unblock: { label: 'Unblock', title: (id) => `Unblock #${id}` },
  fixup: { label: 'Fix up', title: (id) => `Send #${id} back to its coder to fix the merge` },
  followup: { label: 'Follow-up', title: (id) => `Send a follow-up to the last agent session on #${id}` },
  otherAgent: { label: 'Use another agent', title: (id) => `Start #${id} on another agent instead of waiting for the rate limit` },
  review: { label: 'Diff', title: (id) => `Review the changes of #${id} in the diff editor` },
  output: { label: 'Output', title: (id) => `Show the agent output of #${id}` },
};

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
    sig: (c, ctx) => (c.question ? JSON.stringify([c.question, c.questionOptions, c.run?.agent ?? c.agent, ctx.trusted]) : ''),
    build: (c, ctx) => {
      if (!c.question) return null;
      const box = el('div', 'card-question');
      box.setAttribute('role', 'group');
      const who = c.run?.agent ?? c.agent;
      const label = el('div', 'card-question-label', who ? `Question from ${who}` : 'Question');
      label.id = `question-label-${c.id}`;
      box.setAttribute('aria-labelledby', label.id);
      const text = el('div', 'card-question-text', c.question);
      const untrusted = 'Workspace not trusted: agents are disabled';
      const choices = questionChoices(c);
      // The agent's suggested answers, one button each (sent back by index); "Answer…" for words of your own.
      const buttons = el('div', 'card-question-options');
      for (const o of choices) {
        const b = makeButton(o.label, { action: optionAction(o.index), appearance: 'secondary', title: ctx.trusted ? `Answer "${o.label}" and resume the agent` : untrusted });
        if (!ctx.trusted) b.setAttribute('disabled', '');
        buttons.append(b);
      }
      const answer = makeButton(choices.length ? 'Answer…' : 'Answer', {
        action: 'answer',
        appearance: choices.length ? 'secondary' : 'primary',
        title: ctx.trusted ? `Answer the question on #${c.id} in your own words and resume the agent` : untrusted,
      });
      if (!ctx.trusted) answer.setAttribute('disabled', '');
      buttons.append(answer);
      box.append(label, text, buttons);
      return box;
    },
  },
  {
    sig: (c) => JSON.stringify([c.agent, c.run?.program, c.costUsd]),
    build: (c) => {
      const meta: string[] = [];
      if (c.agent) meta.push(c.agent);
      // The program that ran, by its own name (never a real program's for the simulated agent).
      if (c.run?.program) meta.push(c.run.program);
      if (c.costUsd !== undefined && c.costUsd > 0) meta.push(formatCost(c.costUsd));
      return meta.length ? el('div', 'card-meta', meta.join(' · ')) : null;
    },
  },
  {
    // Not run.lastSeq or token counts: they change with every line of output and the card shows neither.
    // The countdown ticks by itself (data-until): the signature changes only when the words do.
    sig: (c, ctx) => JSON.stringify(statusLine(c, ctx.now) ?? null),
    build: (c, ctx) => {
      const s = statusLine(c, ctx.now);
      return s ? renderStatus(s, ctx.now) : null;
    },
  },
  {
    sig: (c) => `${c.stackedOn ?? ''}|${c.waiting?.startsWith('stacked on') ?? ''}`,
    build: (c) => (c.stackedOn !== undefined && !c.waiting?.startsWith('stacked on') ? el('div', 'card-waiting', `Stacked on #${c.stackedOn}`) : null),
  },
  {
    sig: (c, ctx) => waitingText(c, ctx.now) ?? '',
    build: (c, ctx) => {
      const text = waitingText(c, ctx.now);
      return text ? el('div', 'card-waiting', text) : null;
    },
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
    sig: (c) => mergeFailureText(c) ?? '',
    build: (c) => {
      const text = mergeFailureText(c);
      if (text === undefined) return null;
      const line = el('div', 'card-blocked card-merge-failure', text);
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
  // A question or a wait is neither a success nor a failure, whatever the run's own status says.
  setData(card, 'runStatus', cardRunState(c, ctx.now));
  card.classList.toggle('blocked', c.blocked);
  card.classList.toggle('invalid', !!c.invalid);
  card.classList.toggle('has-question', !!c.question);
  patchSlots(entry, CARD_SLOTS, c, ctx, slotSigs);
}

/** The status line: the words, a countdown when it waits for a time, the time since a run started. */
function renderStatus(s: StatusLine, now: number): HTMLElement {
  const line = el('div', `card-status status-${s.state}`);
  line.setAttribute('role', 'status');
  if (s.title) line.title = s.title;
  if (s.state === 'running') line.append(makeSpinner());
  const text = el('span', 'status-text', s.text);
  line.append(text);
  if (s.countdown) {
    line.append(countdown('status-in', s.countdown.until, now, s.countdown));
    if (s.after) line.append(s.after);
  }
  if (s.since) {
    const since = el('span', 'elapsed', ` · ${formatDuration(Date.now() - s.since)}`);
    since.dataset.since = String(s.since);
    line.append(since);
  }
  return line;
}
