// Runs the server QA gates for stories that reach QA with `qa: server` (or default_qa = "server"):
// the project's test commands in the story's worktree, the output in a transcript, and the
// verdict sent to the pipeline as one command. Agent and human QA are not run here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HuskiesConfig } from '../config/config';
import type { Command } from '../model/commands';
import type { WorkItem } from '../model/workItem';
import type { EventBus } from '../pipeline/eventBus';
import type { RequestResult } from '../pipeline/pipeline';
import type { StateView } from '../state/types';
import type { Logger } from '../util/log';
import { worktreeFor } from '../git/git';
import { hasGates, runGates } from './serverGates';

export interface QaWorkerDeps {
  root: string;
  logsDir: string;
  state: StateView;
  bus: EventBus;
  request(c: Command): Promise<RequestResult>;
  config(): HuskiesConfig;
  mask(text: string): string;
  now(): number;
  logger: Logger;
  /** Why no gate may run now (untrusted workspace, not the leader…). */
  stopped(): string | undefined;
}

export function qaMode(item: WorkItem, config: HuskiesConfig): string {
  return typeof item.frontMatter.qa === 'string' ? item.frontMatter.qa : config.project.defaultQa;
}

export class QaWorker {
  private running = new Map<number, AbortController>();
  private subs: { dispose(): void }[] = [];
  private disposed = false;

  constructor(private readonly d: QaWorkerDeps) {}

  start(): void {
    this.subs.push(this.d.bus.on('item.moved', (e) => e.to === 'qa' && this.pump()));
    this.pump();
  }

  /** Whether the gates are running for this story now. */
  checking(id: number): boolean {
    return this.running.has(id);
  }

  /** Starts the gates for every story in QA that waits for them. Safe to call on every tick. */
  pump(): void {
    if (this.disposed || this.d.stopped()) return;
    const config = this.d.config();
    // With no test command configured nothing would be tested: such stories wait for a person (see waits.ts).
    if (!hasGates(config.project)) return;
    for (const item of this.d.state.items()) {
      if (item.stage !== 'qa' || item.blocked || item.invalid || item.frontMatter.review_hold === true) continue;
      if (this.running.has(item.id) || this.d.state.activeRun(item.id) || qaMode(item, config) !== 'server') continue;
      this.check(item, config);
    }
  }

  private check(item: WorkItem, config: HuskiesConfig): void {
    const abort = new AbortController();
    this.running.set(item.id, abort);
    void this.checkAsync(item, config, abort.signal)
      .catch((err) => this.d.logger.error(`QA gates for #${item.id}: ${(err as Error).message}`))
      .finally(() => this.running.delete(item.id));
  }

  private async checkAsync(item: WorkItem, config: HuskiesConfig, signal: AbortSignal): Promise<void> {
    const dir = this.worktree(item);
    const base = { type: 'item.qaResult' as const, id: item.id, maxRetries: config.project.maxRetries, source: 'orchestrator' as const };
    if (!dir) {
      await this.d.request({
        ...base,
        ok: false,
        summary: `the story's worktree (${path.relative(this.d.root, worktreeFor(this.d.root, item).dir)}) is gone, so its work cannot be tested`,
        output: '',
      });
      return;
    }
    const stamp = new Date(this.d.now()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const transcript = path.join(this.d.logsDir, `${item.id}-qa-${stamp}.jsonl`);
    this.d.logger.info(`#${item.id}: running the QA gates in ${path.relative(this.d.root, dir)}`);
    const r = await runGates({ dir, config: config.project, transcript, mask: (t) => this.d.mask(t), signal, now: () => this.d.now() });
    if (r.aborted || this.disposed) return;
    const res = await this.d.request({ ...base, ok: r.ok, summary: r.summary, output: r.ok ? '' : r.outputTail });
    if (!res.ok) this.d.logger.info(`#${item.id}: QA result not applied: ${res.refusal}`);
  }

  /** The worktree the story was coded in: its latest run's, else the standard place. */
  private worktree(item: WorkItem): string | undefined {
    const runs = this.d.state.runsForStory(item.id);
    const fromRun = [...runs].reverse().find((r) => r.worktree)?.worktree;
    const dir = fromRun ?? worktreeFor(this.d.root, item).dir;
    return fs.existsSync(dir) ? dir : undefined;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const s of this.subs) s.dispose();
    for (const a of this.running.values()) a.abort();
  }
}
