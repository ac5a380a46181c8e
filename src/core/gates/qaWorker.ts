// Runs the server QA gates for stories that reach QA with `qa: server` (or default_qa = "server"):
// the project's test commands in the story's worktree, the output in a transcript, and the
// verdict sent to the pipeline as one command. Agent and human QA are not run here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HuskiesConfig } from '../config/config';
import type { WorkItem } from '../model/workItem';
import { worktreeFor } from '../git/git';
import { hasGates, runGates } from './serverGates';
import { StageWorker, type WorkerDeps } from '../pipeline/stageWorker';

export type QaWorkerDeps = WorkerDeps;

export function qaMode(item: WorkItem, config: HuskiesConfig): string {
  return typeof item.frontMatter.qa === 'string' ? item.frontMatter.qa : config.project.defaultQa;
}

export class QaWorker extends StageWorker {
  constructor(private readonly d: QaWorkerDeps) {
    super('qa', 'QA gates', { bus: d.bus, logger: d.logger, items: () => d.state.items(), stopped: () => d.stopped() });
  }

  /** With no test command configured nothing would be tested: such stories wait for a person (see waits.ts). */
  protected override ready(): boolean {
    return hasGates(this.d.config().project);
  }

  protected wants(item: WorkItem): boolean {
    return item.frontMatter.review_hold !== true && !this.d.state.activeRun(item.id) && qaMode(item, this.d.config()) === 'server';
  }

  protected work(item: WorkItem, signal: AbortSignal): Promise<void> {
    return this.checkAsync(item, this.d.config(), signal);
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
    const r = await runGates({ dir, config: config.project, transcript, mask: (t) => this.d.mask(t), signal, now: () => this.d.now(), nice: config.project.backgroundNice });
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
}
