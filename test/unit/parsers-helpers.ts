// Helpers for the parser tests: feed a fixture transcript through a parser.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentMessage, RunOutcome } from '../../src/core/model/agentMessage';
import type { ExitStatus, StreamParser } from '../../src/core/agents/parsers/types';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'transcripts');

export function fixtureLines(name: string): string[] {
  return fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

export function exit(code: number | null, stderrTail = '', signal: NodeJS.Signals | null = null): ExitStatus {
  return { code, signal, stderrTail };
}

export interface Run {
  messages: AgentMessage[];
  outcome: RunOutcome;
}

/** Feed stdout lines (and stderr lines), then finish. */
export function feed(parser: StreamParser, lines: string[], status: ExitStatus, now: number, stderr: string[] = []): Run {
  const messages: AgentMessage[] = [];
  for (const l of lines) messages.push(...parser.line(l));
  for (const l of stderr) messages.push(...parser.stderrLine(l));
  return { messages, outcome: parser.finish(status, now) };
}

export function kinds(messages: AgentMessage[]): string[] {
  return messages.map((m) => m.kind);
}

export function only<K extends AgentMessage['kind']>(messages: AgentMessage[], kind: K): Extract<AgentMessage, { kind: K }>[] {
  return messages.filter((m): m is Extract<AgentMessage, { kind: K }> => m.kind === kind);
}

export const j = (o: unknown): string => JSON.stringify(o);

/** {"a":{"a":…{"a":leaf}}} `depth` levels deep, built without recursion (a hostile tool input). */
export function nestedObject(depth: number, leaf: unknown): Record<string, unknown> {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v as Record<string, unknown>;
}
