// The toolkit's elements, created by tag name: no import of the toolkit, so a page can paint them
// before the toolkit is loaded (they upgrade in place when toolkit.ts registers the components).
export interface ButtonOptions {
  id?: string;
  /** Becomes data-action, which the click delegation and the tests select on. */
  action?: string;
  appearance?: 'primary' | 'secondary' | 'icon';
  title?: string;
  className?: string;
}

export function makeButton(label: string, opts: ButtonOptions = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.id) b.id = opts.id;
  if (opts.action) b.dataset.action = opts.action;
  if (opts.appearance) b.setAttribute('appearance', opts.appearance);
  if (opts.title) {
    b.title = opts.title;
    b.setAttribute('aria-label', opts.title);
  }
  if (opts.className) b.className = opts.className;
  return b;
}

/**
 * The mark of a running agent: a still dot, sized and colored by CSS (class "spinner"). Not an
 * animated ring: with 30 agents, 30 rings (and the output header's) repaint the window at 60 frames
 * a second, which on a small machine delays every click and every line of output.
 */
export function makeSpinner(): HTMLElement {
  const s = document.createElement('span');
  s.className = 'spinner';
  s.setAttribute('aria-hidden', 'true');
  return s;
}
