// The one module that touches @vscode/webview-ui-toolkit: it registers the components the
// webviews use and creates them. The toolkit is no longer maintained upstream; keeping every
// tag name behind these helpers keeps a later swap to plain elements a one-file change.
import { provideVSCodeDesignSystem, vsCodeButton } from '@vscode/webview-ui-toolkit';

let registered = false;

/** Defines the custom elements; elements created before this call upgrade in place. */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  // Not vsCodeBadge: its template carries a style attribute, which the CSP (no 'unsafe-inline')
  // reports on first use; a plain span with the --vscode-badge-* colors does the same job.
  provideVSCodeDesignSystem().register(vsCodeButton());
}

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
