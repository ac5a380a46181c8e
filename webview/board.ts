// The pipeline board: one section per stage, one card per story. A replica of the host's
// BoardState: each `board` message is a full snapshot, applied with a keyed update so that
// only the cards that changed are touched (messages can come every ~100 ms with 200 cards).
import type { BoardState, CardView, HostMessage, RunView, Stage, WebviewMessage } from '../src/protocol/messages';
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
}

interface CardEntry {
  el: HTMLElement;
  /** Signature of everything the card shows; equal means nothing to do. */
  sig: string;
  /** Per-slot signature and element, so a change touches only its own part of the card. */
  slotSigs: string[];
  slotEls: (HTMLElement | null)[];
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

// ---- cards ----

/** The parts of a card, top to bottom: each with a signature of what it shows and a builder. */
interface Slot {
  sig(c: CardView, trusted: boolean): string;
  build(c: CardView, trusted: boolean): HTMLElement | null;
}

function actionKinds(c: CardView): string[] {
  const kinds: string[] = [];
  if (!isActive(c.run) && (c.stage === 'backlog' || c.stage === 'current')) kinds.push('start');
  if (isActive(c.run)) kinds.push('stop');
  if (c.run) kinds.push('output');
  return kinds;
}

const SLOTS: Slot[] = [
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
    sig: (c) => (c.run ? JSON.stringify([c.run.status, c.run.agent, c.run.reason, c.run.startedAt]) : ''),
    build: (c) => (c.run ? statusLine(c.run) : null),
  },
  {
    sig: (c) => (c.blocked ? JSON.stringify([c.blockedReason]) : ''),
    build: (c) => (c.blocked ? el('div', 'card-blocked', `Blocked${c.blockedReason ? `: ${c.blockedReason}` : ''}`) : null),
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
    sig: (c, trusted) => `${actionKinds(c).join(',')}|${trusted}`,
    build: (c, trusted) => {
      const kinds = actionKinds(c);
      if (!kinds.length) return null;
      const actions = el('div', 'card-actions');
      for (const kind of kinds) {
        if (kind === 'start') {
          const start = makeButton('Start', { action: 'start', appearance: 'secondary', title: trusted ? `Start an agent on #${c.id}` : 'Workspace not trusted: agents are disabled' });
          if (!trusted) start.setAttribute('disabled', '');
          actions.append(start);
        } else if (kind === 'stop') {
          actions.append(makeButton('Stop', { action: 'stop', appearance: 'secondary', title: `Stop the agent on #${c.id}` }));
        } else {
          actions.append(makeButton('Output', { action: 'output', appearance: 'secondary', title: `Show the agent output of #${c.id}` }));
        }
      }
      return actions;
    },
  },
];

function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}

function updateCard(entry: CardEntry, c: CardView, trusted: boolean, slotSigs: string[]): void {
  const card = entry.el;
  setData(card, 'storyId', String(c.id));
  setData(card, 'stage', c.stage);
  setData(card, 'runStatus', c.run?.status ?? 'none');
  card.classList.toggle('blocked', c.blocked);
  card.classList.toggle('invalid', !!c.invalid);
  const focused = card.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
  let prev: HTMLElement | null = null;
  for (let i = 0; i < SLOTS.length; i++) {
    if (entry.slotSigs[i] !== slotSigs[i]) {
      const old = entry.slotEls[i];
      const next = SLOTS[i].build(c, trusted);
      if (old && next) old.replaceWith(next);
      else if (old) old.remove();
      else if (next) {
        if (prev) prev.after(next);
        else card.prepend(next);
      }
      entry.slotEls[i] = next;
      entry.slotSigs[i] = slotSigs[i];
    }
    prev = entry.slotEls[i] ?? prev;
  }
  if (focused && !card.contains(document.activeElement)) card.querySelector<HTMLElement>(`[data-action="${focused}"]`)?.focus();
}

function statusLine(run: RunView): HTMLElement {
  const line = el('div', `card-status status-${run.status}`);
  line.setAttribute('role', 'status');
  if (run.status === 'running') line.append(makeSpinner());
  let text: string = run.status;
  if (run.status === 'running' || run.status === 'queued') text += ` · ${run.agent}`;
  if ((run.status === 'failed' || run.status === 'stopped') && run.reason) text += `: ${run.reason}`;
  line.append(el('span', 'status-text', text));
  if (run.status === 'running' && run.startedAt) {
    const since = el('span', 'elapsed', ` · ${formatDuration(Date.now() - run.startedAt)}`);
    since.dataset.since = String(run.startedAt);
    line.append(since);
  }
  return line;
}

class Board {
  private readonly root: HTMLElement;
  private readonly projectName: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly newStory: HTMLElement;
  private initButton: HTMLElement | undefined;
  private readonly trustBanner: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly problemList: HTMLElement;
  private readonly emptyState: HTMLElement;
  private readonly stages = new Map<Stage, StageParts>();
  private readonly cards = new Map<number, CardEntry>();
  private readonly collapsed: Set<Stage>;
  private lastSeq = -Infinity;
  private pending: BoardState | undefined;
  private current: BoardState | undefined;
  private frame = 0;
  private fallbackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(parent: HTMLElement) {
    const saved = getState<SavedState>();
    this.collapsed = new Set((saved.collapsed ?? []).filter((s): s is Stage => Object.hasOwn(STAGE_TITLES, s)));

    this.root = el('div');
    this.root.id = 'board';

    const header = el('header');
    header.id = 'board-header';
    const titleRow = el('div', 'header-title');
    this.projectName = el('span', 'project-name', 'Huskies');
    this.summary = el('span', 'agents-summary');
    this.summary.id = 'agents-summary';
    this.summary.title = 'Agents running · queued / maximum coders';
    titleRow.append(this.projectName, this.summary);
    this.actions = el('div', 'header-actions');
    this.newStory = makeButton('New Story', { id: 'new-story', action: 'newStory', appearance: 'secondary' });
    this.actions.append(this.newStory);
    header.append(titleRow, this.actions);

    this.trustBanner = el('div', 'banner banner-warning', 'Workspace not trusted: agents are disabled');
    this.trustBanner.id = 'trust-banner';
    this.trustBanner.setAttribute('role', 'status');
    this.trustBanner.hidden = true;

    this.problems = el('div', 'banner banner-warning problems');
    this.problems.id = 'problems';
    this.problems.setAttribute('role', 'alert');
    this.problems.append(el('div', 'problems-title', 'Configuration problems'));
    this.problemList = el('ul', 'problem-list');
    this.problems.append(this.problemList);
    this.problems.hidden = true;

    this.emptyState = el('div', 'empty-state', 'This folder has no Huskies project yet. Initialize one to create .huskies/ with a backlog, agents and settings.');
    this.emptyState.hidden = true;

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

    this.root.append(header, this.trustBanner, this.problems, this.emptyState, stagesEl);
    parent.append(this.root);
    this.root.addEventListener('click', (e) => this.onClick(e));
    // Elapsed times of running cards tick without a message from the host.
    setInterval(() => this.tickElapsed(), 1000);
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
    this.renderHeader(state);

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
      parts.more.hidden = hiddenCount <= 0;
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
        const slotSigs = SLOTS.map((slot) => slot.sig(card, state.trusted));
        const sig = `${card.stage}\n${card.run?.status ?? ''}\n${card.blocked}\n${slotSigs.join('\n')}`;
        let entry = this.cards.get(card.id);
        if (!entry) {
          entry = { el: el('div', 'card'), sig: '', slotSigs: SLOTS.map(() => '\0'), slotEls: SLOTS.map(() => null) };
          entry.el.setAttribute('role', 'listitem');
          this.cards.set(card.id, entry);
        }
        if (entry.sig !== sig) {
          updateCard(entry, card, state.trusted, slotSigs);
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
  }

  private findTargetList(card: HTMLElement): HTMLElement | undefined {
    const stage = card.dataset.stage as Stage | undefined;
    return stage ? this.stages.get(stage)?.list : undefined;
  }

  private renderHeader(state: BoardState): void {
    setText(this.projectName, state.projectName || 'Huskies');
    setText(this.summary, `${state.running} running · ${state.queued} queued / ${state.maxCoders}`);
    this.trustBanner.hidden = state.trusted;
    this.emptyState.hidden = state.initialized;
    if (!state.initialized && !this.initButton) {
      this.initButton = makeButton('Initialize Project', { id: 'init-project', action: 'initProject' });
      this.actions.prepend(this.initButton);
    } else if (state.initialized && this.initButton) {
      this.initButton.remove();
      this.initButton = undefined;
    }
    const problems = state.problems ?? [];
    this.problems.hidden = problems.length === 0;
    const key = JSON.stringify(problems);
    if (this.problemList.dataset.key !== key) {
      this.problemList.dataset.key = key;
      this.problemList.replaceChildren(...problems.map((p) => el('li', undefined, p)));
    }
  }

  private tickElapsed(): void {
    const now = Date.now();
    // (NodeList.forEach: the project's lib has DOM but not DOM.Iterable.)
    this.root.querySelectorAll<HTMLElement>('.elapsed[data-since]').forEach((e) => {
      setText(e, ` · ${formatDuration(now - Number(e.dataset.since))}`);
    });
  }

  private applyCollapsed(stage: Stage): void {
    const parts = this.stages.get(stage)!;
    const collapsed = this.collapsed.has(stage);
    parts.section.classList.toggle('collapsed', collapsed);
    parts.toggle.setAttribute('aria-expanded', String(!collapsed));
    parts.list.hidden = collapsed;
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const toggle = target.closest('.stage-toggle');
    if (toggle) {
      const stage = toggle.closest<HTMLElement>('section.stage')?.dataset.stage as Stage | undefined;
      if (!stage) return;
      if (this.collapsed.has(stage)) this.collapsed.delete(stage);
      else this.collapsed.add(stage);
      this.applyCollapsed(stage);
      setState<SavedState>({ collapsed: [...this.collapsed] });
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
