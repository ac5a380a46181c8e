// One-line renderings of agent messages and runs for the terminal. Secrets are masked before a
// message is cut to length (so no half of a key shows), and any number prints as a time.
import { maskMessage, redact, safeStringify, secretValues, type AgentMessage, type Snapshot } from '../core/api';

const MAX = 160;

function clip(s: string, n = MAX): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** An epoch-ms time as ISO text; whatever is not a representable time is shown as it is. */
export function isoTime(ms: unknown): string {
  const d = typeof ms === 'number' ? new Date(ms) : undefined;
  return d && Number.isFinite(d.getTime()) ? d.toISOString() : `(not a time: ${String(ms)})`;
}

export function toolSummary(name: string, input: unknown): string {
  const i = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const main = i.command ?? i.file_path ?? i.path ?? i.pattern ?? i.url ?? i.description;
  return typeof main === 'string' ? `${name}: ${clip(main, 120)}` : `${name} ${clip(safeStringify(input ?? {}), 120)}`;
}

/**
 * One line for a message, or undefined for what the terminal does not show. `secrets` are the
 * values to mask besides the well-known shapes: by default those of this process's environment;
 * pass the orchestrator's list to cover every agent's env too.
 */
export function formatMessage(message: AgentMessage, secrets: readonly string[] = secretValues(process.env)): string | undefined {
  const line = render(maskMessage(message, secrets));
  return line === undefined ? undefined : redact(line, secrets);
}

function render(m: AgentMessage): string | undefined {
  switch (m.kind) {
    case 'init':
      return `session ${m.sessionId ?? '?'}${m.model ? ` · ${m.model}` : ''}`;
    case 'text':
      return clip(m.text);
    case 'thinking':
      return undefined;
    case 'tool_use':
      return `→ ${toolSummary(m.name, m.input)}`;
    case 'tool_result':
      return m.isError ? `✗ ${clip(m.content, 120)}` : undefined;
    case 'error':
      return `error: ${clip(m.message)}`;
    case 'notice':
      return `· ${clip(m.message)}`;
    case 'retry':
      return `· ${clip(m.message)}`;
    case 'rate_limit':
      return `rate limit ${m.status}${m.resetsAt !== undefined ? `, resets ${isoTime(m.resetsAt)}` : ''}`;
    case 'result': {
      const usage = m.usage ? ` · ${m.usage.inputTokens} in / ${m.usage.outputTokens} out tokens` : '';
      const cost = typeof m.costUsd === 'number' && Number.isFinite(m.costUsd) ? ` · $${m.costUsd.toFixed(4)}` : '';
      return `${m.ok ? '✓ done' : `✗ ${m.error ?? 'failed'}`}${usage}${cost}`;
    }
    default:
      return undefined;
  }
}

type HelpRequest = Snapshot['help'][number];

/** What to type for a help request's action; undefined for the ones that only make sense in VS Code. */
function helpHint(a: HelpRequest['actions'][number]): string | undefined {
  switch (a.kind) {
    case 'acknowledge':
      return `huskies ack ${a.agent}`;
    case 'unblock':
      return `huskies unblock ${a.storyId}`;
    case 'resume':
      return `huskies resume ${a.storyId}`;
    case 'resumeProject':
      return 'huskies resume';
    case 'fixup':
      return `huskies fixup ${a.storyId}`;
    case 'review':
      return `huskies approve ${a.storyId} / huskies reject ${a.storyId} "why"`;
    default:
      return undefined;
  }
}

/** `huskies status`: one line per help request (stuck work that needs the user), with what to type. */
export function helpLines(help: readonly HelpRequest[]): string[] {
  if (!help.length) return [];
  return [
    `\nNEEDS YOU (${help.length}):`,
    ...help.map((h) => {
      const hints = h.actions.map(helpHint).filter((x): x is string => !!x);
      return `  ? ${h.reason}${hints.length ? ` · ${hints.join(' · ')}` : ''} (since ${isoTime(h.since)})`;
    }),
  ];
}
