// One merge at a time per base branch, first come first served; different bases (or repositories) merge
// side by side. A job that fails or throws settles its own promise and the next one runs.
import * as path from 'node:path';
import { currentBranch } from './git';
import { KeyedMutex } from './keyedMutex';
import { type MergeOptions, type MergeResult, mergeStory } from './merge';

export interface QueuedMerge {
  root: string;
  base: string;
  branch: string;
  running: boolean;
}

export class MergeQueue {
  private readonly bases = new KeyedMutex();
  // Jobs without a base resolve it in call order, so that the queue keeps their order too.
  private readonly intake = new KeyedMutex();
  private readonly jobs = new Set<QueuedMerge>();

  constructor(private readonly merge: (opts: MergeOptions) => Promise<MergeResult> = mergeStory) {}

  enqueue(job: MergeOptions): Promise<MergeResult> {
    const root = path.resolve(job.root);
    return this.intake
      .run(root, async () => {
        const base = job.base ?? (await currentBranch(root));
        // mergeStory names a missing base itself; the job still takes its turn in the root's line
        const entry: QueuedMerge = { root, base: base ?? '', branch: job.branch, running: false };
        this.jobs.add(entry);
        const done = this.bases.run(`${root}\0${entry.base}`, async () => {
          entry.running = true;
          return this.merge({ ...job, base });
        });
        void done.finally(() => this.jobs.delete(entry)).catch(() => undefined);
        return { done };
      })
      .then(({ done }) => done);
  }

  /** The jobs queued or running, oldest first. */
  pending(): QueuedMerge[] {
    return [...this.jobs].map((j) => ({ ...j }));
  }
}
