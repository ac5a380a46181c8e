// The pipeline board: one section per stage, one card per story, and a strip of agents. A replica
// of the host's BoardState: each `board` message is a full snapshot, applied with a keyed update so
// that only the cards and agents that changed are touched (messages can come every ~100 ms with 200 cards).
import type { AgentView, BoardState, CardView, HostMessage, Stage } from '../src/protocol/messages';
import { AGENT_SLOTS, agentState, needsAttention } from './agents';
import { CARD_SLOTS, cardContext, updateCard } from './cards';
import { cardMessage } from './cardMessages';
import { el, setData, setHidden, setText, setTickText, countdownText, formatDuration } from './dom';
import { CardDrag } from './drag';
import { ControlsPanel } from './controls';
import { newEntry, patchSlots, type RenderCtx, type SlotEntry } from './slots';
import { makeButton, registerToolkit } from './toolkit';
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
const isStage = (s: string | undefined): s is Stage => s !== undefined && Object.hasOwn(STAGE_TITLES, s);

/** Cards rendered per stage before a "Show more" button; keeps a large archive from bloating the DOM. */
const PAGE = 200;

interface SavedState {
  collapsed?: Stage[];
  agentsCollapsed?: boolean;
}

interface StageParts {
  section: HTMLElement;
  toggle: HTMLButtonElement;
  title: HTMLElement;
  list: HTMLElement;
  more: HTMLButtonElement;
  limit: number;
}

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
  private readonly drag: CardDrag;
  private readonly controls = new ControlsPanel(post);

  constructor(parent: HTMLElement) {
    const saved = getState<SavedState>();
    this.collapsed = new Set((saved.collapsed ?? []).filter((s): s is Stage => isStage(s)));
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

    const c = this.controls;
    this.root.append(header, this.trustBanner, this.pausedBanner, c.help, this.problems, this.emptyState, c.project, this.agentsSection, stagesEl, c.schedule);
    parent.append(this.root);
    this.root.addEventListener('click', (e) => this.onClick(e));
    this.drag = new CardDrag(this.root, { listOf: (stage) => this.stages.get(stage)?.list, move: (storyId, to) => post({ type: 'moveStory', storyId, to }) }, isStage);
  }

  /** A move the host refused: the card goes back to its column (the last state) and says why. */
  moveRefused(storyId: number, reason: string): void {
    if (this.current) this.render(this.current);
    this.drag.refused(storyId, reason);
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
    this.root.querySelectorAll('.card.moving').forEach((c) => c.classList.remove('moving'));
    const ctx: RenderCtx = { trusted: state.trusted, now: Date.now() };
    this.renderHeader(state);
    this.controls.render(state);
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
        const sig = `${card.stage}\n${card.run?.status ?? ''}\n${card.blocked}\n${!!card.invalid}\n${cardContext(card, ctx.trusted)}\n${slotSigs.join('\n')}`;
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
    // A click anywhere else on a running card shows what its agent is doing.
    const msg = cardMessage(action, storyId) ?? (!actionEl && card.dataset.runStatus === 'running' ? { type: 'openOutput', storyId } : undefined);
    if (msg) post(msg);
  }
}

function main(): void {
  registerToolkit();
  const board = new Board(document.body);
  onMessage((m: HostMessage) => {
    if (m.type === 'board') board.receive(m.seq, m.state);
    else if (m.type === 'moveRefused') board.moveRefused(m.storyId, m.reason);
  });
  post({ type: 'ready' });
}

main();
