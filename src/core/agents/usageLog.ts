// .huskies/token_usage.jsonl: one line per finished agent run, and the totals the UI shows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Usage } from '../model/agentMessage';

export interface UsageLine {
  ts: string;
  story: number;
  agent: string;
  runtime: string;
  model?: string;
  runId: string;
  outcome: string;
  durationMs: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface Totals {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  runs: number;
}

const zero = (): Totals => ({ costUsd: 0, inputTokens: 0, outputTokens: 0, runs: 0 });

export class UsageLog {
  private lines: UsageLine[] = [];

  constructor(readonly file: string) {}

  load(): void {
    this.lines = [];
    try {
      for (const l of fs.readFileSync(this.file, 'utf8').split('\n')) {
        if (!l.trim()) continue;
        try {
          this.lines.push(JSON.parse(l) as UsageLine);
        } catch {
          /* a torn line after a crash */
        }
      }
    } catch {
      /* none yet */
    }
  }

  append(e: Omit<UsageLine, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'> & { usage?: Usage }): UsageLine {
    const { usage, ...rest } = e;
    const line: UsageLine = {
      ...rest,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadTokens: usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, JSON.stringify(line) + '\n');
    this.lines.push(line);
    return line;
  }

  /** Totals keyed by story, by agent and by UTC day (YYYY-MM-DD). */
  totals(): { byStory: Map<number, Totals>; byAgent: Map<string, Totals>; byDay: Map<string, Totals>; all: Totals } {
    const byStory = new Map<number, Totals>();
    const byAgent = new Map<string, Totals>();
    const byDay = new Map<string, Totals>();
    const all = zero();
    const add = <K>(m: Map<K, Totals>, k: K, l: UsageLine) => {
      let t = m.get(k);
      if (!t) m.set(k, (t = zero()));
      t.costUsd += l.costUsd;
      t.inputTokens += l.inputTokens;
      t.outputTokens += l.outputTokens;
      t.runs++;
    };
    for (const l of this.lines) {
      add(byStory, l.story, l);
      add(byAgent, l.agent, l);
      add(byDay, l.ts.slice(0, 10), l);
      all.costUsd += l.costUsd;
      all.inputTokens += l.inputTokens;
      all.outputTokens += l.outputTokens;
      all.runs++;
    }
    return { byStory, byAgent, byDay, all };
  }

  spentOn(day: string): number {
    return this.lines.filter((l) => l.ts.startsWith(day)).reduce((s, l) => s + l.costUsd, 0);
  }
}
