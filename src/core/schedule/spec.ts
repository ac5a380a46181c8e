// Scheduled timers' times: a spec (one-shot at an ISO time or HH:MM, an interval, a cron
// expression) read into a schedule, and the next firing after a moment. Croner does the calendar
// work, so cron times and local wall-clock times are right across daylight-saving changes.
import { Cron } from 'croner';
import type { ScheduleAction, TimerSchedule, TimerSpec } from '../model/commands';

/** The shortest interval a recurring timer may have. */
export const MIN_INTERVAL_S = 60;

const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "30m", "every 2h", "90s", "1 day", or a number of seconds. */
export function parseInterval(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < MIN_INTERVAL_S) throw new Error(`the interval must be a whole number of seconds, at least ${MIN_INTERVAL_S}; got ${v}`);
    return v;
  }
  const m = /^\s*(?:every\s+)?(\d+)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? UNITS[(m[2] || 's').toLowerCase()] : undefined;
  if (!m || !unit) throw new Error(`"${v}" is not an interval (e.g. "30m", "every 2h", "90s", "1d")`);
  const s = Number(m[1]) * unit;
  if (s < MIN_INTERVAL_S) throw new Error(`the interval "${v}" is shorter than ${MIN_INTERVAL_S} seconds`);
  return s;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Reads a spec: exactly one of at, every, cron; a known time zone; an action. Throws with what is wrong. */
export function parseSchedule(spec: TimerSpec): TimerSchedule {
  const given = (['at', 'every', 'cron'] as const).filter((k) => spec[k] !== undefined && spec[k] !== '');
  if (given.length !== 1) throw new Error(`a timer needs exactly one of "at", "every" or "cron"${given.length ? ` (got ${given.join(' and ')})` : ''}`);
  checkAction(spec.action);
  if (spec.timezone !== undefined && !isTimeZone(spec.timezone)) throw new Error(`"${spec.timezone}" is not a known time zone (e.g. Europe/Berlin, UTC)`);
  if (spec.at !== undefined) {
    const at = String(spec.at).trim();
    if (!HHMM.test(at) && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(at))
      throw new Error(`"${at}" is not a time: use an ISO time (2026-05-01T09:00, with or without an offset) or HH:MM`);
    return { kind: 'at', at };
  }
  if (spec.every !== undefined) return { kind: 'every', seconds: parseInterval(spec.every) };
  const cron = String(spec.cron).trim();
  try {
    new Cron(cron, { paused: true, timezone: spec.timezone });
  } catch (err) {
    throw new Error(`"${cron}" is not a cron expression: ${(err as Error).message}`, { cause: err });
  }
  return { kind: 'cron', cron };
}

export function checkAction(a: ScheduleAction | undefined): void {
  if (!a || typeof a !== 'object') throw new Error('an action is needed: { tool, args } or { prompt }');
  if ('tool' in a) {
    if (typeof a.tool !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(a.tool)) throw new Error(`"${String(a.tool)}" is not a tool name`);
    if (a.args === null || typeof a.args !== 'object' || Array.isArray(a.args)) throw new Error(`the arguments of ${a.tool} must be an object`);
  } else if ('prompt' in a) {
    if (typeof a.prompt !== 'string' || !a.prompt.trim()) throw new Error('the prompt needs some text');
  } else throw new Error('an action is { tool, args } or { prompt, agent? }');
}

/** The first firing of a schedule after `now` (undefined: a one-shot time that has passed). */
export function firstAt(s: TimerSchedule, tz: string, now: number): number | undefined {
  if (s.kind === 'every') return now + s.seconds * 1000;
  return nextAfter(s, tz, now, now);
}

/** The next firing after `now`: from the schedule itself (an interval counts from its anchor), never from a late firing. */
export function nextAfter(s: TimerSchedule, tz: string, now: number, anchor: number): number | undefined {
  if (s.kind === 'every') {
    const p = s.seconds * 1000;
    return anchor + (Math.floor(Math.max(0, now - anchor) / p) + 1) * p;
  }
  if (s.kind === 'cron') return new Cron(s.cron, { paused: true, timezone: tz }).nextRun(new Date(now))?.getTime();
  const hm = HHMM.exec(s.at);
  if (hm) return new Cron(`0 ${Number(hm[2])} ${Number(hm[1])} * * *`, { paused: true, timezone: tz }).nextRun(new Date(now))?.getTime();
  // An ISO time without an offset is a wall-clock time in the zone.
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(s.at);
  const t = hasOffset ? Date.parse(s.at) : new Cron(s.at, { paused: true, timezone: tz }).nextRun(new Date(0))?.getTime();
  if (t === undefined || !Number.isFinite(t)) throw new Error(`"${s.at}" is not a time`);
  return t > now ? t : undefined;
}

/** How a schedule reads in a list. */
export function describeSchedule(s: TimerSchedule, tz: string): string {
  if (s.kind === 'every') return `every ${s.seconds % 3600 === 0 ? `${s.seconds / 3600}h` : s.seconds % 60 === 0 ? `${s.seconds / 60}m` : `${s.seconds}s`}`;
  if (s.kind === 'cron') return `cron "${s.cron}" (${tz})`;
  return HHMM.test(s.at) ? `at ${s.at} (${tz})` : `at ${s.at}`;
}

/** A readable description of an action. */
export function describeAction(a: ScheduleAction): string {
  return 'tool' in a ? `${a.tool} ${JSON.stringify(a.args)}` : `prompt "${a.prompt.length > 60 ? `${a.prompt.slice(0, 59)}…` : a.prompt}"${a.agent ? ` (agent ${a.agent})` : ''}`;
}
