// One-line renderings of agent messages and runs for the terminal.
import type { AgentMessage } from '../core/model/agentMessage';

const MAX = 160;

function clip(s: string, n = MAX): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

export function toolSummary(name: string, input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const main = i.command ?? i.file_path ?? i.path ?? i.pattern ?? i.url ?? i.description;
  return typeof main === 'string' ? `${name}: ${clip(main, 120)}` : `${name} ${clip(JSON.stringify(input ?? {}), 120)}`;
}

export function formatMessage(m: AgentMessage): string | undefined {
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
    case 'rate_limit':
      return `rate limit ${m.status}${m.resetsAt ? `, resets ${new Date(m.resetsAt).toISOString()}` : ''}`;
    case 'result':
      return `${m.ok ? '✓ done' : `✗ ${m.error ?? 'failed'}`}${m.usage ? ` · ${m.usage.inputTokens} in / ${m.usage.outputTokens} out tokens` : ''}${m.costUsd !== undefined ? ` · $${m.costUsd.toFixed(4)}` : ''}`;
  }
}
