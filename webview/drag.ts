// Dragging a card onto another stage's column: the drop asks the host to move the story (the
// pipeline's stage rules decide), the card shows in its new column meanwhile and goes back, with
// the reason on it, when the move is refused. Keyboard users have "Move to…" in the context menu.
import type { Stage } from '../src/protocol/messages';
import { el } from './dom';

const MIME = 'application/x-huskies-card';

// Constructable stylesheets are not governed by the page's style-src, so no inline style is needed.
const CSS = `
.card[draggable="true"] { cursor: grab; }
.card.dragging { opacity: 0.5; }
.card.moving { opacity: 0.7; }
section.stage.drop-target { outline: 1px dashed var(--vscode-focusBorder); outline-offset: 2px; }
section.stage.collapsed.drop-target { background: var(--vscode-list-dropBackground); }
.card-refused { margin-top: 4px; color: var(--vscode-errorForeground); font-size: 0.92em; }
`;

function addStyles(): void {
  if (typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export interface DragHost {
  /** Shows a dropped card in the stage's column at once (a closed or virtualized column decides where). */
  place(card: HTMLElement, stage: Stage): void;
  /** Asks the host to move the story. */
  move(storyId: number, to: Stage): void;
}

export class CardDrag {
  private dragged?: { id: number; from: Stage; el: HTMLElement };
  private target?: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: DragHost,
    private readonly isStage: (s: string | undefined) => s is Stage,
  ) {
    addStyles();
    root.addEventListener('dragstart', (e) => this.onStart(e));
    root.addEventListener('dragover', (e) => this.onOver(e));
    root.addEventListener('dragleave', (e) => this.onLeave(e));
    root.addEventListener('drop', (e) => this.onDrop(e));
    root.addEventListener('dragend', () => this.end());
  }

  /** The host refused a move: the caller re-renders (which puts the card back); the card says why. */
  refused(storyId: number, reason: string): void {
    const card = this.root.querySelector<HTMLElement>(`.card[data-story-id="${storyId}"]`);
    if (!card) return;
    card.classList.remove('moving');
    card.querySelector('.card-refused')?.remove();
    const note = el('div', 'card-refused', `Not moved: ${reason}`);
    note.setAttribute('role', 'alert');
    card.append(note);
  }

  private onStart(e: DragEvent): void {
    const card = (e.target as HTMLElement).closest<HTMLElement>('.card[draggable="true"]');
    const id = Number(card?.dataset.storyId);
    const from = card?.dataset.stage;
    if (!card || !e.dataTransfer || !Number.isInteger(id) || !this.isStage(from)) return;
    this.root.querySelectorAll('.card-refused').forEach((n) => n.remove());
    this.dragged = { id, from, el: card };
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData(MIME, String(id));
    e.dataTransfer.setData('text/plain', `#${id}`);
    card.classList.add('dragging');
  }

  private stageAt(e: DragEvent): { section: HTMLElement; stage: Stage } | undefined {
    const section = (e.target as HTMLElement).closest<HTMLElement>('section.stage');
    const stage = section?.dataset.stage;
    return section && this.isStage(stage) ? { section, stage } : undefined;
  }

  private onOver(e: DragEvent): void {
    const at = this.stageAt(e);
    if (!this.dragged || !at || at.stage === this.dragged.from) return this.highlight(undefined);
    e.preventDefault(); // allows the drop
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    this.highlight(at.section);
  }

  private onLeave(e: DragEvent): void {
    if (this.target && !this.target.contains(e.relatedTarget as Node | null)) this.highlight(undefined);
  }

  private onDrop(e: DragEvent): void {
    const at = this.stageAt(e);
    const d = this.dragged;
    this.end();
    if (!d || !at || at.stage === d.from) return;
    e.preventDefault();
    d.el.classList.add('moving');
    this.host.place(d.el, at.stage);
    this.host.move(d.id, at.stage);
  }

  private highlight(section: HTMLElement | undefined): void {
    if (this.target === section) return;
    this.target?.classList.remove('drop-target');
    this.target = section;
    section?.classList.add('drop-target');
  }

  private end(): void {
    this.dragged?.el.classList.remove('dragging');
    this.highlight(undefined);
    this.dragged = undefined;
  }
}
