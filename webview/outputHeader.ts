// The output panel's fixed header: the story, the run's status (with a spinner while it runs),
// agent, duration, tokens and cost, and why it failed or was stopped.
import type { RunView } from '../src/protocol/messages';
import { el, formatCost, formatDuration, n } from './outputRecords';
import { makeSpinner } from './elements';

export class OutputHeader {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly status: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly reason: HTMLElement;
  private spinner: HTMLElement | undefined;
  private run: RunView | undefined;
  private story: { id: number; name: string } | undefined;

  constructor() {
    this.element = el('header');
    this.element.id = 'output-header';
    const top = el('div', 'header-top');
    this.title = el('span', 'run-title', 'Agent output');
    this.title.id = 'output-title';
    this.status = el('span', 'run-status');
    this.status.id = 'run-status';
    this.status.dataset.status = 'none';
    this.status.setAttribute('role', 'status');
    this.statusText = el('span', 'run-status-text', '');
    this.status.append(this.statusText);
    top.append(this.title, this.status);
    this.meta = el('div', 'run-meta');
    this.reason = el('div', 'run-reason');
    this.reason.hidden = true;
    this.element.append(top, this.meta, this.reason);
    setInterval(() => this.renderMeta(), 1000);
  }

  get runId(): string | undefined {
    return this.run?.runId;
  }

  /** A new run (or none); the story stays unless given anew. */
  show(run: RunView | undefined, story?: { id: number; name: string }): void {
    this.run = run;
    this.story = run ? story : undefined;
    this.render();
  }

  /** The same run's header changed (status, tokens, cost). */
  update(run: RunView): void {
    if (this.run && run.runId !== this.run.runId) return;
    this.run = run;
    this.render();
  }

  private render(): void {
    const run = this.run;
    if (!run) {
      this.title.textContent = 'Agent output';
      this.setStatus('none', '');
      this.meta.textContent = '';
      this.reason.hidden = true;
      return;
    }
    this.title.textContent = this.story ? `#${this.story.id} ${this.story.name}` : `#${run.storyId} · ${run.runId}`;
    this.title.title = run.runId;
    this.setStatus(run.status, run.status);
    this.reason.hidden = !run.reason || (run.status !== 'failed' && run.status !== 'stopped');
    this.reason.textContent = run.reason ?? '';
    this.renderMeta();
  }

  private setStatus(status: string, text: string): void {
    this.status.dataset.status = status;
    this.statusText.textContent = text;
    const running = status === 'running';
    if (running && !this.spinner) {
      this.spinner = makeSpinner();
      this.status.prepend(this.spinner);
    } else if (!running && this.spinner) {
      this.spinner.remove();
      this.spinner = undefined;
    }
  }

  private renderMeta(): void {
    const run = this.run;
    if (!run) return;
    const parts = [run.agent, run.runtime];
    if (run.startedAt) parts.push(formatDuration((run.endedAt ?? Date.now()) - run.startedAt));
    if (run.inputTokens !== undefined || run.outputTokens !== undefined) {
      parts.push(`${n(run.inputTokens ?? 0)} in / ${n(run.outputTokens ?? 0)} out tokens`);
    }
    if (run.costUsd !== undefined) parts.push(formatCost(run.costUsd));
    const text = parts.filter(Boolean).join(' · ');
    if (this.meta.textContent !== text) this.meta.textContent = text;
  }
}
