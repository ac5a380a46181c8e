// Keyed elements made of slots: a card or an agent row is rebuilt part by part, only where the
// signature of what a part shows has changed.
import { el } from './dom';

/** A keyed element (a card or an agent) made of slots. */
export interface SlotEntry {
  el: HTMLElement;
  /** Signature of everything the element shows; equal means nothing to do. */
  sig: string;
  /** Per-slot signature and element, so a change touches only its own part of the element. */
  slotSigs: string[];
  slotEls: (HTMLElement | null)[];
}

/** What a render knows besides the item itself. */
export interface RenderCtx {
  trusted: boolean;
  /** One clock reading per render, so every "is it in the future" agrees. */
  now: number;
}

/** One part of a card or an agent, top to bottom: a signature of what it shows and a builder. */
export interface Slot<T> {
  sig(item: T, ctx: RenderCtx): string;
  build(item: T, ctx: RenderCtx): HTMLElement | null;
}

/** Rebuilds the slots whose signature changed, in place; keeps keyboard focus on the same action. */
export function patchSlots<T>(entry: SlotEntry, slots: Slot<T>[], item: T, ctx: RenderCtx, slotSigs: string[]): void {
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

export function newEntry(className: string, slotCount: number): SlotEntry {
  const e: SlotEntry = { el: el('div', className), sig: '', slotSigs: Array<string>(slotCount).fill('\0'), slotEls: Array<HTMLElement | null>(slotCount).fill(null) };
  e.el.setAttribute('role', 'listitem');
  return e;
}
