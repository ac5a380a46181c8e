// What the pool remembers about agents between runs and restarts (.huskies/agents_state.json):
// rate limits (per agent, or per runtime for account-wide limits), consecutive failures, drains.
import * as fs from 'node:fs';
import type { AgentSpec } from '../config/config';
import { writeFileAtomic } from '../util/fsAtomic';

export interface RateLimit {
  until: number;
  reason: string;
}

export interface Drain {
  since: number;
  failures: number;
  reason: string;
}

interface StateFile {
  rateLimited: Record<string, RateLimit>;
  failures: Record<string, number>;
  drained: Record<string, Drain>;
}

export class AgentState {
  private s: StateFile = { rateLimited: {}, failures: {}, drained: {} };

  constructor(readonly file: string) {}

  load(): void {
    try {
      const d = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<StateFile>;
      this.s = { rateLimited: d.rateLimited ?? {}, failures: d.failures ?? {}, drained: d.drained ?? {} };
    } catch {
      /* start clean */
    }
  }

  private save(): void {
    void writeFileAtomic(this.file, JSON.stringify(this.s, null, 1) + '\n').catch(() => undefined);
  }

  /** The rate limit that applies to this agent now (its own, or its runtime's), if any. */
  rateLimit(agent: AgentSpec, now: number): RateLimit | undefined {
    const own = this.s.rateLimited[agent.name];
    const rt = this.s.rateLimited[`runtime:${agent.runtime}`];
    const live = [own, rt].filter((r): r is RateLimit => !!r && r.until > now);
    return live.sort((a, b) => b.until - a.until)[0];
  }

  setRateLimit(key: string, until: number, reason: string): void {
    this.s.rateLimited[key] = { until, reason };
    this.save();
  }

  /** Drops expired limits; returns true when something changed. */
  expire(now: number): boolean {
    let changed = false;
    for (const [k, r] of Object.entries(this.s.rateLimited)) {
      if (r.until <= now) {
        delete this.s.rateLimited[k];
        changed = true;
      }
    }
    if (changed) this.save();
    return changed;
  }

  drained(name: string): Drain | undefined {
    return this.s.drained[name];
  }

  allDrained(): Record<string, Drain> {
    return { ...this.s.drained };
  }

  allRateLimits(): Record<string, RateLimit> {
    return { ...this.s.rateLimited };
  }

  /** Counts a failure; returns the drain when this one crosses the threshold. */
  recordFailure(name: string, reason: string, threshold: number, now: number): Drain | undefined {
    const n = (this.s.failures[name] ?? 0) + 1;
    this.s.failures[name] = n;
    let drain: Drain | undefined;
    if (n >= threshold && !this.s.drained[name]) {
      drain = { since: now, failures: n, reason };
      this.s.drained[name] = drain;
    }
    this.save();
    return drain;
  }

  recordSuccess(name: string): void {
    if (this.s.failures[name]) {
      this.s.failures[name] = 0;
      this.save();
    }
  }

  acknowledge(name: string): boolean {
    const had = !!this.s.drained[name];
    delete this.s.drained[name];
    this.s.failures[name] = 0;
    this.save();
    return had;
  }
}
