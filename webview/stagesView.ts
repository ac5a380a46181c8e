// The board's stages: one StageColumn per stage, which ones are open (the layout's defaults and the
// user's choices), the filter, and the counts in their headers. Columns side by side or stacked
// sections is CSS on #board[data-layout]; this decides only what each column shows.
import type { BoardState, CardView, Stage } from '../src/protocol/messages';
import { cardFilter, isFilterActive, type BoardFilter } from './boardFilter';
import { STAGES, expandedStages, focusStage, neededStages, stageHeading, toggled, type Layout, type SectionChoices } from './boardLayout';
import { el } from './dom';
import type { RenderCtx } from './slots';
import { StageColumn, type CardPool } from './stageColumn';

export interface StagesHost {
  /** The user opened or closed a section: the choices to save. */
  choicesChanged(choices: SectionChoices): void;
  /** The stages whose cards the board needs have changed (a toggle, the layout, where work is, a filter). */
  shownStagesChanged(stages: Stage[]): void;
}

export class StagesView {
  readonly el: HTMLElement;
  private readonly pool: CardPool = new Map();
  private readonly columns = new Map<Stage, StageColumn>();
  private layout: Layout = 'stacked';
  private focus: Stage = 'backlog';
  private shown: Stage[] = [];
  /** While a filter is on: the stages with cards that match. */
  private matched: ReadonlySet<Stage> | undefined;
  private frame = 0;
  private remeasure = false;

  constructor(
    private choices: SectionChoices,
    private filter: BoardFilter,
    private readonly host: StagesHost,
  ) {
    this.el = el('div', 'stages');
    for (const stage of STAGES) {
      const column = new StageColumn(stage, this.pool);
      this.columns.set(stage, column);
      this.el.append(column.section);
    }
    this.shown = neededStages(expandedStages(choices, this.layout, this.focus), isFilterActive(filter));
    this.applyExpanded();
    // Scroll events do not bubble: the capture phase sees every column's own scroll.
    document.addEventListener('scroll', () => this.scheduleRefresh(), { capture: true, passive: true });
    // A new width wraps card text differently, a new height shows more or fewer cards.
    // (Only a change of the board's size counts: the stages' own height changes with every render.)
    let size = '';
    if (typeof ResizeObserver !== 'undefined')
      new ResizeObserver(() => {
        const now = `${window.innerWidth}x${window.innerHeight}:${this.el.clientWidth}`;
        if (now !== size) this.scheduleRefresh(size !== '');
        size = now;
      }).observe(this.el);
  }

  /** The stages whose cards the board needs now (the open ones; all while filtering), in board order. */
  get shownStages(): Stage[] {
    return this.shown;
  }

  get currentFilter(): BoardFilter {
    return this.filter;
  }

  /** Returns true when the layout changed (the caller renders again: what is open may differ). */
  setLayout(layout: Layout): boolean {
    if (layout === this.layout) return false;
    this.layout = layout;
    this.applyExpanded();
    return true;
  }

  /** The caller renders again: which stages match (and open) follows from the cards. */
  setFilter(filter: BoardFilter): void {
    this.filter = filter;
    if (!isFilterActive(filter)) this.matched = undefined;
  }

  /** A click on a section's header: the user's choice for that stage from now on. */
  toggle(stage: Stage): void {
    const column = this.columns.get(stage);
    if (!column) return;
    this.choices = toggled(this.choices, stage, column.isExpanded);
    this.host.choicesChanged(this.choices);
    this.applyExpanded();
  }

  render(state: BoardState, ctx: RenderCtx): void {
    const byStage = new Map<Stage, CardView[]>(STAGES.map((s) => [s, []]));
    for (const c of state.cards) byStage.get(c.stage)?.push(c);
    const total = (s: Stage): number => state.counts?.[s] ?? byStage.get(s)!.length;
    this.focus = focusStage(total);
    const filtering = isFilterActive(this.filter);
    const keep = filtering ? cardFilter(this.filter, ctx.now) : undefined;
    const filtered = new Map(STAGES.map((s) => [s, keep ? byStage.get(s)!.filter(keep) : byStage.get(s)!]));
    this.matched = filtering ? new Set(STAGES.filter((s) => filtered.get(s)!.length > 0)) : undefined;
    this.applyExpanded();
    for (const stage of STAGES) {
      const column = this.columns.get(stage)!;
      const all = byStage.get(stage)!;
      const shown = filtered.get(stage)!;
      // Cards the host did not send for a stage that has some (just opened): only the count is known.
      const known = all.length > 0 || total(stage) === 0;
      column.setHeading(stageHeading(stage, total(stage), known ? shown.length : undefined, filtering));
      column.render(column.isExpanded ? shown : [], ctx, !known ? 'Loading…' : filtering && all.length > 0 ? 'No stories match the filter' : 'No stories');
    }
  }

  /** Renders what scrolled (or resized: `remeasure`) into view, once per frame. */
  scheduleRefresh(remeasure = false): void {
    this.remeasure ||= remeasure;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const again = this.remeasure;
      this.remeasure = false;
      for (const column of this.columns.values()) column.refresh(again);
    });
  }

  /** A dropped card shows in the column it was dropped on until the host answers. */
  placeMoving(card: HTMLElement, stage: Stage): void {
    this.columns.get(stage)?.placeMoving(card);
  }

  private applyExpanded(): void {
    const open = expandedStages(this.choices, this.layout, this.focus, this.matched);
    for (const [stage, column] of this.columns) column.setExpanded(open.includes(stage));
    const needed = neededStages(open, isFilterActive(this.filter));
    if (needed.join() !== this.shown.join()) {
      this.shown = needed;
      this.host.shownStagesChanged(needed);
    }
  }
}
