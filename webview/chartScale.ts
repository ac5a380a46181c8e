// The charts' arithmetic, apart from the DOM so it is unit-tested in plain Node: which bars each
// chart has (from the host's ChartsView), a "nice" axis maximum with its ticks, and where each bar goes.
import type { ChartsView } from '../src/protocol/messages';

export interface BarDatum {
  label: string;
  value: number;
  /** The exact value, for the bar's tooltip and the table read by screen readers. */
  text: string;
}

export interface ChartSpec {
  key: 'costPerDay' | 'costPerAgent' | 'donePerDay' | 'stageTime';
  title: string;
  /** One sentence that says what the chart shows, for screen readers and as its caption. */
  summary: string;
  /** vertical: one column per day; horizontal: one row per named thing. */
  orientation: 'vertical' | 'horizontal';
  data: BarDatum[];
  /** Formats an axis tick. */
  tick: (v: number) => string;
  /** The values are counts: whole-number ticks. */
  counts?: boolean;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  datum: BarDatum;
}

export interface Layout {
  bars: Bar[];
  /** The axis maximum (a nice number at or above the largest value; 1 when all are zero). */
  max: number;
  /** Tick values from 0 to max, with their position along the value axis. */
  ticks: { value: number; at: number }[];
}

export interface Box {
  width: number;
  height: number;
  /** Room kept for the labels: left (horizontal bars' names, vertical bars' ticks) and bottom. */
  left: number;
  bottom: number;
  top: number;
  right: number;
  /** Space between bars, as a share of each bar's slot (0..1). */
  gap: number;
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above v (1 for nothing to show). */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** For counts: a whole-number maximum at or above v, at least 1. */
export function niceCountMax(v: number): number {
  return Math.max(1, Math.ceil(niceMax(v)));
}

/** How many tick steps split a whole-number maximum into whole numbers (at most 5). */
export function countTicks(max: number): number {
  if (max <= 5) return Math.max(1, max);
  return [4, 5, 2].find((n) => max % n === 0) ?? 1;
}

/** Evenly spaced ticks from 0 to max (max included). */
export function tickValues(max: number, count = 4): number[] {
  const out: number[] = [];
  for (let i = 0; i <= count; i++) out.push((max * i) / count);
  return out;
}

/** Where each bar goes in the box: values scale from 0 to a nice maximum; a zero value has no height. */
export function layoutBars(data: readonly BarDatum[], orientation: ChartSpec['orientation'], box: Box, counts = false): Layout {
  const top = Math.max(0, ...data.map((d) => (Number.isFinite(d.value) ? d.value : 0)));
  const max = counts ? niceCountMax(top) : niceMax(top);
  const steps = counts ? countTicks(max) : 4;
  const plotW = Math.max(0, box.width - box.left - box.right);
  const plotH = Math.max(0, box.height - box.top - box.bottom);
  const n = Math.max(1, data.length);
  const scale = (v: number, span: number) => (Number.isFinite(v) && v > 0 ? (Math.min(v, max) / max) * span : 0);
  if (orientation === 'vertical') {
    const slot = plotW / n;
    const w = slot * (1 - box.gap);
    const bars = data.map((datum, i) => {
      const h = scale(datum.value, plotH);
      return { x: box.left + i * slot + (slot - w) / 2, y: box.top + plotH - h, width: w, height: h, datum };
    });
    return { bars, max, ticks: tickValues(max, steps).map((value) => ({ value, at: box.top + plotH - (value / max) * plotH })) };
  }
  const slot = plotH / n;
  const h = slot * (1 - box.gap);
  const bars = data.map((datum, i) => ({ x: box.left, y: box.top + i * slot + (slot - h) / 2, width: scale(datum.value, plotW), height: h, datum }));
  return { bars, max, ticks: tickValues(max, steps).map((value) => ({ value, at: box.left + (value / max) * plotW })) };
}

export function formatUsd(v: number): string {
  if (v === 0) return '$0';
  if (v < 0.01) return '<$0.01';
  return v >= 100 ? `$${Math.round(v)}` : `$${v.toFixed(2)}`;
}

/** A span of time in the largest unit that keeps it readable: 45s, 12m, 3.5h, 2.1d. */
export function formatSpan(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${+(s / 3600).toFixed(1)}h`;
  return `${+(s / 86400).toFixed(1)}d`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 9" for 2026-03-09. */
export function dayLabel(day: string): string {
  const [, m, d] = day.split('-').map(Number);
  return MONTHS[m - 1] ? `${MONTHS[m - 1]} ${d}` : day;
}

const STAGE_NAMES: Record<string, string> = { backlog: 'Backlog', current: 'Current', qa: 'QA', merge: 'Merge', done: 'Done', archived: 'Archived' };
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The four charts the board shows, from the host's numbers. */
/** The unit a time axis counts in, so that its ticks are round: hours, minutes or seconds. */
export function timeUnit(maxMs: number): { ms: number; suffix: string } {
  if (maxMs >= 2 * 3_600_000) return { ms: 3_600_000, suffix: 'h' };
  if (maxMs >= 2 * 60_000) return { ms: 60_000, suffix: 'm' };
  return { ms: 1000, suffix: 's' };
}

export function chartSpecs(v: ChartsView): ChartSpec[] {
  const n = v.days.length;
  const range = n ? `${dayLabel(v.days[0])} – ${dayLabel(v.days[n - 1])}` : 'no days';
  const zone = `days in ${v.timezone}`;
  const cost = sum(v.costPerDay);
  const done = sum(v.donePerDay);
  // the stages a story works its way through (time in done is only the wait before archiving)
  const stageTimes = v.stageTimes.filter((t) => t.stage !== 'done' && t.stage !== 'archived');
  const unit = timeUnit(Math.max(0, ...stageTimes.map((t) => t.medianMs)));
  return [
    {
      key: 'costPerDay',
      title: 'Cost per day',
      summary: `Agent cost per day, ${range} (${zone}): ${formatUsd(cost)} in all, ${plural(sum(v.runsPerDay), 'run')}.`,
      orientation: 'vertical',
      data: v.days.map((day, i) => ({
        label: dayLabel(day),
        value: v.costPerDay[i] ?? 0,
        text: `${day}: $${(v.costPerDay[i] ?? 0).toFixed(4)} (${plural(v.runsPerDay[i] ?? 0, 'run')})`,
      })),
      tick: formatUsd,
    },
    {
      key: 'costPerAgent',
      title: 'Cost per agent',
      summary: v.costPerAgent.length ? `Agent cost per agent over the last ${plural(n, 'day')}, the most expensive first.` : `No agent cost over the last ${plural(n, 'day')}.`,
      orientation: 'horizontal',
      data: v.costPerAgent.map((a) => ({ label: a.agent, value: a.costUsd, text: `${a.agent}: $${a.costUsd.toFixed(4)} (${plural(a.runs, 'run')})` })),
      tick: formatUsd,
    },
    {
      key: 'donePerDay',
      title: 'Stories done per day',
      summary: `Stories reaching done per day, ${range} (${zone}): ${done} in all.`,
      orientation: 'vertical',
      data: v.days.map((day, i) => ({ label: dayLabel(day), value: v.donePerDay[i] ?? 0, text: `${day}: ${plural(v.donePerDay[i] ?? 0, 'story', 'stories')} done` })),
      tick: String,
      counts: true,
    },
    {
      key: 'stageTime',
      title: 'Median time in stage',
      summary: stageTimes.length
        ? `Median time a story spent in each stage, for stays that ended in the last ${plural(n, 'day')}.`
        : `No story left a stage in the last ${plural(n, 'day')}.`,
      orientation: 'horizontal',
      data: stageTimes.map((s) => ({
        label: STAGE_NAMES[s.stage] ?? s.stage,
        value: s.medianMs / unit.ms,
        text: `${STAGE_NAMES[s.stage] ?? s.stage}: median ${formatSpan(s.medianMs)}, mean ${formatSpan(s.meanMs)} (${plural(s.count, 'stay')})`,
      })),
      tick: (x) => `${+x.toFixed(1)}${unit.suffix}`,
    },
  ];
}
