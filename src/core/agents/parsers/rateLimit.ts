// Reset times out of the agent programs' rate-limit texts. Pure functions: each takes `now`
// (epoch ms) and returns epoch ms, or undefined when the text says nothing usable.
//
// Wall-clock times without a date ("resets 1:55pm", "try again at 1:56 PM") mean the next such
// time after `now`; the programs print the minute rounded down, so a time up to GRACE_MS in
// the past is taken as "just now" rather than as tomorrow.

export const GRACE_MS = 5 * 60_000;
export const PACIFIC = 'America/Los_Angeles';

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

// ---------------------------------------------------------------------------------------------
// Time zones with Intl

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(zone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  formatters.set(zone, f);
  return f;
}

/** The zone of this process (IANA name), UTC when unknown. */
export function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** True when Intl knows this zone name. */
export function isValidZone(zone: string): boolean {
  return formatterFor(zone) !== undefined;
}

/** A zone name as printed by a program ("UTC", "Europe/Paris", "GMT"), or the fallback. */
function resolveZone(zone: string | undefined, fallback?: string): string {
  const z = zone?.trim();
  if (z && isValidZone(z)) return z;
  if (fallback && isValidZone(fallback)) return fallback;
  return localZone();
}

interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock fields of an instant in a zone. */
export function wallClockIn(epochMs: number, zone: string): WallClock {
  const f = formatterFor(zone) ?? formatterFor('UTC')!;
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour === 24 ? 0 : parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** Offset of `zone` from UTC at an instant, in ms (Paris in winter: +3 600 000). */
function offsetAt(epochMs: number, zone: string): number {
  const w = wallClockIn(epochMs, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant at which the clocks of `zone` show this wall-clock time. Out-of-range fields
 * roll over as with Date.UTC (day 32 = next month). In a DST gap the later offset wins.
 */
export function zonedTimeToEpoch(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute, 0);
  let guess = naive - offsetAt(naive, zone);
  const second = naive - offsetAt(guess, zone);
  if (second !== guess) guess = second;
  return guess;
}

/** The next time the clocks of `zone` show hour:minute, at or after now − grace. */
export function nextWallClockTime(now: number, hour: number, minute: number, zone: string, graceMs = GRACE_MS): number {
  const today = wallClockIn(now, zone);
  for (let add = 0; add < 3; add++) {
    const t = zonedTimeToEpoch(today.year, today.month, today.day + add, hour, minute, zone);
    if (t >= now - graceMs) return t;
  }
  return zonedTimeToEpoch(today.year, today.month, today.day + 1, hour, minute, zone);
}

/** The next time the clocks of `zone` show month/day hour:minute (year unknown), at or after now − grace. */
function nextDateTime(now: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const y = wallClockIn(now, zone).year;
  for (const year of [y - 1, y, y + 1]) {
    const t = zonedTimeToEpoch(year, month, day, hour, minute, zone);
    if (t >= now - GRACE_MS) return t;
  }
  return zonedTimeToEpoch(y + 1, month, day, hour, minute, zone);
}

/** The next midnight in `zone` strictly after `now`. */
export function nextMidnight(now: number, zone: string = PACIFIC): number {
  const w = wallClockIn(now, zone);
  return zonedTimeToEpoch(w.year, w.month, w.day + 1, 0, 0, zone);
}

function to24h(hour: number, ampm: string | undefined): number | undefined {
  if (!ampm) return hour <= 23 ? hour : undefined;
  if (hour < 1 || hour > 12) return undefined;
  const pm = /^p/i.test(ampm);
  if (hour === 12) return pm ? 12 : 0;
  return pm ? hour + 12 : hour;
}

function monthOf(name: string | undefined): number | undefined {
  return name ? MONTHS[name.slice(0, 3).toLowerCase()] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Claude

/**
 * Claude Code usage-limit texts:
 * - "You've hit your session limit · resets 1:55pm (UTC)"
 * - "You've hit your weekly limit · resets Nov 22, 3pm (Europe/Paris)"
 * - legacy "Claude AI usage limit reached|1700000000" (epoch seconds)
 * A time without a zone is read in `defaultZone` (else this process's zone).
 */
export function parseClaudeReset(text: string, now: number, defaultZone?: string): number | undefined {
  if (!text) return undefined;
  const legacy = /Claude AI usage limit reached\|(\d{9,13})/i.exec(text);
  if (legacy) {
    const n = Number(legacy[1]);
    return legacy[1].length >= 13 ? n : n * 1000;
  }
  const m = /\bresets?\s+(?:at\s+|on\s+)?(?:([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(?:at\s+)?)?(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(([^)]+)\))?/i.exec(text);
  if (!m) return undefined;
  const [, monthName, dayStr, hourStr, minStr, ampm, zoneName] = m;
  if (!ampm && minStr === undefined) return undefined; // "resets 3" is not a time
  const hour = to24h(Number(hourStr), ampm?.replace(/\./g, ''));
  const minute = minStr ? Number(minStr) : 0;
  if (hour === undefined || minute > 59) return undefined;
  const zone = resolveZone(zoneName, defaultZone);
  if (monthName) {
    const month = monthOf(monthName);
    const day = Number(dayStr);
    if (!month || day < 1 || day > 31) return undefined;
    return nextDateTime(now, month, day, hour, minute, zone);
  }
  return nextWallClockTime(now, hour, minute, zone);
}

/** Does this Claude text announce a subscription usage limit (as opposed to an API 429)? */
export function isClaudeUsageLimitText(text: string): boolean {
  return /(hit|reached) your .*limit|usage limit reached|out of usage|out of (extra )?usage credits|spend limit/i.test(text);
}

// ---------------------------------------------------------------------------------------------
// Codex

/**
 * Codex usage-limit texts: "… or try again at 1:56 PM." (local time today, or the next
 * 1:56 PM) and "… try again at Nov 22nd, 2026 1:56 PM.". `zone` is the zone Codex ran in,
 * this process's zone by default.
 */
export function parseCodexReset(text: string, now: number, zone?: string): number | undefined {
  if (!text) return undefined;
  const m = /try again at\s+(?:([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(\d{4}),?\s+)?)?(\d{1,2}):(\d{2})\s*([AP]\.?M\.?)?/i.exec(text);
  if (!m) return undefined;
  const [, monthName, dayStr, yearStr, hourStr, minStr, ampm] = m;
  const hour = to24h(Number(hourStr), ampm?.replace(/\./g, ''));
  const minute = Number(minStr);
  if (hour === undefined || minute > 59) return undefined;
  const z = resolveZone(zone);
  if (monthName) {
    const month = monthOf(monthName);
    const day = Number(dayStr);
    if (!month || day < 1 || day > 31) return undefined;
    if (yearStr) return zonedTimeToEpoch(Number(yearStr), month, day, hour, minute, z);
    return nextDateTime(now, month, day, hour, minute, z);
  }
  return nextWallClockTime(now, hour, minute, z);
}

// ---------------------------------------------------------------------------------------------
// Gemini

/** Does this Gemini text speak of a daily quota (which resets at midnight Pacific time)? */
export function isGeminiDailyQuota(text: string): boolean {
  return /daily quota|PerDay|per[- ]day|\bDaily\b/i.test(text);
}

/** Does this Gemini text speak of a quota / 429 at all? */
export function isGeminiQuotaText(text: string): boolean {
  return /exhausted your (daily )?quota|Resource has been exhausted|RESOURCE_EXHAUSTED|quota exceeded|\bquota\b|\b429\b|Too Many Requests|rate limit/i.test(text);
}

function delayMs(value: string, unit: string | undefined): number | undefined {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) return undefined;
  const u = (unit ?? 's').toLowerCase();
  if (u === 'ms') return Math.round(n);
  if (u.startsWith('m')) return Math.round(n * 60_000); // m, min, minutes
  if (u.startsWith('h')) return Math.round(n * 3_600_000);
  return Math.round(n * 1000);
}

/**
 * Gemini retry hints: a daily quota → next midnight America/Los_Angeles; "Please retry in
 * 12.3s", "Suggested retry after 30s", `"retryDelay": "30s"`, "Retrying after 5009ms" → now + delay.
 */
export function parseGeminiRetry(text: string, now: number): number | undefined {
  if (!text) return undefined;
  if (isGeminiDailyQuota(text)) return nextMidnight(now, PACIFIC);
  const patterns = [
    /Please retry in\s+([\d.]+)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?\b/i,
    /Suggested retry after\s+([\d.]+)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?\b/i,
    /"?retryDelay"?\s*[:=]\s*"?([\d.]+)(ms|s)"?/i,
    /Retrying after\s+([\d.]+)\s*(ms|s)\b/i,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) {
      const d = delayMs(m[1], m[2]);
      if (d !== undefined) return now + d;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Any

/** Try every known wording, Claude's first. */
export function parseAnyReset(text: string, now: number, zone?: string): number | undefined {
  return parseClaudeReset(text, now, zone) ?? parseCodexReset(text, now, zone) ?? parseGeminiRetry(text, now);
}
