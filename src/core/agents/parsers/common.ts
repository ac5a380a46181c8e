// Small helpers shared by the stream parsers: JSON-safe parsing, field readers,
// usage arithmetic, stderr digestion, readable reasons, and live-view truncation.
import type { AgentMessage, OutcomeKind, RetryCause, Usage } from '../../model/agentMessage';
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
  /** The program's name in reasons ("Claude Code", "The simulated agent"); the format's own by default. */
  label?: string;
  /** Epoch ms now, for capping times read mid-run (tests pass a fixed clock). Defaults to Date.now. */
  now?: () => number;
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
// Hostile values

/** Deeper parts of a tool input are replaced by this; nothing real nests that deep. */
export const MAX_JSON_DEPTH = 100;
const TOO_DEEP = '[nested too deep]';

/** Does this JSON-like value nest deeper than `max` levels? (Walked with its own stack.) */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    if (d >= max) return true;
    seen.add(v);
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

/**
 * The value itself when it nests at most `max` levels, else a copy whose deeper parts are a
 * marker string: everything downstream (JSON.stringify, renderers) recurses, and a tool input
 * thousands of levels deep would overflow their stack.
 */
export function boundDepth(value: unknown, max = MAX_JSON_DEPTH): unknown {
  if (!nestsDeeperThan(value, max)) return value;
  const root: unknown[] = [undefined];
  const stack: { src: unknown; dst: Record<string, unknown> | unknown[]; key: string | number; depth: number }[] = [{ src: value, dst: root, key: 0, depth: 0 }];
  while (stack.length > 0) {
    const { src, dst, key, depth } = stack.pop()!;
    let out: unknown = src;
    if (typeof src === 'object' && src !== null) {
      if (depth >= max) out = TOO_DEEP;
      else {
        const copy: Record<string, unknown> | unknown[] = Array.isArray(src) ? [] : {};
        for (const [k, v] of Object.entries(src)) stack.push({ src: v, dst: copy, key: Array.isArray(src) ? Number(k) : k, depth: depth + 1 });
        out = copy;
      }
    }
    if (Array.isArray(dst)) dst[key as number] = out;
    else Object.defineProperty(dst, key, { value: out, enumerable: true, writable: true, configurable: true });
  }
  return root[0];
}

/** JSON text of any value, never throwing (too deep, cyclic, BigInt): a marker instead. */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(boundDepth(value)) ?? '';
  } catch {
    return '[unprintable]';
  }
}

/** The longest any announced wait is believed: a reset "in a year" is a bad line, not a plan. */
export const MAX_WAIT_MS = 7 * 24 * 3_600_000;

/**
 * A reset / retry time fit to act on: undefined when it is not a finite positive epoch or lies
 * well in the past (the caller then uses its default wait); at most `now` + MAX_WAIT_MS.
 */
export function saneTime(at: unknown, now: number, graceMs = 5 * 60_000): number | undefined {
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0 || !Number.isFinite(now)) return undefined;
  if (at < now - graceMs) return undefined;
  return Math.round(Math.min(at, now + MAX_WAIT_MS));
}

/** A delay in ms fit to act on: undefined unless finite and not negative; at most MAX_WAIT_MS. */
export function saneDelay(ms: unknown): number | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
  return Math.round(Math.min(ms, MAX_WAIT_MS));
}

// ---------------------------------------------------------------------------------------------
// What a failure says about the API

/** Texts of a request that never got an answer: refused, no route, no name, timed out. */
export const NETWORK_TEXT =
  /Unable to connect|Connection (?:error|failed|refused|reset)|ConnectionRefused|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|getaddrinfo|dns error|failed to lookup address|fetch failed|error sending request|socket hang up|waiting for network|Request timed out|network is unreachable/i;

/** The outcome an HTTP status stands for, when it tells. */
export function kindOfStatus(status: number | undefined): OutcomeKind | undefined {
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 401 || status === 403) return 'auth';
  return undefined;
}

/** Why a request is retried, from its HTTP status (null/undefined: no answer at all) and error text. */
export function retryCause(status: number | null | undefined, text = ''): RetryCause {
  const k = typeof status === 'number' ? kindOfStatus(status) : undefined;
  if (k === 'rate_limited') return 'rate_limit';
  if (k === 'overloaded' || /overloaded/i.test(text)) return 'overloaded';
  if (k === 'auth' || /authentication|unauthori[sz]ed/i.test(text)) return 'auth';
  if (typeof status === 'number' && status >= 500) return 'server';
  if (/rate[_ -]?limit|\b429\b|Too Many Requests|exhausted/i.test(text)) return 'rate_limit';
  if (NETWORK_TEXT.test(text) || status === null) return 'network';
  return 'other';
}

/** " (HTTP 529)" when the status is known. */
export function httpTag(status: number | undefined): string {
  return status !== undefined ? ` (HTTP ${status})` : '';
}

/** The first "status 529" / "(429)" / "HTTP 401" style number in a text. */
export function statusIn(text: string): number | undefined {
  const m = /(?:\bstatus:?\s*|\bHTTP\s*|API Error:\s*|Request rejected \(|\()([1-5]\d\d)\b/i.exec(text);
  return m ? Number(m[1]) : undefined;
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
  if (!Number.isFinite(d.getTime())) return 'an unknown time';
  const n = new Date(Number.isFinite(now) ? now : at);
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const sameDay = d.getUTCFullYear() === n.getUTCFullYear() && d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() === n.getUTCDate();
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
