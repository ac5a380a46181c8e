// Calendar days in a time zone: the day (YYYY-MM-DD) a moment falls on there, and the last N days
// up to a moment, so that charts count "per day" the way the project's people see their days.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats a date as YYYY-MM-DD
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The day (YYYY-MM-DD) that the moment `ms` falls on in `timeZone`. */
export function dayOf(ms: number, timeZone: string): string {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The `count` days ending with the day of `nowMs` in `timeZone`, oldest first. */
export function lastDays(nowMs: number, timeZone: string, count: number): string[] {
  const [y, m, d] = dayOf(nowMs, timeZone).split('-').map(Number);
  const out: string[] = [];
  // calendar arithmetic on the day itself (UTC dates carry no zone shifts)
  for (let i = count - 1; i >= 0; i--) out.push(new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10));
  return out;
}
