// The board's Charts section: cost per day and per agent, stories done per day and time in each
// stage, as hand-made SVG bar charts in the theme's colors. Collapsed by default; while it is open
// (and the board visible) it asks the host for numbers every few seconds, never otherwise.
import type { ChartsView, WebviewMessage } from '../src/protocol/messages';
import { chartSpecs, layoutBars, type Box, type ChartSpec } from './chartScale';
import { onMessage } from './vscodeApi';

/** How often an open Charts section asks for fresh numbers. */
export const CHARTS_REFRESH_MS = 5_000;

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const VERTICAL: Box = { width: WIDTH, height: 120, left: 44, right: 6, top: 8, bottom: 18, gap: 0.2 };
const ROW = 18;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function isChartsView(v: unknown): v is ChartsView {
  const o = v as Partial<ChartsView> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    Array.isArray(o.days) &&
    Array.isArray(o.costPerDay) &&
    Array.isArray(o.runsPerDay) &&
    Array.isArray(o.donePerDay) &&
    Array.isArray(o.costPerAgent) &&
    Array.isArray(o.stageTimes) &&
    typeof o.timezone === 'string'
  );
}

let ids = 0;

/** One chart: a titled SVG with a tooltip on every bar, and the same numbers as a table for screen readers. */
function renderChart(spec: ChartSpec): HTMLElement {
  const fig = html('figure', 'chart');
  fig.dataset.chart = spec.key;
  const id = `chart-${spec.key}-${++ids}`;
  const caption = html('figcaption');
  caption.append(html('span', 'chart-title', spec.title), html('span', 'chart-summary', spec.summary));
  caption.id = `${id}-caption`;
  fig.append(caption);
  if (!spec.data.length) return fig;
  const box: Box = spec.orientation === 'vertical' ? VERTICAL : { width: WIDTH, height: spec.data.length * ROW + 24, left: 84, right: 20, top: 4, bottom: 18, gap: 0.25 };
  const layout = layoutBars(spec.data, spec.orientation, box, spec.counts);
  const root = svg('svg', { viewBox: `0 0 ${box.width} ${box.height}`, role: 'img', 'aria-labelledby': caption.id, class: `chart-svg chart-${spec.orientation}` });
  root.append(svg('title', {}, `${spec.title}. ${spec.summary}`));
  for (const t of layout.ticks) {
    const g = svg('g', { class: 'chart-tick', 'aria-hidden': 'true' });
    if (spec.orientation === 'vertical') {
      g.append(
        svg('line', { x1: box.left, x2: box.width - box.right, y1: t.at, y2: t.at }),
        svg('text', { x: box.left - 4, y: t.at + 3, 'text-anchor': 'end' }, spec.tick(t.value)),
      );
    } else {
      g.append(
        svg('line', { x1: t.at, x2: t.at, y1: box.top, y2: box.height - box.bottom }),
        svg('text', { x: t.at, y: box.height - 4, 'text-anchor': 'middle' }, spec.tick(t.value)),
      );
    }
    root.append(g);
  }
  const n = layout.bars.length;
  layout.bars.forEach((b, i) => {
    const rect = svg('rect', { class: `chart-bar chart-bar-${spec.key}`, x: b.x.toFixed(1), y: b.y.toFixed(1), width: b.width.toFixed(1), height: b.height.toFixed(1) });
    rect.append(svg('title', {}, b.datum.text));
    // a transparent band over the whole slot, so a day with a tiny (or no) bar still shows its tooltip
    const band =
      spec.orientation === 'vertical'
        ? svg('rect', { class: 'chart-hit', x: b.x.toFixed(1), y: box.top, width: b.width.toFixed(1), height: box.height - box.top - box.bottom })
        : svg('rect', { class: 'chart-hit', x: box.left, y: b.y.toFixed(1), width: box.width - box.left - box.right, height: b.height.toFixed(1) });
    band.append(svg('title', {}, b.datum.text));
    root.append(rect, band);
    if (spec.orientation === 'horizontal') {
      root.append(
        svg('text', { class: 'chart-label', x: box.left - 4, y: (b.y + b.height / 2 + 3).toFixed(1), 'text-anchor': 'end', 'aria-hidden': 'true' }, b.datum.label.slice(0, 14)),
      );
    } else if (i === 0 || i === n - 1 || i === Math.floor(n / 2)) {
      // three day labels are all that fit under thirty columns
      root.append(svg('text', { class: 'chart-label', x: (b.x + b.width / 2).toFixed(1), y: box.height - 4, 'text-anchor': 'middle', 'aria-hidden': 'true' }, b.datum.label));
    }
  });
  fig.append(root, dataTable(spec));
  return fig;
}

function dataTable(spec: ChartSpec): HTMLTableElement {
  const table = html('table', 'sr-only');
  table.append(html('caption', undefined, spec.title));
  for (const d of spec.data) {
    const tr = html('tr');
    tr.append(html('th', undefined, d.label), html('td', undefined, d.text));
    table.append(tr);
  }
  return table;
}

export class ChartsPanel {
  readonly el: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastJson = '';
  private open = false;

  constructor(private readonly post: (m: WebviewMessage) => void) {
    this.el = html('section', 'charts collapsed');
    this.el.id = 'charts';
    const h = html('h2', 'stage-header');
    this.toggle = html('button', 'stage-toggle charts-toggle');
    this.toggle.type = 'button';
    this.toggle.append(html('span', 'stage-title', 'Charts'));
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.setAttribute('aria-controls', 'chart-list');
    h.append(this.toggle);
    this.body = html('div', 'chart-list');
    this.body.id = 'chart-list';
    this.body.hidden = true;
    this.status = html('p', 'chart-status', 'Loading…');
    this.status.setAttribute('role', 'status');
    this.list = html('div', 'chart-grid');
    this.body.append(this.status, this.list);
    this.el.append(h, this.body);
    this.toggle.addEventListener('click', () => this.setOpen(!this.open));
    document.addEventListener('visibilitychange', () => this.schedule());
  }

  setOpen(open: boolean): void {
    this.open = open;
    this.el.classList.toggle('collapsed', !open);
    this.toggle.setAttribute('aria-expanded', String(open));
    this.body.hidden = !open;
    this.schedule();
  }

  /** Numbers from the host: shown when the section is open (an answer that arrives after closing is kept for the next opening). */
  receive(data: unknown): void {
    if (!isChartsView(data)) return;
    const json = JSON.stringify(data);
    if (json === this.lastJson) return;
    this.lastJson = json;
    const skipped = (data.skipped?.usage ?? 0) + (data.skipped?.audit ?? 0);
    this.status.textContent = skipped ? `${skipped} unreadable log line${skipped === 1 ? '' : 's'} skipped.` : '';
    this.status.hidden = !skipped;
    this.list.replaceChildren(...chartSpecs(data).map(renderChart));
  }

  /** Asks now and every few seconds while open and visible; stops otherwise. */
  private schedule(): void {
    const want = this.open && document.visibilityState !== 'hidden';
    if (!want) {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined) return;
    this.post({ type: 'requestCharts' });
    this.timer = setInterval(() => this.post({ type: 'requestCharts' }), CHARTS_REFRESH_MS);
  }
}

/** Adds the Charts section to the board and feeds it the host's `charts` messages. */
export function mountCharts(parent: HTMLElement, post: (m: WebviewMessage) => void): ChartsPanel {
  const panel = new ChartsPanel(post);
  parent.append(panel.el);
  onMessage((m) => {
    if (m.type === 'charts') panel.receive(m.data);
  });
  return panel;
}
