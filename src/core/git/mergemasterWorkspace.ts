// Where a mergemaster works: the merge worktree a failed merge left (`.huskies/worktrees/.merge-<n>_<slug>`),
// holding the conflict (a merge in progress) or the combined commit whose gates failed. And what it left
// there when it exited: a resolution is a new commit with a clean tree and no merge in progress.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { commitOf, gitDirOf, operationInProgress, trackedChanges, unmergedFiles } from './mergeGit';
import { mergeNames } from './mergeWorktree';

export interface MergeWorkspace {
  dir: string;
  branch: string;
  /** HEAD when the mergemaster starts: a resolution is a commit after it. */
  base: string;
  /** Files with unresolved conflicts when it starts (empty when the gates failed). */
  conflicts: string[];
}

/** The merge worktree of a story branch as the failed merge left it; throws a readable error when it is gone. */
export async function openMergeWorkspace(root: string, storyBranch: string): Promise<MergeWorkspace> {
  const names = mergeNames(root, storyBranch);
  const rel = path.relative(root, names.dir);
  const present = await fs.lstat(path.join(names.dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!present) throw new Error(`the merge worktree ${rel} is gone, so there is no conflict to resolve; fix the story up (huskies fixup) to merge it afresh`);
  const head = await commitOf(names.dir, 'HEAD');
  if (!head) throw new Error(`the merge worktree ${rel} has no commit checked out`);
  return { dir: names.dir, branch: names.tempBranch, base: head, conflicts: await unmergedFiles(names.dir) };
}

/** Whether the mergemaster resolved the merge: a new commit, nothing left in progress, nothing uncommitted. */
export async function mergeResolution(dir: string, startHead: string | undefined): Promise<{ resolved: boolean; detail: string }> {
  const op = await operationInProgress(await gitDirOf(dir));
  if (op) {
    const unmerged = await unmergedFiles(dir);
    return {
      resolved: false,
      detail: unmerged.length
        ? `the ${op} is still in progress with conflicts in ${unmerged.join(', ')}`
        : `the conflicts are resolved but the ${op} was not committed (git commit --no-edit concludes it)`,
    };
  }
  const dirty = await trackedChanges(dir);
  if (dirty.length) return { resolved: false, detail: `uncommitted changes were left in ${dirty.join(', ')}` };
  const head = await commitOf(dir, 'HEAD');
  if (!head || head === startHead) return { resolved: false, detail: 'no commit was made in the merge worktree' };
  return { resolved: true, detail: `committed ${head.slice(0, 10)}` };
}
