// How one transcript record looks as a row of the output panel: one element per record, with
// data-kind and data-seq, long bodies folded and capped (the transcript file keeps them whole).
import type { AgentMessage, TranscriptRecord } from '../src/protocol/messages';
import { el, formatCost, formatDuration } from './dom';

// The formatting the board uses too, for the header and the rows.
export { el, formatCost, formatDuration };

/** Longest tool input/result/thinking text put in the DOM; the transcript file has it all. */
const MAX_BODY_CHARS = 20_000;
/** Tool names kept to label results: bounded like the rows. */
const MAX_TOOL_NAMES = 2000;

type Kind = AgentMessage['kind'];
type Of<K extends Kind> = Extract<AgentMessage, { kind: K }>;

function oneLine(s: string, max = 100): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function capped(s: string): string {
  return s.length > MAX_BODY_CHARS ? `${s.slice(0, MAX_BODY_CHARS)}\n… (${(s.length - MAX_BODY_CHARS).toLocaleString()} more characters in the transcript)` : s;
}

export function n(v: number): string {
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

/** Renders records as rows; remembers tool names so a result can say which call it answers. */
export class RecordRenderer {
  private readonly toolNames = new Map<string, string>();

  clear(): void {
    this.toolNames.clear();
  }

  render(r: TranscriptRecord): HTMLElement {
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
          if (this.toolNames.size > MAX_TOOL_NAMES) this.toolNames.delete(this.toolNames.keys().next().value!);
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
