// Lands stories that reach 4_merge: each goes through the serialized merge queue of its base
// branch (rebased on the latest base, gates re-run on the combined result, one squash commit,
// the base advanced by compare-and-swap, the user's checkout never touched unsafely). The result
// goes to the pipeline as one command; a merged story's worktree and branch are then cleaned up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkItem } from '../model/workItem';
import type { MergeFailureKind } from '../model/commands';
import { roleOf } from '../model/run';
import { hasGates, runGates } from '../gates/serverGates';
import { worktreeFor } from './git';
import { MergeError, cleanupStory, type MergeResult } from './merge';
import { MergeQueue } from './mergeQueue';
import { teardownWorktree } from './worktreeLifecycle';
import { restackOnto } from './restack';
import { stackedOn } from '../policies/waits';
import { StageWorker, type WorkerDeps } from '../pipeline/stageWorker';

export type MergeWorkerDeps = WorkerDeps;

/** The squash commit's message: the story's number and name, then its acceptance criteria. */
export function mergeMessage(item: WorkItem): string {
  const crit = item.criteria.map((c) => `- [${c.done ? 'x' : ' '}] ${c.text}`).join('\n');
  return `#${item.id} ${item.name.replace(/\s+/g, ' ').trim()}\n\n${crit ? `${crit}\n\n` : ''}Huskies ${item.type} ${item.fileName}`;
}

export class MergeWorker extends StageWorker {
  private readonly queue = new MergeQueue();

  constructor(private readonly d: MergeWorkerDeps) {
    super('merge', 'the merge', { bus: d.bus, logger: d.logger, items: () => d.state.items(), stopped: () => d.stopped() });
  }

  /** A story whose merge failed waits for a fix-up; one with an agent on it waits for the agent. */
  protected wants(item: WorkItem): boolean {
    // A stacked story lands after its parent, never with it.
    return item.frontMatter.merge_failure === undefined && !this.d.state.activeRun(item.id) && stackedOn(item, this.d.state) === undefined;
  }

  protected work(item: WorkItem, signal: AbortSignal): Promise<void> {
    return this.mergeAsync(item, signal);
  }

  private async mergeAsync(item: WorkItem, signal: AbortSignal): Promise<void> {
    const config = this.d.config();
    // The coder's branch: a mergemaster's run records the merge worktree's scratch branch instead.
    const run = [...this.d.state.runsForStory(item.id)].reverse().find((r) => r.branch && roleOf(r) !== 'mergemaster');
    const { dir, branch } = run?.branch ? { dir: run.worktree ?? worktreeFor(this.d.root, item).dir, branch: run.branch } : worktreeFor(this.d.root, item);
    const stamp = new Date(this.d.now()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const transcript = path.join(this.d.logsDir, `${item.id}-merge-${stamp}.jsonl`);
    const gates = hasGates(config.project)
      ? (gdir: string, s: AbortSignal) =>
          runGates({ dir: gdir, config: config.project, transcript, mask: this.d.mask, signal: s, nice: config.project.backgroundNice }).then((r) => ({
            ok: r.ok,
            output: r.ok ? '' : r.outputTail,
          }))
      : undefined;
    let result: MergeResult;
    try {
      result = await this.queue.enqueue({ root: this.d.root, branch, message: mergeMessage(item), base: config.project.baseBranch, gates, signal });
    } catch (err) {
      if (!(err instanceof MergeError)) throw err;
      await this.report(item, { ok: false, kind: 'error', reason: err.message });
      return;
    }
    if (this.disposed || result.kind === 'aborted' || result.kind === 'base_moving') return; // tried again on the next tick
    if (result.kind === 'merged' || result.kind === 'merged_pending') {
      const pending = result.kind === 'merged_pending' ? result.howTo : undefined;
      const applied = await this.report(item, { ok: true, commit: result.commit, base: result.base, pending });
      if (applied) await this.restackChildren(item, branch, result.base);
      if (applied && fs.existsSync(dir)) await teardownWorktree({ dir, components: config.project.components, mask: this.d.mask, transcript, nice: config.project.backgroundNice });
      if (applied) {
        const c = await cleanupStory({ root: this.d.root, worktree: dir, branch, keepBranch: config.project.keepBranches, base: result.base }).catch((e) => ({
          kept: [(e as Error).message],
        }));
        for (const k of c.kept) this.d.logger.info(`#${item.id}: ${k}`);
      }
      return;
    }
    const reason =
      result.kind === 'empty'
        ? `nothing to merge: ${result.message}`
        : result.kind === 'conflict'
          ? `conflicts with the base branch in ${result.files.join(', ')}`
          : `the gates failed on the merged result:\n${result.output}`;
    const kind = result.kind === 'empty' ? 'empty' : result.kind === 'conflict' ? 'conflict' : 'gates';
    await this.report(item, { ok: false, kind, reason, files: result.kind === 'conflict' ? result.files : undefined });
  }

  /** The stories stacked on one that just landed: rebased onto the base while the parent's branch still exists. */
  private async restackChildren(parent: WorkItem, parentBranch: string, base: string): Promise<void> {
    for (const child of this.d.state.items().filter((i) => i.frontMatter.stacked_on === parent.id)) {
      const coder = [...this.d.state.runsForStory(child.id)].reverse().find((r) => r.worktree && roleOf(r) === 'coder');
      const r = this.d.state.activeRun(child.id)
        ? { ok: false, note: `#${parent.id} landed while an agent worked on this story, so its branch was not rebased: the merge combines them` }
        : await restackOnto({ worktree: coder?.worktree ?? worktreeFor(this.d.root, child).dir, parentBranch, base, parentId: parent.id }).catch((err: Error) => ({
            ok: false,
            note: `#${parent.id} landed; the rebase failed (${err.message.split('\n')[0]}): the merge combines them`,
          }));
      this.d.logger.info(`#${child.id}: ${r.note}`);
      await this.d.request({ type: 'item.restacked', id: child.id, parent: parent.id, ok: r.ok, note: r.note, source: 'orchestrator' });
    }
  }

  private async report(
    item: WorkItem,
    r: { ok: true; commit: string; base: string; pending?: string } | { ok: false; kind: MergeFailureKind; reason: string; files?: string[] },
  ): Promise<boolean> {
    const res = await this.d.request({ type: 'item.mergeResult', id: item.id, source: 'orchestrator', ...r });
    if (!res.ok) this.d.logger.info(`#${item.id}: merge result not applied: ${res.refusal}`);
    return res.ok;
  }
}
