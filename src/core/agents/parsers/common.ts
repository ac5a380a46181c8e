// Small helpers shared by the stream parsers: JSON-safe parsing, field readers,
// usage arithmetic, stderr digestion, readable reasons, and live-view truncation.
import type { AgentMessage, Usage } from '../../model/agentMessage';
import type { ExitStatus, StreamParser } from './types';

/** Options every parser factory accepts (unknown fields are ignored). */
export interface ParserOptions {
  /**
   * Codex only: the thread's cumulative usage before this run (for `exec resume`).
   * Codex reports thread-cumulative figures; this is subtracted to get per-run figures.
   */
  previousUsage?: Usage;
  /**
   * IANA zone used to read reset times printed without a zone (Codex prints local time).
   * Defaults to the zone of this process.
   */
  timeZone?: string;
}

/** A parser for one of the agent JSON formats, with what the command parser needs to know. */
export interface FormatParser extends StreamParser {
  /** True once the stream has given its final verdict (a result / turn.completed / turn.failed). */
  sawFinal(): boolean;
  /** Session / thread id seen so far. */
  sessionId(): string | undefined;
}

export type Json = Record<string, unknown>;

/** Parse one line as a JSON object; anything else (arrays, scalars, garbage) gives undefined. */
export function parseJsonObject(line: string): Json | undefined {
  const s = line.trim();
  if (s.length < 2 || s[0] !== '{') return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function obj(v: unknown): Json | undefined {
  return isObject(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

// ---------------------------------------------------------------------------------------------
// Usage

export function zeroUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/**
 * a − b, field by field. If any field would go negative the figures were evidently not
 * cumulative (or the baseline is wrong), so `a` is returned unchanged.
 */
export function subtractUsage(a: Usage, b: Usage): Usage {
  const d = {
    inputTokens: a.inputTokens - b.inputTokens,
    outputTokens: a.outputTokens - b.outputTokens,
    cacheReadTokens: a.cacheReadTokens - b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens - b.cacheWriteTokens,
  };
  if (d.inputTokens < 0 || d.outputTokens < 0 || d.cacheReadTokens < 0 || d.cacheWriteTokens < 0) {
    return { ...a };
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Text helpers

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** One line, at most `max` characters (an ellipsis marks the cut). */
export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/** Is this stderr line worth nothing (blank, stack frame, bracket, debug tracing)? */
export function isNoiseLine(line: string): boolean {
  const t = line.trim();
  if (!t) return true;
  if (/^at\s/.test(t)) return true; // JS stack frame
  if (/^[\s{}[\]()",:]*$/.test(t)) return true; // bits of pretty-printed JSON
  if (/^\d{4}-\d\d-\d\dT\S+\s+(TRACE|DEBUG|INFO)\b/.test(t)) return true; // Rust tracing
  if (/^(TRACE|DEBUG|INFO)\s+[\w:]+:/.test(t)) return true;
  if (/^\(node:\d+\)/.test(t)) return true; // node warnings
  if (/^Node\.js v\d/.test(t)) return true;
  return false;
}

const ERRORISH = /\b(error|fatal|failed|failure|denied|invalid|cannot|can't|unauthori[sz]ed|forbidden|not found|not logged in|please set)\b/i;

/**
 * The most telling line of some stderr text: the last line that reads like an error,
 * else the last line that is not noise. Undefined when there is nothing.
 */
export function lastMeaningfulLine(text: string | string[]): string | undefined {
  const lines = (Array.isArray(text) ? text : text.split(/\r?\n/)).map((l) => stripAnsi(l));
  let fallback: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (isNoiseLine(l)) continue;
    if (ERRORISH.test(l)) return oneLine(l);
    if (fallback === undefined) fallback = oneLine(l);
  }
  return fallback;
}

/**
 * Keeps the last stderr lines a parser saw (in case the spawner's tail is empty) and turns
 * some of them into notices, with a cap so that a chatty program cannot flood the transcript.
 */
export class StderrLog {
  private readonly lines: string[] = [];
  private notices = 0;

  constructor(
    private readonly maxNotices = 50,
    private readonly keep = 40,
  ) {}

  /** Record a line; returns the cleaned line, or undefined when it is noise. */
  add(raw: string): string | undefined {
    const line = stripAnsi(raw).replace(/\s+$/, '');
    if (isNoiseLine(line)) return undefined;
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    return line;
  }

  /** A notice for this (already cleaned) line, unless the cap is reached. */
  notice(line: string, level: 'info' | 'warning' = 'info'): AgentMessage[] {
    if (this.notices >= this.maxNotices) return [];
    this.notices++;
    return [{ kind: 'notice', message: oneLine(line, 2000), level }];
  }

  all(): string[] {
    return this.lines.slice();
  }

  /** The telling line from the spawner's tail, else from what was seen here. */
  meaningful(exit?: ExitStatus): string | undefined {
    const fromTail = exit?.stderrTail ? lastMeaningfulLine(exit.stderrTail) : undefined;
    return fromTail ?? lastMeaningfulLine(this.lines);
  }

  /** Everything seen, for pattern matching (tail first, then recorded lines). */
  text(exit?: ExitStatus): string {
    return `${exit?.stderrTail ?? ''}\n${this.lines.join('\n')}`;
  }
}

/** "exited with code 1: <line>" / "killed by signal SIGKILL" / "exited with code 0". */
export function exitReason(exit: ExitStatus, detail?: string): string {
  const base = exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
  return detail ? `${base}: ${detail}` : base;
}

/** True when the process ended normally with status 0. */
export function exitedZero(exit: ExitStatus): boolean {
  return !exit.signal && exit.code === 0;
}

/** "after 7 s", "after 0.6 s", "after 2 min". */
export function formatDelay(ms: number): string {
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  const s = ms / 1000;
  const shown = s >= 10 || Number.isInteger(s) ? String(Math.round(s)) : s.toFixed(1);
  return `${shown} s`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A reset time for a reason, in UTC so that it reads the same for every machine:
 * "13:55 UTC" when on the same UTC day as `now`, else "Nov 22 13:55 UTC".
 */
export function formatResetTime(at: number, now: number): string {
  const d = new Date(at);
  const n = new Date(now);
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const sameDay =
    d.getUTCFullYear() === n.getUTCFullYear() && d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() === n.getUTCDate();
  if (sameDay) return `${hm} UTC`;
  const year = d.getUTCFullYear() !== n.getUTCFullYear() ? ` ${d.getUTCFullYear()}` : '';
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}${year} ${hm} UTC`;
}

// ---------------------------------------------------------------------------------------------
// Live view

function utf8Cut(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let end = Math.max(0, maxBytes);
  // step back over UTF-8 continuation bytes so that no character is split
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/**
 * A copy of `msg` fit for the live view: a tool_result whose content is over `maxBytes`
 * (UTF-8) is cut and marked `truncated: true`. Other messages come back as shallow copies.
 * The transcript on disk keeps the whole message; only the live view uses this.
 */
export function truncateForLive(msg: AgentMessage, maxBytes = 64 * 1024): AgentMessage {
  if (msg.kind === 'tool_result' && Buffer.byteLength(msg.content, 'utf8') > maxBytes) {
    return { ...msg, content: utf8Cut(msg.content, maxBytes), truncated: true };
  }
  return { ...msg };
}
