// What the board's charts show, gathered from the project's own logs: cost per day and per agent
// (token_usage.jsonl) and throughput — stories reaching done per day, time spent in each stage —
// (audit.log). Both files are read incrementally; a file that shrank or was replaced is read again.
import { isStage, STAGES, type Stage } from '../model/stage';
import { dayOf, lastDays } from './days';
import { JsonLinesTail } from './lineTail';

export interface StageTime {
  stage: Stage;
  /** Stays in the stage that ended within the window. */
  count: number;
  medianMs: number;
  meanMs: number;
}

export interface AgentCost {
  agent: string;
  costUsd: number;
  runs: number;
}

export interface ProjectStats {
  /** The zone the days are counted in. */
  timezone: string;
  /** The window's days (YYYY-MM-DD), oldest first; the per-day lists below line up with it. */
  days: string[];
  costPerDay: number[];
  runsPerDay: number[];
  /** Cost per agent within the window, the most expensive first. */
  costPerAgent: AgentCost[];
  donePerDay: number[];
  /** Time in each stage, for the stays that ended within the window, in pipeline order. */
  stageTimes: StageTime[];
  /** Lines skipped because they could not be read (torn or hand-edited). */
  skipped: { usage: number; audit: number };
}

interface CostRecord {
  at: number;
  agent: string;
  costUsd: number;
}

/** A stage change from the audit log (null: an audit line that is no stage change). */
type MoveRecord = { at: number; id: number; to: Stage | null } | null;

interface Stay {
  stage: Stage;
  ms: number;
  leftAt: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function timeOf(v: unknown): number | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

export function parseUsageLine(v: unknown): CostRecord | undefined {
  if (!isObject(v)) return undefined;
  const at = timeOf(v.ts);
  if (at === undefined || typeof v.costUsd !== 'number' || !Number.isFinite(v.costUsd)) return undefined;
  return { at, agent: typeof v.agent === 'string' && v.agent ? v.agent : '(unassigned)', costUsd: v.costUsd };
}

export function parseAuditLine(v: unknown): MoveRecord | undefined {
  if (!isObject(v)) return undefined;
  const at = timeOf(v.ts);
  if (at === undefined) return undefined;
  if (!('to' in v)) return null;
  const to = v.to === null ? null : isStage(v.to) ? v.to : undefined;
  if (to === undefined) return undefined;
  return typeof v.id === 'number' && Number.isInteger(v.id) ? { at, id: v.id, to } : null;
}

/** The zone, or UTC for an unknown one (the config refuses those, but a hand-made options object may not). */
function validZone(zone: string): string {
  try {
    dayOf(0, zone);
    return zone;
  } catch {
    return 'UTC';
  }
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (!n) return 0;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Each quarter hour's day in the last zone asked for: every zone's offset is a whole number of
 * quarter hours, so a day starts on one, and a month of moments needs only ~3,000 look-ups.
 */
class DayCache {
  private zone = '';
  private byQuarter = new Map<number, string>();

  day(ms: number, zone: string): string {
    if (zone !== this.zone || this.byQuarter.size > 100_000) {
      this.zone = zone;
      this.byQuarter.clear();
    }
    const q = Math.floor(ms / 900_000);
    let d = this.byQuarter.get(q);
    if (d === undefined) this.byQuarter.set(q, (d = dayOf(q * 900_000, zone)));
    return d;
  }
}

export class ProjectStatsReader {
  private readonly usage: JsonLinesTail<CostRecord>;
  private readonly audit: JsonLinesTail<MoveRecord>;
  private costs: CostRecord[] = [];
  /** Each story's stage and since when, as far as the audit log tells. */
  private current = new Map<number, { stage: Stage; at: number }>();
  private stays: Stay[] = [];
  private done: number[] = [];
  private reading: Promise<unknown> = Promise.resolve();
  private readonly days = new DayCache();
  private last?: { key: string; stats: ProjectStats };

  constructor(files: { usage: string; audit: string }) {
    this.usage = new JsonLinesTail(files.usage, parseUsageLine);
    this.audit = new JsonLinesTail(files.audit, parseAuditLine);
  }

  /** Reads what was appended since the last call and sums up the `windowDays` days up to `now` in `timeZone`. */
  stats(now: number, timeZone: string, windowDays = 30): Promise<ProjectStats> {
    const next = this.reading.then(() => this.readAndSum(now, timeZone, windowDays));
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async readAndSum(now: number, timeZone: string, windowDays: number): Promise<ProjectStats> {
    const u = await this.usage.read();
    if (u.restarted) this.costs = [];
    this.costs.push(...u.records);
    const a = await this.audit.read();
    if (a.restarted) {
      this.current.clear();
      this.stays = [];
      this.done = [];
    }
    for (const m of a.records) if (m) this.move(m.id, m.to, m.at);
    // nothing new, same zone and same days: the last sums still hold
    const key = `${timeZone}|${windowDays}|${dayOf(now, 'UTC')}|${dayOf(now, validZone(timeZone))}`;
    const fresh = !u.restarted && !a.restarted && !u.records.length && !a.records.length;
    if (!fresh || !this.last || this.last.key !== key) this.last = { key, stats: this.sum(now, timeZone, windowDays) };
    return this.last.stats;
  }

  private move(id: number, to: Stage | null, at: number): void {
    const was = this.current.get(id);
    if (was && was.stage === to) return;
    if (was && at >= was.at) this.stays.push({ stage: was.stage, ms: at - was.at, leftAt: at });
    if (to === 'done') this.done.push(at);
    if (to === null) this.current.delete(id);
    else this.current.set(id, { stage: to, at });
  }

  private sum(now: number, timeZone: string, windowDays: number): ProjectStats {
    const zone = validZone(timeZone);
    const days = lastDays(now, zone, windowDays);
    const index = new Map(days.map((d, i) => [d, i]));
    const costPerDay = days.map(() => 0);
    const runsPerDay = days.map(() => 0);
    const donePerDay = days.map(() => 0);
    const agents = new Map<string, AgentCost>();
    for (const c of this.costs) {
      const i = index.get(this.days.day(c.at, zone));
      if (i === undefined) continue;
      costPerDay[i] += c.costUsd;
      runsPerDay[i]++;
      let a = agents.get(c.agent);
      if (!a) agents.set(c.agent, (a = { agent: c.agent, costUsd: 0, runs: 0 }));
      a.costUsd += c.costUsd;
      a.runs++;
    }
    for (const at of this.done) {
      const i = index.get(this.days.day(at, zone));
      if (i !== undefined) donePerDay[i]++;
    }
    const byStage = new Map<Stage, number[]>();
    for (const s of this.stays) {
      if (!index.has(this.days.day(s.leftAt, zone))) continue;
      let list = byStage.get(s.stage);
      if (!list) byStage.set(s.stage, (list = []));
      list.push(s.ms);
    }
    const stageTimes: StageTime[] = [];
    for (const stage of STAGES) {
      const list = byStage.get(stage);
      if (!list) continue;
      list.sort((x, y) => x - y);
      stageTimes.push({ stage, count: list.length, medianMs: median(list), meanMs: list.reduce((s, x) => s + x, 0) / list.length });
    }
    return {
      timezone: zone,
      days,
      costPerDay,
      runsPerDay,
      costPerAgent: [...agents.values()].sort((x, y) => y.costUsd - x.costUsd || x.agent.localeCompare(y.agent)),
      donePerDay,
      stageTimes,
      skipped: { usage: this.usage.malformed, audit: this.audit.malformed },
    };
  }
}
