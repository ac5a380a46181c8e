// The live output of one agent run. A replica of the run's transcript tail: one `output`
// snapshot, then `outputAppend` batches applied in seq order, older pages on request. The DOM
// holds at most MAX_RENDERED records; the rest stays on disk and is paged back in.
import type { AgentMessage, HostMessage, RunView, TranscriptRecord } from '../src/protocol/messages';
import { makeButton, makeSpinner, registerToolkit } from './toolkit';
import { onMessage, post, setState } from './vscodeApi';

const MAX_RENDERED = 2000;
/** Longest tool input/result/thinking text put in the DOM; the transcript file has it all. */
const MAX_BODY_CHARS = 20_000;
/** Pixels from the bottom that still count as "at the bottom" for auto-scroll. */
const STICK_PX = 24;

type Kind = AgentMessage['kind'];
type Of<K extends Kind> = Extract<AgentMessage, { kind: K }>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function oneLine(s: string, max = 100): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function capped(s: string): string {
  return s.length > MAX_BODY_CHARS ? `${s.slice(0, MAX_BODY_CHARS)}\n… (${(s.length - MAX_BODY_CHARS).toLocaleString()} more characters in the transcript)` : s;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function formatCost(usd: number): string {
  if (usd > 0 && usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

function n(v: number): string {
  return v.toLocaleString();
}

/** Epoch seconds or ms (agent programs differ) → local time, with the date when it is not today. */
function localTime(epoch: number): string {
  const d = new Date(epoch < 1e12 ? epoch * 1000 : epoch);
  if (Number.isNaN(d.getTime())) return String(epoch);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `Bash: git commit -m …`, `Write: src/a.ts`: the one line that says what a tool call does. */
function toolSummary(name: string, input: unknown): string {
  const i = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  let detail: string | undefined;
  switch (name) {
    case 'Bash':
      detail = str(i.command);
      break;
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      detail = str(i.file_path) ?? str(i.path);
      break;
    case 'NotebookEdit':
    case 'NotebookRead':
      detail = str(i.notebook_path);
      break;
    case 'Glob':
    case 'Grep':
      detail = str(i.pattern) && (str(i.path) ? `${str(i.pattern)} in ${str(i.path)}` : str(i.pattern));
      break;
    case 'WebFetch':
      detail = str(i.url);
      break;
    case 'WebSearch':
      detail = str(i.query);
      break;
    case 'Task':
    case 'Agent':
      detail = str(i.description);
      break;
    case 'TodoWrite':
      detail = Array.isArray(i.todos) ? `${i.todos.length} items` : undefined;
      break;
  }
  // Unknown tools (MCP ones included): the first string argument says the most.
  detail ??= Object.values(i)
    .map(str)
    .find((v) => v !== undefined);
  return detail ? `${name}: ${oneLine(detail)}` : name;
}

function details(summary: string, body: string, className: string): HTMLDetailsElement {
  const d = el('details', className);
  d.append(el('summary', undefined, summary), el('pre', 'msg-body', capped(body)));
  return d;
}

class OutputPanel {
  private readonly title: HTMLElement;
  private readonly status: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly log: HTMLElement;
  private readonly olderBar: HTMLElement;
  private loadOlder: HTMLElement | undefined;
  private readonly newOutput: HTMLButtonElement;
  private readonly detachedBar: HTMLElement;
  private spinner: HTMLElement | undefined;

  private run: RunView | undefined;
  private story: { id: number; name: string } | undefined;
  private lastSeq = -1;
  private firstSeq = Infinity;
  private rendered = 0;
  private hasOlder = false;
  private loadingOlder = false;
  /** True after paging back trimmed the newest records: live appends wait until "Jump to latest". */
  private detached = false;
  private missed = 0;
  private readonly toolNames = new Map<string, string>();
  private queue: TranscriptRecord[] = [];
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(parent: HTMLElement) {
    const root = el('div');
    root.id = 'output';

    const header = el('header');
    header.id = 'output-header';
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
    header.append(top, this.meta, this.reason);

    this.empty = el('div', 'output-empty');
    this.empty.id = 'output-empty';
    this.empty.hidden = true;

    this.log = el('div');
    this.log.id = 'output-log';
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-label', 'Agent output');
    this.log.tabIndex = 0;
    this.olderBar = el('div', 'older-bar');
    this.log.append(this.olderBar);

    this.newOutput = el('button', 'new-output', '↓ new output');
    this.newOutput.id = 'new-output';
    this.newOutput.type = 'button';
    this.newOutput.hidden = true;

    this.detachedBar = el('div', 'detached-bar');
    this.detachedBar.hidden = true;

    root.append(header, this.empty, this.log, this.newOutput, this.detachedBar);
    parent.append(root);

    this.log.addEventListener('scroll', () => {
      if (this.atBottom()) this.newOutput.hidden = true;
    });
    this.newOutput.addEventListener('click', () => this.scrollToBottom());
    this.olderBar.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('#load-older')) this.requestOlder();
    });
    this.detachedBar.addEventListener('click', (e) => {
      // A fresh snapshot is the way back to the live tail (the handshake the host already serves).
      if ((e.target as HTMLElement).closest('[data-action="latest"]')) post({ type: 'ready' });
    });
    setInterval(() => this.renderMeta(), 1000);
  }

  handle(m: HostMessage): void {
    switch (m.type) {
      case 'output':
        this.replace(m.run, m.records, m.hasOlder, m.story);
        // Lets VS Code restore this panel after a window reload; the host then catches up from disk.
        setState({ storyId: m.run.storyId });
        break;
      case 'outputAppend':
        if (this.run && m.runId === this.run.runId) this.enqueue(m.records);
        break;
      case 'outputRun':
        if (!this.run || m.run.runId === this.run.runId) {
          this.run = m.run;
          this.renderHeader();
        }
        break;
      case 'outputOlder':
        if (this.run && m.runId === this.run.runId) this.prepend(m.records, m.hasOlder);
        break;
      case 'outputEmpty':
        this.showEmpty(m.message);
        break;
    }
  }

  // ---- whole view ----

  private replace(run: RunView, records: TranscriptRecord[], hasOlder: boolean, story?: { id: number; name: string }): void {
    this.run = run;
    this.story = story;
    this.clearRecords();
    this.empty.hidden = true;
    this.log.hidden = false;
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    // Only the newest MAX_RENDERED go in; anything before them is one "Load earlier" away.
    const keep = sorted.slice(-MAX_RENDERED);
    this.setHasOlder(hasOlder || keep.length < sorted.length);
    const frag = document.createDocumentFragment();
    for (const r of keep) frag.append(this.renderRecord(r));
    this.log.append(frag);
    this.rendered = keep.length;
    if (keep.length) {
      this.firstSeq = keep[0].seq;
      // From the records, not run.lastSeq: records written after the snapshot was read still arrive as appends.
      this.lastSeq = keep[keep.length - 1].seq;
    }
    this.renderHeader();
    this.scrollToBottom();
  }

  private clearRecords(): void {
    while (this.olderBar.nextSibling) this.olderBar.nextSibling.remove();
    this.rendered = 0;
    this.lastSeq = -1;
    this.firstSeq = Infinity;
    this.queue = [];
    this.detached = false;
    this.missed = 0;
    this.detachedBar.hidden = true;
    this.newOutput.hidden = true;
    this.loadingOlder = false;
    this.toolNames.clear();
    this.setHasOlder(false);
  }

  private showEmpty(message: string): void {
    this.run = undefined;
    this.story = undefined;
    this.clearRecords();
    this.empty.textContent = message;
    this.empty.hidden = false;
    this.renderHeader();
  }

  // ---- live tail ----

  private enqueue(records: TranscriptRecord[]): void {
    for (const r of records) this.queue.push(r);
    if (this.frame || this.timer !== undefined) return;
    // One DOM write per frame however fast batches arrive; the timer covers a hidden panel.
    const flush = (): void => {
      if (this.frame) cancelAnimationFrame(this.frame);
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.frame = 0;
      this.timer = undefined;
      this.flushAppends();
    };
    this.frame = requestAnimationFrame(flush);
    this.timer = setTimeout(flush, 200);
  }

  private flushAppends(): void {
    const batch = this.queue.sort((a, b) => a.seq - b.seq);
    this.queue = [];
    const fresh: TranscriptRecord[] = [];
    for (const r of batch) {
      if (typeof r?.seq !== 'number' || r.seq <= this.lastSeq) continue;
      this.lastSeq = r.seq;
      fresh.push(r);
    }
    if (!fresh.length) return;
    if (this.detached) {
      this.missed += fresh.length;
      this.renderDetached();
      return;
    }
    const stick = this.atBottom();
    const frag = document.createDocumentFragment();
    for (const r of fresh) frag.append(this.renderRecord(r));
    this.log.append(frag);
    this.rendered += fresh.length;
    if (this.firstSeq === Infinity) this.firstSeq = fresh[0].seq;
    if (this.rendered > MAX_RENDERED) this.trimOldest(this.rendered - MAX_RENDERED, !stick);
    if (stick) this.scrollToBottom();
    else this.newOutput.hidden = false;
  }

  private trimOldest(count: number, keepPosition: boolean): void {
    const before = this.log.scrollHeight;
    for (let i = 0; i < count; i++) this.olderBar.nextSibling?.remove();
    this.rendered -= count;
    const first = this.olderBar.nextElementSibling as HTMLElement | null;
    this.firstSeq = first ? Number(first.dataset.seq) : Infinity;
    this.setHasOlder(true);
    if (keepPosition) this.log.scrollTop -= before - this.log.scrollHeight;
  }

  // ---- history ----

  private requestOlder(): void {
    if (!this.run || this.loadingOlder || this.firstSeq === Infinity) return;
    this.loadingOlder = true;
    this.loadOlder?.setAttribute('disabled', '');
    post({ type: 'loadOlder', runId: this.run.runId, beforeSeq: this.firstSeq });
    // If the host never answers, let the user try again.
    setTimeout(() => {
      if (this.loadingOlder) {
        this.loadingOlder = false;
        this.loadOlder?.removeAttribute('disabled');
      }
    }, 10_000);
  }

  private prepend(records: TranscriptRecord[], hasOlder: boolean): void {
    this.loadingOlder = false;
    const older = records.filter((r) => typeof r?.seq === 'number' && r.seq < this.firstSeq).sort((a, b) => a.seq - b.seq);
    if (older.length) {
      const before = this.log.scrollHeight;
      const frag = document.createDocumentFragment();
      for (const r of older) frag.append(this.renderRecord(r));
      this.olderBar.after(frag);
      this.rendered += older.length;
      this.firstSeq = older[0].seq;
      // Keep what the user was reading where it was.
      this.log.scrollTop += this.log.scrollHeight - before;
      if (this.rendered > MAX_RENDERED) this.trimNewest(this.rendered - MAX_RENDERED);
    }
    this.setHasOlder(hasOlder);
  }

  private trimNewest(count: number): void {
    for (let i = 0; i < count; i++) this.log.lastElementChild?.remove();
    this.rendered -= count;
    this.detached = true;
    this.newOutput.hidden = true;
    this.renderDetached();
  }

  private renderDetached(): void {
    this.detachedBar.hidden = !this.detached;
    if (!this.detached) return;
    const label = this.missed ? `Newer output not shown (${n(this.missed)} new record${this.missed === 1 ? '' : 's'}).` : 'Newer output not shown.';
    this.detachedBar.replaceChildren(el('span', undefined, label), makeButton('Jump to latest', { action: 'latest', appearance: 'secondary' }));
  }

  private setHasOlder(hasOlder: boolean): void {
    this.hasOlder = hasOlder;
    if (hasOlder && !this.loadOlder) {
      this.loadOlder = makeButton('Load earlier output', { id: 'load-older', appearance: 'secondary' });
      this.olderBar.append(this.loadOlder);
    } else if (!hasOlder && this.loadOlder) {
      this.loadOlder.remove();
      this.loadOlder = undefined;
    }
    if (this.loadOlder && !this.loadingOlder) this.loadOlder.removeAttribute('disabled');
    this.olderBar.hidden = !this.hasOlder;
  }

  // ---- scrolling ----

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight <= STICK_PX;
  }

  private scrollToBottom(): void {
    this.log.scrollTop = this.log.scrollHeight;
    this.newOutput.hidden = true;
  }

  // ---- header ----

  private renderHeader(): void {
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

  // ---- records ----

  private renderRecord(r: TranscriptRecord): HTMLElement {
    const msg = r.msg;
    const kind = typeof msg?.kind === 'string' ? msg.kind : 'unknown';
    let e: HTMLElement;
    switch (kind) {
      case 'text':
        e = el('div', undefined, (msg as Of<'text'>).text);
        break;
      case 'thinking': {
        const t = (msg as Of<'thinking'>).text ?? '';
        e = details(`Thinking: ${oneLine(t, 80)}`, t, '');
        break;
      }
      case 'tool_use': {
        const m = msg as Of<'tool_use'>;
        if (m.id) {
          this.toolNames.set(m.id, m.name);
          // Bounded like the DOM: names of long-gone calls are not worth keeping.
          if (this.toolNames.size > MAX_RENDERED) this.toolNames.delete(this.toolNames.keys().next().value!);
        }
        let json: string;
        try {
          json = JSON.stringify(m.input, null, 2) ?? '';
        } catch {
          json = String(m.input);
        }
        e = details(toolSummary(m.name, m.input), json, '');
        break;
      }
      case 'tool_result': {
        const m = msg as Of<'tool_result'>;
        const tool = this.toolNames.get(m.toolUseId);
        const content = m.content ?? '';
        const firstLine = oneLine(content.split('\n', 1)[0] ?? '', 80);
        const head = `${m.isError ? 'Error' : 'Result'}${tool ? ` of ${tool}` : ''}${firstLine ? `: ${firstLine}` : ' (empty)'}${m.truncated ? ' (truncated)' : ''}`;
        e = details(head, content + (m.truncated ? '\n(truncated)' : ''), '');
        if (m.isError) e.classList.add('is-error');
        break;
      }
      case 'error':
        e = el('div', undefined, `Error: ${(msg as Of<'error'>).message}`);
        e.setAttribute('role', 'alert');
        break;
      case 'notice': {
        const m = msg as Of<'notice'>;
        e = el('div', m.level === 'warning' ? 'level-warning' : undefined, m.message);
        break;
      }
      case 'retry': {
        const m = msg as Of<'retry'>;
        const bits = [m.message];
        if (m.attempt) bits.push(`attempt ${m.attempt}${m.maxRetries ? ` of ${m.maxRetries}` : ''}`);
        if (m.delayMs && Number.isFinite(m.delayMs)) bits.push(`next try in ${Math.round(m.delayMs / 1000)} s`);
        e = el('div', 'level-warning', bits.join(' · '));
        break;
      }
      case 'rate_limit': {
        const m = msg as Of<'rate_limit'>;
        const bits = [`Rate limit: ${m.status.replace('_', ' ')}`];
        if (m.limitType) bits.push(m.limitType.replace(/_/g, ' '));
        if (m.resetsAt) bits.push(`resets at ${localTime(m.resetsAt)}`);
        if (m.message) bits.push(m.message);
        e = el('div', `rl-${m.status}`, bits.join(' · '));
        break;
      }
      case 'init': {
        const m = msg as Of<'init'>;
        const bits = ['Session started'];
        if (m.model) bits.push(`model ${m.model}`);
        if (m.sessionId) bits.push(`session ${m.sessionId}`);
        if (m.cwd) bits.push(m.cwd);
        e = el('div', undefined, bits.join(' · '));
        if (m.tools?.length) e.title = `Tools: ${m.tools.join(', ')}`;
        break;
      }
      case 'result':
        e = this.renderResult(msg as Of<'result'>);
        break;
      default:
        e = el('div', undefined, oneLine(JSON.stringify(msg) ?? '', 300));
    }
    e.classList.add('msg');
    e.dataset.kind = kind;
    e.dataset.seq = String(r.seq);
    if (r.ts) e.title ||= new Date(r.ts).toLocaleTimeString();
    return e;
  }

  private renderResult(m: Of<'result'>): HTMLElement {
    const e = el('div', m.ok ? 'result-ok' : 'result-failed');
    e.setAttribute('role', 'status');
    let head = m.ok ? '✓ Run succeeded' : '✗ Run failed';
    if (!m.ok && m.error) head += `: ${m.error}`;
    if (!m.ok && m.errorKind && m.errorKind !== 'failed') head += ` (${m.errorKind.replace(/_/g, ' ')})`;
    e.append(el('div', 'result-head', head));
    const stats: string[] = [];
    if (m.usage) {
      const u = m.usage;
      stats.push(`tokens in ${n(u.inputTokens)} · out ${n(u.outputTokens)} · cache read ${n(u.cacheReadTokens)} · cache write ${n(u.cacheWriteTokens)}`);
    }
    if (m.costUsd !== undefined) stats.push(formatCost(m.costUsd));
    if (m.numTurns !== undefined) stats.push(`${m.numTurns} turn${m.numTurns === 1 ? '' : 's'}`);
    if (m.durationMs !== undefined) stats.push(formatDuration(m.durationMs));
    if (stats.length) e.append(el('div', 'result-stats', stats.join(' · ')));
    return e;
  }
}

function main(): void {
  registerToolkit();
  const panel = new OutputPanel(document.body);
  onMessage((m) => panel.handle(m));
  post({ type: 'ready' });
}

main();
