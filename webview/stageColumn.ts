// One stage of the board: a header that opens and closes it, and a virtualized card list that
// scrolls on its own. Only the cards in (and near) the visible part have elements; two spacers
// stand in for the rest, sized from measured card heights (an estimate until a card was shown).
import type { CardView, Stage } from '../src/protocol/messages';
import { STAGE_TITLES } from './boardLayout';
import { CARD_SLOTS, cardContext, updateCard } from './cards';
import { el, setText } from './dom';
import { newEntry, type RenderCtx, type SlotEntry } from './slots';
import { EMPTY_WINDOW, VirtualList, type VirtualWindow } from './virtualList';

/** Height assumed for a card not shown yet (a card with a title, a status line and buttons). */
const ESTIMATE = 92;
/** Extra height rendered above and below the visible part, so a quick scroll shows no gap. */
const OVERSCAN = 600;

/** Card elements by story id, shared by the columns: a card keeps its element when it changes stage. */
export type CardPool = Map<number, SlotEntry>;

export class StageColumn {
  readonly section: HTMLElement;
  readonly toggle: HTMLButtonElement;
  readonly list: HTMLElement;
  private readonly title: HTMLElement;
  private readonly top: HTMLElement;
  private readonly bottom: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly virtual = new VirtualList<number>(ESTIMATE, OVERSCAN);
  private byId = new Map<number, CardView>();
  private win: VirtualWindow = EMPTY_WINDOW;
  private ctx: RenderCtx = { trusted: false, now: 0 };
  private expanded: boolean | undefined;

  constructor(
    readonly stage: Stage,
    private readonly pool: CardPool,
  ) {
    this.section = el('section', 'stage');
    this.section.dataset.stage = stage;
    const h = el('h2', 'stage-header');
    this.toggle = el('button', 'stage-toggle');
    this.toggle.type = 'button';
    this.title = el('span', 'stage-title', `${STAGE_TITLES[stage]} (0)`);
    this.toggle.append(this.title);
    h.append(this.toggle);
    this.list = el('div', 'stage-cards');
    this.list.setAttribute('role', 'list');
    this.list.id = `stage-${stage}`;
    this.toggle.setAttribute('aria-controls', this.list.id);
    this.top = el('div', 'spacer');
    this.bottom = el('div', 'spacer');
    this.top.setAttribute('aria-hidden', 'true');
    this.bottom.setAttribute('aria-hidden', 'true');
    this.list.append(this.top, this.bottom);
    this.empty = el('div', 'stage-empty', 'No stories');
    this.section.append(h, this.empty, this.list);
  }

  get isExpanded(): boolean {
    return this.expanded === true;
  }

  setHeading(text: string): void {
    setText(this.title, text);
  }

  setExpanded(expanded: boolean): void {
    if (this.expanded === expanded) return;
    this.expanded = expanded;
    this.section.classList.toggle('collapsed', !expanded);
    this.toggle.setAttribute('aria-expanded', String(expanded));
    this.list.hidden = !expanded;
    if (!expanded) this.place(EMPTY_WINDOW);
  }

  /**
   * The cards this column lists (already filtered), in the host's order; renders the visible ones.
   * `emptyText` says why there are none (no stories, none matching, not arrived yet).
   */
  render(cards: readonly CardView[], ctx: RenderCtx, emptyText: string): void {
    this.byId = new Map(cards.map((c) => [c.id, c]));
    this.ctx = ctx;
    this.virtual.setItems(cards.map((c) => c.id));
    this.empty.hidden = !this.expanded || cards.length > 0;
    setText(this.empty, emptyText);
    this.update(true);
  }

  /**
   * After a scroll: renders what has come into view (nothing when the same cards are). After a
   * resize (`remeasure`), also reads the card heights again: a new width wraps text differently.
   */
  refresh(remeasure = false): void {
    if (this.expanded) this.update(remeasure);
  }

  /** Shows a dropped card at the top of what this column shows until the host answers. */
  placeMoving(card: HTMLElement): void {
    if (this.expanded) this.top.after(card);
    else card.remove();
  }

  private update(force: boolean): void {
    if (!this.expanded) return;
    const viewport = this.viewportHeight();
    let w = this.virtual.window(this.list.scrollTop, viewport);
    if (!force && w.first === this.win.first && w.end === this.win.end) return this.setSpacers(w);
    // Measuring corrects the estimate; a corrected window is placed again (it converges in a step or two).
    for (let pass = 0; pass < 3; pass++) {
      this.place(w);
      if (!this.measure(w)) break;
      const next = this.virtual.window(this.list.scrollTop, viewport);
      if (next.first === w.first && next.end === w.end) {
        w = next;
        break;
      }
      w = next;
    }
    this.setSpacers(w);
  }

  private viewportHeight(): number {
    // Stacked sections cap the list's height; columns give it the column's height.
    const max = parseFloat(getComputedStyle(this.list).maxHeight);
    const h = Number.isFinite(max) ? max : this.list.clientHeight;
    return h > 0 ? h : window.innerHeight || 800;
  }

  private setSpacers(w: VirtualWindow): void {
    const top = `${w.top}px`;
    const bottom = `${w.bottom}px`;
    if (this.top.style.height !== top) this.top.style.height = top;
    if (this.bottom.style.height !== bottom) this.bottom.style.height = bottom;
  }

  /** Puts the cards of window `w` between the spacers, updating each only when its signature changed. */
  private place(w: VirtualWindow): void {
    this.win = w;
    const wanted = new Set<number>();
    for (let i = w.first; i < w.end; i++) wanted.add(this.virtual.keyAt(i));
    const active = document.activeElement;
    for (const child of Array.from(this.list.children) as HTMLElement[]) {
      if (child === this.top || child === this.bottom || child.classList.contains('dragging')) continue;
      const id = Number(child.dataset.storyId);
      if (wanted.has(id)) continue;
      child.remove();
      if (this.pool.get(id)?.el === child) this.pool.delete(id);
    }
    for (let i = w.first; i < w.end; i++) {
      const card = this.byId.get(this.virtual.keyAt(i))!;
      const entry = this.entryFor(card);
      // Move only what is out of place: moving an element costs a reflow and drops its focus.
      const at = this.list.children[1 + i - w.first];
      if (at !== entry.el) this.list.insertBefore(entry.el, at ?? this.bottom);
    }
    if (active instanceof HTMLElement && active !== document.activeElement && active.isConnected) active.focus({ preventScroll: true });
  }

  private entryFor(card: CardView): SlotEntry {
    const ctx = this.ctx;
    let entry = this.pool.get(card.id);
    if (!entry) {
      entry = newEntry('card', CARD_SLOTS.length);
      this.pool.set(card.id, entry);
    }
    const slotSigs = CARD_SLOTS.map((slot) => slot.sig(card, ctx));
    const sig = `${card.stage}\n${card.run?.status ?? ''}\n${card.blocked}\n${!!card.invalid}\n${cardContext(card, ctx.trusted)}\n${slotSigs.join('\n')}`;
    if (entry.sig !== sig) {
      updateCard(entry, card, ctx, slotSigs);
      entry.sig = sig;
    }
    return entry;
  }

  /** Reads the heights of the placed cards; true when one differs from what the list assumed. */
  private measure(w: VirtualWindow): boolean {
    let changed = false;
    let gap: number | undefined;
    for (let i = w.first; i < w.end; i++) {
      const id = this.virtual.keyAt(i);
      const e = this.pool.get(id)?.el;
      if (!e) continue;
      gap ??= parseFloat(getComputedStyle(e).marginBottom) || 0;
      if (this.virtual.setHeight(id, e.offsetHeight + gap, i)) changed = true;
    }
    return changed;
  }
}
