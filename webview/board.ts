// The pipeline board: one section per stage, one card per story, and a strip of agents. A replica
// of the host's BoardState: each `board` message is a full snapshot, applied with a keyed update so
// that only the cards and agents that changed are touched (messages can come every ~100 ms with 200 cards).
import type { AgentView, BoardState, CardView, HostMessage, RunView, Stage, WebviewMessage } from '../src/protocol/messages';
import { makeButton, makeSpinner, registerToolkit } from './toolkit';
import { getState, onMessage, post, setState } from './vscodeApi';

// The webview may import only from src/protocol/, so the stage list lives here too; the
// Record type makes tsc flag a stage added to the model but missing here.
const STAGE_TITLES: Record<Stage, string> = {
  backlog: 'Backlog',
  current: 'Current',
  qa: 'QA',
  merge: 'Merge',
  done: 'Done',
  archived: 'Archived',
};
const STAGES = Object.keys(STAGE_TITLES) as Stage[];

/** Cards rendered per stage before a "Show more" button; keeps a large archive from bloating the DOM. */
const PAGE = 200;

interface SavedState {
  collapsed?: Stage[];
  agentsCollapsed?: boolean;
}

/** A keyed element (a card or an agent) made of slots. */
interface SlotEntry {
  el: HTMLElement;
  /** Signature of everything the element shows; equal means nothing to do. */
  sig: string;
  /** Per-slot signature and element, so a change touches only its own part of the element. */
  slotSigs: string[];
  slotEls: (HTMLElement | null)[];
}

/** What a render knows besides the item itself. */
interface RenderCtx {
  trusted: boolean;
  /** One clock reading per render, so every "is it in the future" agrees. */
  now: number;
}

/** One part of a card or an agent, top to bottom: a signature of what it shows and a builder. */
interface Slot<T> {
  sig(item: T, ctx: RenderCtx): string;
  build(item: T, ctx: RenderCtx): HTMLElement | null;
}

interface StageParts {
  section: HTMLElement;
  toggle: HTMLButtonElement;
  title: HTMLElement;
  list: HTMLElement;
  more: HTMLButtonElement;
  limit: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function isActive(run: RunView | undefined): boolean {
  return run !== undefined && (run.status === 'running' || run.status === 'queued');
}

function hasEnded(run: RunView | undefined): boolean {
  return run !== undefined && (run.status === 'succeeded' || run.status === 'failed' || run.status === 'stopped');
}

function formatCost(usd: number): string {
  if (usd > 0 && usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Time left, rounded up so that "0s" never shows while the wait is still on. */
function formatLeft(ms: number, coarse: boolean): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  if (!coarse) return formatDuration(s * 1000);
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** HH:MM in local time, with the date when it is not today. */
function formatClock(at: number, now: number): string {
  const d = new Date(at);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return d.toDateString() === new Date(now).toDateString() ? hm : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${hm}`;
}

/**
 * A text that the board's one ticker counts down to `until`: `prefix` + time left, then
 * `done` once it has passed. The ticker finds it by data-until and touches nothing else.
 */
function countdown(className: string, until: number, now: number, opts: { coarse?: boolean; prefix?: string; done: string }): HTMLElement {
  const s = el('span', `countdown ${className}`);
  s.dataset.until = String(until);
  s.dataset.prefix = opts.prefix ?? '';
  s.dataset.done = opts.done;
  if (opts.coarse) s.dataset.coarse = '';
  s.textContent = countdownText(s, now);
  return s;
}

function countdownText(e: HTMLElement, now: number): string {
  const left = Number(e.dataset.until) - now;
  return left > 0 ? `${e.dataset.prefix ?? ''}${formatLeft(left, e.dataset.coarse !== undefined)}` : (e.dataset.done ?? '');
}

function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** For the ticker: rewrites the text node in place (one characterData change, no new node). */
function setTickText(e: HTMLElement, text: string): void {
  const node = e.firstChild;
  if (node && node === e.lastChild && node.nodeType === Node.TEXT_NODE) {
    if ((node as Text).data !== text) (node as Text).data = text;
  } else setText(e, text);
}

function setHidden(e: HTMLElement, hidden: boolean): void {
  if (e.hidden !== hidden) e.hidden = hidden;
}

function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}

/** Rebuilds the slots whose signature changed, in place; keeps keyboard focus on the same action. */
function patchSlots<T>(entry: SlotEntry, slots: Slot<T>[], item: T, ctx: RenderCtx, slotSigs: string[]): void {
  const host = entry.el;
  const focused = host.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
  let prev: HTMLElement | null = null;
  for (let i = 0; i < slots.length; i++) {
    if (entry.slotSigs[i] !== slotSigs[i]) {
      const old = entry.slotEls[i];
      const next = slots[i].build(item, ctx);
      if (old && next) old.replaceWith(next);
      else if (old) old.remove();
      else if (next) {
        if (prev) prev.after(next);
        else host.prepend(next);
      }
      entry.slotEls[i] = next;
      entry.slotSigs[i] = slotSigs[i];
    }
    prev = entry.slotEls[i] ?? prev;
  }
  if (focused && !host.contains(document.activeElement)) host.querySelector<HTMLElement>(`[data-action="${focused}"]`)?.focus();
}

function newEntry(className: string, slotCount: number): SlotEntry {
  const e: SlotEntry = { el: el('div', className), sig: '', slotSigs: Array<string>(slotCount).fill('\0'), slotEls: Array<HTMLElement | null>(slotCount).fill(null) };
  e.el.setAttribute('role', 'listitem');
  return e;
}

// ---- cards ----

function actionKinds(c: CardView): string[] {
  const kinds: string[] = [];
  // A blocked or invalid story offers no Start: it is unblocked (or fixed) first.
  if (!isActive(c.run) && !c.blocked && !c.invalid && (c.stage === 'backlog' || c.stage === 'current')) kinds.push('start');
  if (c.blocked && !c.question) kinds.push('unblock');
  if (c.stage === 'qa' && !isActive(c.run) && !c.blocked) kinds.push('approve', 'reject');
  if (isActive(c.run)) kinds.push('stop');
  // An open question is answered instead: the Answer button sits with the question.
  if (hasEnded(c.run) && !c.question && (c.stage === 'current' || c.stage === 'qa')) kinds.push('followup');
  if (c.run) kinds.push('output');
  return kinds;
}

/** The blocked reason, unless it only repeats the open question that the card already shows. */
function blockedText(c: CardView): string | undefined {
  if (!c.blocked) return undefined;
  if (c.question && (!c.blockedReason || c.blockedReason.includes(c.question))) return undefined;
  return `Blocked${c.blockedReason ? `: ${c.blockedReason}` : ''}`;
}

function isResuming(c: CardView, now: number): boolean {
  return c.resumeAt !== undefined && c.resumeAt > now;
}

const CARD_SLOTS: Slot<CardView>[] = [
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
    sig: (c) => c.waiting ?? '',
    build: (c) => (c.waiting ? el('div', 'card-waiting', `Waits: ${c.waiting}`) : null),
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
    sig: (c, ctx) => `${actionKinds(c).join(',')}|${ctx.trusted}`,
    build: (c, ctx) => {
      const kinds = actionKinds(c);
      if (!kinds.length) return null;
      const untrusted = 'Workspace not trusted: agents are disabled';
      const actions = el('div', 'card-actions');
      for (const kind of kinds) {
        if (kind === 'start') {
          const start = makeButton('Start', { action: 'start', appearance: 'secondary', title: ctx.trusted ? `Start an agent on #${c.id}` : untrusted });
          if (!ctx.trusted) start.setAttribute('disabled', '');
          actions.append(start);
        } else if (kind === 'stop') {
          actions.append(makeButton('Stop', { action: 'stop', appearance: 'secondary', title: `Stop the agent on #${c.id}` }));
        } else if (kind === 'followup') {
          const follow = makeButton('Follow-up', {
            action: 'followup',
            appearance: 'secondary',
            title: ctx.trusted ? `Send a follow-up to the last agent session on #${c.id}` : untrusted,
          });
          if (!ctx.trusted) follow.setAttribute('disabled', '');
          actions.append(follow);
        } else if (kind === 'approve' || kind === 'reject' || kind === 'unblock') {
          const label = kind === 'approve' ? 'Approve' : kind === 'reject' ? 'Reject' : 'Unblock';
          const title = kind === 'approve' ? `Approve #${c.id}: on to merge` : kind === 'reject' ? `Reject #${c.id} with feedback for its agent` : `Unblock #${c.id}`;
          actions.append(makeButton(label, { action: kind, appearance: kind === 'approve' ? 'primary' : 'secondary', title }));
        } else {
          actions.append(makeButton('Output', { action: 'output', appearance: 'secondary', title: `Show the agent output of #${c.id}` }));
        }
      }
      return actions;
    },
  },
];

function updateCard(entry: SlotEntry, c: CardView, ctx: RenderCtx, slotSigs: string[]): void {
  const card = entry.el;
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

// ---- agents ----

function isRateLimited(a: AgentView, now: number): boolean {
  return a.rateLimitedUntil !== undefined && a.rateLimitedUntil > now;
}

/** The one condition the agent's marker shows, worst first. */
function agentState(a: AgentView, now: number): string {
  if (!a.ok) return 'error';
  if (a.drained !== undefined) return 'drained';
  if (isRateLimited(a, now)) return 'limited';
  return a.running > 0 ? 'running' : 'idle';
}

function needsAttention(a: AgentView, now: number): boolean {
  const s = agentState(a, now);
  return s === 'error' || s === 'drained' || s === 'limited';
}

const AGENT_SLOTS: Slot<AgentView>[] = [
  {
    sig: (a) => JSON.stringify([a.name, a.runtime, a.running, a.costUsd, a.ok ? a.status : '']),
    build: (a) => {
      const head = el('div', 'agent-head');
      const dot = el('span', 'agent-dot');
      dot.setAttribute('aria-hidden', 'true');
      const name = el('span', 'agent-name', a.name);
      name.title = a.ok && a.status ? `${a.name} (${a.runtime}): ${a.status}` : `${a.name} (${a.runtime})`;
      head.append(dot, name, el('span', 'agent-runtime', a.runtime));
      if (a.running > 0) head.append(el('span', 'agent-running badge', `${a.running} running`));
      const cost = el('span', 'agent-cost', formatCost(a.costUsd));
      cost.title = `Cost of ${a.name}`;
      head.append(cost);
      return head;
    },
  },
  {
    sig: (a) => (a.ok ? '' : a.status),
    build: (a) => {
      if (a.ok) return null;
      const line = el('div', 'agent-problem');
      const marker = el('span', 'agent-marker', '!');
      marker.setAttribute('aria-hidden', 'true');
      line.append(marker, el('span', 'agent-problem-text', a.status || 'not ready'));
      return line;
    },
  },
  {
    sig: (a, ctx) => (isRateLimited(a, ctx.now) ? String(a.rateLimitedUntil) : ''),
    build: (a, ctx) => {
      if (!isRateLimited(a, ctx.now)) return null;
      const line = el('div', 'agent-limited', `rate-limited until ${formatClock(a.rateLimitedUntil!, ctx.now)} (`);
      line.append(countdown('limit-in', a.rateLimitedUntil!, ctx.now, { coarse: true, prefix: 'in ', done: 'lifting now' }), ')');
      return line;
    },
  },
  {
    sig: (a) => (a.drained === undefined ? '' : JSON.stringify([a.drained])),
    build: (a) => {
      if (a.drained === undefined) return null;
      const line = el('div', 'agent-drained');
      line.append(el('span', 'agent-drained-text', `drained: ${a.drained || 'no reason given'}`));
      line.append(makeButton('Acknowledge', { action: 'acknowledge', appearance: 'secondary', title: `Let ${a.name} take work again` }));
      return line;
    },
  },
];

class Board {
  private readonly root: HTMLElement;
  private readonly projectName: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly spent: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly newStory: HTMLElement;
  private initButton: HTMLElement | undefined;
  private readonly trustBanner: HTMLElement;
  private readonly pausedBanner: HTMLElement;
  private readonly pausedText: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly problemList: HTMLElement;
  private readonly emptyState: HTMLElement;
  private readonly agentsSection: HTMLElement;
  private readonly agentsToggle: HTMLButtonElement;
  private readonly agentsTitle: HTMLElement;
  private readonly agentsAlert: HTMLElement;
  private readonly agentList: HTMLElement;
  private readonly agents = new Map<string, SlotEntry>();
  private agentsCollapsed: boolean;
  private readonly stages = new Map<Stage, StageParts>();
  private readonly cards = new Map<number, SlotEntry>();
  private readonly collapsed: Set<Stage>;
  private lastSeq = -Infinity;
  private pending: BoardState | undefined;
  private current: BoardState | undefined;
  private frame = 0;
  private fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  /** The board's one 1 s interval: elapsed times and countdowns. Runs only while one is shown. */
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(parent: HTMLElement) {
    const saved = getState<SavedState>();
    this.collapsed = new Set((saved.collapsed ?? []).filter((s): s is Stage => Object.hasOwn(STAGE_TITLES, s)));
    this.agentsCollapsed = saved.agentsCollapsed === true;

    this.root = el('div');
    this.root.id = 'board';

    const header = el('header');
    header.id = 'board-header';
    const titleRow = el('div', 'header-title');
    this.projectName = el('span', 'project-name', 'Huskies');
    this.summary = el('span', 'agents-summary');
    this.summary.id = 'agents-summary';
    this.summary.title = 'Agents running · queued / maximum coders';
    this.spent = el('span', 'spent-today', 'today $0.00');
    this.spent.id = 'spent-today';
    this.spent.title = 'Agent cost today';
    titleRow.append(this.projectName, this.summary, this.spent);
    this.actions = el('div', 'header-actions');
    this.newStory = makeButton('New Story', { id: 'new-story', action: 'newStory', appearance: 'secondary' });
    this.actions.append(this.newStory);
    header.append(titleRow, this.actions);

    this.trustBanner = el('div', 'banner banner-warning', 'Workspace not trusted: agents are disabled');
    this.trustBanner.id = 'trust-banner';
    this.trustBanner.setAttribute('role', 'status');
    this.trustBanner.hidden = true;

    this.pausedBanner = el('div', 'banner banner-warning paused');
    this.pausedBanner.id = 'paused';
    this.pausedBanner.setAttribute('role', 'status');
    this.pausedText = el('span', 'paused-reason');
    this.pausedBanner.append(el('span', 'paused-label', 'New agents paused: '), this.pausedText);
    this.pausedBanner.hidden = true;

    this.problems = el('div', 'banner banner-warning problems');
    this.problems.id = 'problems';
    this.problems.setAttribute('role', 'alert');
    this.problems.append(el('div', 'problems-title', 'Configuration problems'));
    this.problemList = el('ul', 'problem-list');
    this.problems.append(this.problemList);
    this.problems.hidden = true;

    this.emptyState = el('div', 'empty-state', 'This folder has no Huskies project yet. Initialize one to create .huskies/ with a backlog, agents and settings.');
    this.emptyState.hidden = true;

    this.agentsSection = el('section', 'agents');
    this.agentsSection.id = 'agents';
    this.agentsSection.hidden = true;
    const ah = el('h2', 'stage-header');
    this.agentsToggle = el('button', 'stage-toggle agents-toggle');
    this.agentsToggle.type = 'button';
    this.agentsTitle = el('span', 'stage-title', 'Agents (0)');
    this.agentsAlert = el('span', 'agents-alert');
    this.agentsAlert.hidden = true;
    this.agentsToggle.append(this.agentsTitle, this.agentsAlert);
    ah.append(this.agentsToggle);
    this.agentList = el('div', 'agent-list');
    this.agentList.id = 'agent-list';
    this.agentList.setAttribute('role', 'list');
    this.agentsToggle.setAttribute('aria-controls', this.agentList.id);
    this.agentsSection.append(ah, this.agentList);
    this.applyAgentsCollapsed();

    const stagesEl = el('div', 'stages');
    for (const stage of STAGES) {
      const section = el('section', 'stage');
      section.dataset.stage = stage;
      const h = el('h2', 'stage-header');
      const toggle = el('button', 'stage-toggle');
      toggle.type = 'button';
      const title = el('span', 'stage-title', `${STAGE_TITLES[stage]} (0)`);
      toggle.append(title);
      h.append(toggle);
      const list = el('div', 'stage-cards');
      list.setAttribute('role', 'list');
      list.id = `stage-${stage}`;
      toggle.setAttribute('aria-controls', list.id);
      const more = el('button', 'show-more');
      more.type = 'button';
      more.hidden = true;
      section.append(h, list, more);
      stagesEl.append(section);
      const parts: StageParts = { section, toggle, title, list, more, limit: PAGE };
      this.stages.set(stage, parts);
      this.applyCollapsed(stage);
    }

    this.root.append(header, this.trustBanner, this.pausedBanner, this.problems, this.emptyState, this.agentsSection, stagesEl);
    parent.append(this.root);
    this.root.addEventListener('click', (e) => this.onClick(e));
  }

  receive(seq: number, state: BoardState): void {
    if (seq < this.lastSeq) return;
    this.lastSeq = seq;
    this.pending = state;
    if (this.frame || this.fallbackTimer !== undefined) return;
    // Coalesce bursts into one render per frame; the timer covers hidden webviews where
    // animation frames are paused, so the view is current when it is shown again.
    const flush = (): void => {
      if (this.frame) cancelAnimationFrame(this.frame);
      if (this.fallbackTimer !== undefined) clearTimeout(this.fallbackTimer);
      this.frame = 0;
      this.fallbackTimer = undefined;
      const s = this.pending;
      this.pending = undefined;
      if (s) this.render(s);
    };
    this.frame = requestAnimationFrame(flush);
    this.fallbackTimer = setTimeout(flush, 250);
  }

  private render(state: BoardState): void {
    this.current = state;
    const ctx: RenderCtx = { trusted: state.trusted, now: Date.now() };
    this.renderHeader(state);
    this.renderAgents(state.agents ?? [], ctx);

    const byStage = new Map<Stage, CardView[]>(STAGES.map((s) => [s, []]));
    for (const c of state.cards) byStage.get(c.stage)?.push(c);

    // Which cards get an element: each stage's first `limit` cards, in the host's order.
    const shown = new Map<Stage, CardView[]>();
    const keep = new Set<number>();
    for (const stage of STAGES) {
      const all = byStage.get(stage)!;
      const parts = this.stages.get(stage)!;
      const visible = all.slice(0, parts.limit);
      shown.set(stage, visible);
      for (const c of visible) keep.add(c.id);
      setText(parts.title, `${STAGE_TITLES[stage]} (${all.length})`);
      const hiddenCount = all.length - visible.length;
      setHidden(parts.more, hiddenCount <= 0);
      if (hiddenCount > 0) setText(parts.more, `Show ${Math.min(PAGE, hiddenCount)} more (${hiddenCount} not shown)`);
    }
    for (const [id, entry] of this.cards) {
      if (!keep.has(id)) {
        entry.el.remove();
        this.cards.delete(id);
      }
    }
    for (const stage of STAGES) {
      const list = this.stages.get(stage)!.list;
      const visible = shown.get(stage)!;
      for (let i = 0; i < visible.length; i++) {
        const card = visible[i];
        const slotSigs = CARD_SLOTS.map((slot) => slot.sig(card, ctx));
        const sig = `${card.stage}\n${card.run?.status ?? ''}\n${card.blocked}\n${!!card.invalid}\n${slotSigs.join('\n')}`;
        let entry = this.cards.get(card.id);
        if (!entry) {
          entry = newEntry('card', CARD_SLOTS.length);
          this.cards.set(card.id, entry);
        }
        if (entry.sig !== sig) {
          updateCard(entry, card, ctx, slotSigs);
          entry.sig = sig;
        }
        // Move only what is out of place; appending an element that is already there would still cost a reflow.
        const at = list.children[i];
        if (at !== entry.el) list.insertBefore(entry.el, at ?? null);
      }
      // Anything left after the stage's own cards has moved to a later stage and is moved there in turn.
      while (list.children.length > visible.length) {
        const extra = list.children[visible.length];
        const target = this.findTargetList(extra as HTMLElement);
        if (target && target !== list) target.append(extra);
        else extra.remove();
      }
    }
    this.syncTicker();
  }

  private findTargetList(card: HTMLElement): HTMLElement | undefined {
    const stage = card.dataset.stage as Stage | undefined;
    return stage ? this.stages.get(stage)?.list : undefined;
  }

  private renderHeader(state: BoardState): void {
    setText(this.projectName, state.projectName || 'Huskies');
    setText(this.summary, `${state.running} running · ${state.queued} queued / ${state.maxCoders}`);
    setText(this.spent, `today $${(state.spentToday ?? 0).toFixed(2)}`);
    setHidden(this.trustBanner, state.trusted);
    setHidden(this.pausedBanner, !state.paused);
    setText(this.pausedText, state.paused ?? '');
    setHidden(this.emptyState, state.initialized);
    if (!state.initialized && !this.initButton) {
      this.initButton = makeButton('Initialize Project', { id: 'init-project', action: 'initProject' });
      this.actions.prepend(this.initButton);
    } else if (state.initialized && this.initButton) {
      this.initButton.remove();
      this.initButton = undefined;
    }
    const problems = state.problems ?? [];
    setHidden(this.problems, problems.length === 0);
    const key = JSON.stringify(problems);
    if (this.problemList.dataset.key !== key) {
      this.problemList.dataset.key = key;
      this.problemList.replaceChildren(...problems.map((p) => el('li', undefined, p)));
    }
  }

  private renderAgents(agents: AgentView[], ctx: RenderCtx): void {
    setHidden(this.agentsSection, agents.length === 0);
    setText(this.agentsTitle, `Agents (${agents.length})`);
    // Shown in the section header, so a collapsed strip still says when an agent needs a look.
    const attention = agents.filter((a) => needsAttention(a, ctx.now)).length;
    setHidden(this.agentsAlert, attention === 0);
    setText(this.agentsAlert, attention ? `${attention} need${attention === 1 ? 's' : ''} attention` : '');

    const keep = new Set(agents.map((a) => a.name));
    for (const [name, entry] of this.agents) {
      if (!keep.has(name)) {
        entry.el.remove();
        this.agents.delete(name);
      }
    }
    for (let i = 0; i < agents.length; i++) {
      const a = agents[i];
      const slotSigs = AGENT_SLOTS.map((slot) => slot.sig(a, ctx));
      const state = agentState(a, ctx.now);
      const sig = `${state}\n${slotSigs.join('\n')}`;
      let entry = this.agents.get(a.name);
      if (!entry) {
        entry = newEntry('agent', AGENT_SLOTS.length);
        this.agents.set(a.name, entry);
      }
      if (entry.sig !== sig) {
        setData(entry.el, 'agent', a.name);
        setData(entry.el, 'state', state);
        patchSlots(entry, AGENT_SLOTS, a, ctx, slotSigs);
        entry.sig = sig;
      }
      const at = this.agentList.children[i];
      if (at !== entry.el) this.agentList.insertBefore(entry.el, at ?? null);
    }
  }

  /** Starts the shared ticker when something on the board counts, stops it when nothing does. */
  private syncTicker(): void {
    const live = this.root.querySelector('[data-since], [data-until]') !== null;
    if (live && this.ticker === undefined) this.ticker = setInterval(() => this.tick(), 1000);
    else if (!live && this.ticker !== undefined) this.stopTicker();
  }

  private stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private tick(): void {
    const now = Date.now();
    let live = 0;
    // (NodeList.forEach: the project's lib has DOM but not DOM.Iterable.)
    this.root.querySelectorAll<HTMLElement>('.elapsed[data-since]').forEach((e) => {
      live++;
      setTickText(e, ` · ${formatDuration(now - Number(e.dataset.since))}`);
    });
    this.root.querySelectorAll<HTMLElement>('.countdown[data-until]').forEach((e) => {
      setTickText(e, countdownText(e, now));
      // Past its end it shows its final text and no longer counts; the host's next state removes it.
      if (Number(e.dataset.until) > now) live++;
      else delete e.dataset.until;
    });
    if (!live) this.stopTicker();
  }

  private applyCollapsed(stage: Stage): void {
    const parts = this.stages.get(stage)!;
    const collapsed = this.collapsed.has(stage);
    parts.section.classList.toggle('collapsed', collapsed);
    parts.toggle.setAttribute('aria-expanded', String(!collapsed));
    parts.list.hidden = collapsed;
  }

  private applyAgentsCollapsed(): void {
    this.agentsSection.classList.toggle('collapsed', this.agentsCollapsed);
    this.agentsToggle.setAttribute('aria-expanded', String(!this.agentsCollapsed));
    this.agentList.hidden = this.agentsCollapsed;
  }

  private saveState(): void {
    setState<SavedState>({ collapsed: [...this.collapsed], agentsCollapsed: this.agentsCollapsed });
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    if (target.closest('.agents-toggle')) {
      this.agentsCollapsed = !this.agentsCollapsed;
      this.applyAgentsCollapsed();
      this.saveState();
      return;
    }
    const toggle = target.closest('.stage-toggle');
    if (toggle) {
      const stage = toggle.closest<HTMLElement>('section.stage')?.dataset.stage as Stage | undefined;
      if (!stage) return;
      if (this.collapsed.has(stage)) this.collapsed.delete(stage);
      else this.collapsed.add(stage);
      this.applyCollapsed(stage);
      this.saveState();
      return;
    }
    const more = target.closest('.show-more');
    if (more) {
      const stage = more.closest<HTMLElement>('section.stage')?.dataset.stage as Stage | undefined;
      const parts = stage && this.stages.get(stage);
      if (parts && this.current) {
        parts.limit += PAGE;
        this.render(this.current);
      }
      return;
    }
    const actionEl = target.closest<HTMLElement>('[data-action]');
    const action = actionEl?.dataset.action;
    if (actionEl && (actionEl.hasAttribute('disabled') || actionEl.getAttribute('aria-disabled') === 'true')) return;
    if (action === 'newStory' || action === 'initProject') {
      post({ type: action });
      return;
    }
    if (action === 'acknowledge') {
      const agent = actionEl!.closest<HTMLElement>('.agent')?.dataset.agent;
      if (agent) post({ type: 'acknowledgeAgent', agent });
      return;
    }
    const card = target.closest<HTMLElement>('.card');
    const storyId = Number(card?.dataset.storyId);
    if (!card || !Number.isInteger(storyId)) return;
    let msg: WebviewMessage | undefined;
    switch (action) {
      case 'start':
        msg = { type: 'startAgent', storyId };
        break;
      case 'stop':
        msg = { type: 'stopAgent', storyId };
        break;
      case 'output':
        msg = { type: 'openOutput', storyId };
        break;
      case 'open':
        msg = { type: 'openStory', storyId };
        break;
      case 'followup':
        msg = { type: 'followUp', storyId };
        break;
      case 'answer':
      case 'approve':
      case 'reject':
      case 'unblock':
        msg = { type: action, storyId };
        break;
      default:
        // A click anywhere else on a running card shows what its agent is doing.
        if (!actionEl && card.dataset.runStatus === 'running') msg = { type: 'openOutput', storyId };
    }
    if (msg) post(msg);
  }
}

function main(): void {
  registerToolkit();
  const board = new Board(document.body);
  onMessage((m: HostMessage) => {
    if (m.type === 'board') board.receive(m.seq, m.state);
  });
  post({ type: 'ready' });
}

main();
