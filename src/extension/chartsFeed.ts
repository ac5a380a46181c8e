// Answers a board's requestCharts with the project's numbers (cost, throughput) from the facade.
// Boards ask every few seconds while their Charts section is open: one read at a time, and an
// answer a moment old is sent again instead of reading the logs once per board.
import { redact, type Huskies as Orchestrator, type ProjectStats } from '../core/api';
import type { ChartsView, HostMessage } from '../protocol/messages';

/** An answer younger than this is reused. */
const REUSE_MS = 2_000;

export function chartsView(s: ProjectStats): ChartsView {
  return {
    timezone: s.timezone,
    days: s.days,
    costPerDay: s.costPerDay,
    runsPerDay: s.runsPerDay,
    costPerAgent: s.costPerAgent,
    donePerDay: s.donePerDay,
    stageTimes: s.stageTimes,
    skipped: s.skipped,
  };
}

export class ChartsFeed {
  private last?: { at: number; view: ChartsView; orch: Orchestrator };
  private reading?: Promise<void>;

  constructor(
    private readonly orch: () => Orchestrator | undefined,
    private readonly tell: (m: HostMessage) => void,
    private readonly log: (message: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends the charts' numbers to the boards (reused when fresh, read once when several ask at the same time). */
  request(): Promise<void> {
    const o = this.orch();
    if (!o) return Promise.resolve();
    if (this.last && this.last.orch === o && this.now() - this.last.at < REUSE_MS) {
      this.tell({ type: 'charts', data: this.last.view });
      return Promise.resolve();
    }
    this.reading ??= o
      .stats()
      .then((s) => {
        const view = chartsView(s);
        this.last = { at: this.now(), view, orch: o };
        this.tell({ type: 'charts', data: view });
      })
      .catch((err) => this.log(`charts: ${redact((err as Error).message)}`))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
