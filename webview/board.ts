// The pipeline board: one section per stage, one card per story, and a strip of agents, rendered
// from the replica of the host's BoardState (a snapshot, then deltas) with keyed updates that touch
// only what changed. Long stages are virtualized; stages are columns or stacked sections by width.
import type { AgentView, BoardState, HostMessage, Stage } from '../src/protocol/messages';
import { AGENT_SLOTS, agentState, needsAttention } from './agents';
import { cardMessage } from './cardMessages';
import { agentNames, isFilterActive, parseFilter, type BoardFilter } from './boardFilter';
import { agentsCollapsedFor, isStage, layoutFor, readChoices, writeChoices, type SectionChoices } from './boardLayout';
import { el, setData, setHidden, setText, setTickText, countdownText, formatDuration } from './dom';
import { CardDrag } from './drag';
import { ControlsPanel } from './controls';
import { FilterBar } from './filterBar';
import { newEntry, patchSlots, type RenderCtx, type SlotEntry } from './slots';
import { StagesView } from './stagesView';
import { BoardReplica } from './boardReplica';
import { makeButton } from './elements';
import { registerToolkit } from './toolkit';
import { getState, onMessage, post, setState } from './vscodeApi';
import { mountCharts } from './charts';

interface SavedState {
  /** Per stage, what the user chose; stages not listed follow the layout's default. */
  sections?: SectionChoices;
  /** The stages the user closed, as older boards saved it (still written, read when `sections` is absent). */
  collapsed?: Stage[];
  agentsCollapsed?: boolean;
  filter?: BoardFilter;
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
  private agentsCollapsed = false;
  /** The user's own open/closed choice for the agents strip; undefined until they make one. */
  private agentsChoice: boolean | undefined;
  private readonly stages: StagesView;
  private readonly filterBar: FilterBar;
  private choices: SectionChoices;
  /** Called with the stages whose cards the board shows, whenever they change. */
  onShownStages: (stages: Stage[]) => void = () => {};
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
    this.choices = readChoices(saved);
    this.agentsChoice = typeof saved.agentsCollapsed === 'boolean' ? saved.agentsCollapsed : undefined;
    const filter = parseFilter(saved.filter);

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

    this.stages = new StagesView(this.choices, filter, {
      choicesChanged: (choices) => {
        this.choices = choices;
        this.saveState();
      },
      shownStagesChanged: (stages) => this.onShownStages(stages),
    });
    this.filterBar = new FilterBar(filter, (f) => {
      this.stages.setFilter(f);
      this.saveState();
      this.rerender();
    });

    const c = this.controls;
    this.root.append(
      header,
      this.trustBanner,
      this.pausedBanner,
      c.help,
      this.problems,
      this.emptyState,
      c.project,
      this.agentsSection,
      this.filterBar.el,
      this.stages.el,
      c.schedule,
    );
    parent.append(this.root);
    this.root.addEventListener('click', (e) => this.onClick(e));
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && isFilterActive(this.stages.currentFilter) && !(e.target as HTMLElement).closest('input, select, textarea')) this.filterBar.clear();
    });
    this.drag = new CardDrag(this.root, { place: (card, stage) => this.stages.placeMoving(card, stage), move: (storyId, to) => post({ type: 'moveStory', storyId, to }) }, isStage);
    this.observeWidth();
  }

  /** Columns side by side when the board is wide (an editor panel), stacked sections when narrow (the sidebar). */
  private observeWidth(): void {
    const apply = (width: number): void => {
      const layout = layoutFor(width);
      setData(this.root, 'layout', layout);
      if (this.stages.setLayout(layout)) this.rerender();
      else this.stages.scheduleRefresh();
    };
    apply(this.root.clientWidth || window.innerWidth);
    if (typeof ResizeObserver === 'undefined') return;
    new ResizeObserver((entries) => {
      const width = entries[entries.length - 1].contentRect.width;
      if (width > 0) apply(width);
    }).observe(this.root);
  }

  /** The stages whose cards the board shows now. */
  get shownStages(): Stage[] {
    return this.stages.shownStages;
  }

  /** Renders the last state again (a toggle, a filter, a layout change). */
  private rerender(): void {
    if (this.current) this.render(this.current);
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

    this.filterBar.setAgents(
      agentNames(
        state.cards,
        (state.agents ?? []).map((a) => a.name),
      ),
    );
    this.stages.render(state, ctx);
    this.syncTicker();
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
    this.applyAgentsCollapsed(agents.length);
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

  /** Opens or closes the agents strip: the user's choice, else by the number of agents. */
  private applyAgentsCollapsed(count = this.agents.size): void {
    this.agentsCollapsed = agentsCollapsedFor(this.agentsChoice, count);
    this.agentsSection.classList.toggle('collapsed', this.agentsCollapsed);
    this.agentsToggle.setAttribute('aria-expanded', String(!this.agentsCollapsed));
    this.agentList.hidden = this.agentsCollapsed;
  }

  private saveState(): void {
    setState<SavedState>({ ...writeChoices(this.choices), agentsCollapsed: this.agentsChoice, filter: this.stages.currentFilter });
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    if (target.closest('.agents-toggle')) {
      this.agentsChoice = !this.agentsCollapsed;
      this.applyAgentsCollapsed();
      this.saveState();
      return;
    }
    const toggle = target.closest('.stage-toggle');
    if (toggle) {
      const stage = toggle.closest<HTMLElement>('section.stage')?.dataset.stage;
      if (!isStage(stage)) return;
      this.stages.toggle(stage);
      this.rerender();
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
  mountCharts(document.getElementById('board') ?? document.body, post);
  // VS Code brings a board panel back after a window reload only if its webview has a saved state.
  setState(getState<object>());
  const replica = new BoardReplica();
  onMessage((m: HostMessage) => {
    if (m.type === 'boardSnapshot' || m.type === 'boardDelta') {
      const r = replica.receive(m);
      if (r.kind === 'state') board.receive(r.seq, r.state);
      else if (r.kind === 'resync') post({ type: 'resync' });
    } else if (m.type === 'moveRefused') board.moveRefused(m.storyId, m.reason);
  });
  // The host sends the cards of the stages the board shows (and counts for all): tell it which, now and on every
  // change. Said before `ready`, so that the first snapshot holds just those stages.
  post({ type: 'boardView', stages: board.shownStages });
  post({ type: 'ready' });
  board.onShownStages = (stages) => post({ type: 'boardView', stages });
}

main();
