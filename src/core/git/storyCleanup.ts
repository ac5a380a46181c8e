// After a story has landed: its worktree, its branch and the merge's scratch go, unless they hold
// something the base does not have (uncommitted work, or changes that never landed), which is kept and named.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError, currentBranch, git, isDirty, removeWorktree } from './git';
import { commitOf, isAncestor, listWorktrees, treeOf } from './mergeGit';
import { mergeNames, removeScratchWorktree, scratchBusy } from './mergeWorktree';

export interface CleanupOptions {
  root: string;
  /** The story's worktree folder (worktreeFor() in git.ts), if it has one. */
  worktree?: string;
  branch: string;
  /** Keep the story branch even when the base holds all of it. */
  keepBranch?: boolean;
  /** Default: the branch checked out in `root`. */
  base?: string;
}

export interface CleanupResult {
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** One sentence for everything that was kept, and why. */
  kept: string[];
}

/**
 * True when `ref` adds nothing to `base`: it is an ancestor, or merging it would leave base's tree as it is
 * (which is how a squash-merged branch looks). Undefined when git is too old to tell (merge-tree --write-tree, 2.38).
 */
export async function containedIn(root: string, base: string, ref: string): Promise<boolean | undefined> {
  if (await isAncestor(root, ref, base)) return true;
  try {
    const out = await git(root, ['merge-tree', '--write-tree', '--no-messages', base, ref]);
    return out.split('\n')[0].trim() === (await treeOf(root, base));
  } catch (err) {
    if (err instanceof GitError && err.code === 1) return false; // conflicts: certainly not contained
    if (err instanceof GitError && err.code === 129) return undefined;
    throw err;
  }
}

export async function cleanupStory(opts: CleanupOptions): Promise<CleanupResult> {
  const root = await fs.realpath(opts.root);
  const names = mergeNames(root, opts.branch);
  const result: CleanupResult = { worktreeRemoved: false, branchDeleted: false, kept: [] };
  const baseName = opts.base ?? (await currentBranch(root));
  const baseTip = baseName ? await commitOf(root, `refs/heads/${baseName}`) : undefined;

  if (opts.worktree !== undefined) {
    const expected = path.join(root, '.huskies', 'worktrees', names.key);
    const given = path.resolve(root, opts.worktree);
    const real = await fs.realpath(given).catch(() => given);
    if (given !== expected && real !== expected) throw new RangeError(`The worktree of ${names.storyBranch} is ${expected}, not ${opts.worktree}`);
    const registered = (await listWorktrees(root)).some((w) => w.dir === expected);
    if (registered && (await isDirty(expected))) result.kept.push(`The worktree ${expected} has uncommitted work: it was kept.`);
    else if (registered) {
      await removeWorktree(root, expected);
      result.worktreeRemoved = true;
    }
  }

  const ctx = { root, names };
  if (await scratchBusy(ctx)) result.kept.push(`The merge worktree ${names.dir} holds unfinished merge work: it was kept.`);
  else await removeScratchWorktree(ctx);

  const deletable = async (branch: string, what: string): Promise<string | undefined> => {
    const tip = await commitOf(root, `refs/heads/${branch}`);
    if (!tip) return undefined;
    if (!baseTip) return `${what} ${branch} was kept: there is no base branch to compare it with.`;
    if ((await listWorktrees(root)).some((w) => w.branch === `refs/heads/${branch}`)) return `${what} ${branch} was kept: it is checked out.`;
    const contained = await containedIn(root, baseTip, tip);
    if (contained === undefined) return `${what} ${branch} was kept: this git is too old (before 2.38) to tell whether ${baseName} has all of it.`;
    if (!contained) return `${what} ${branch} was kept: it holds changes that ${baseName} does not have.`;
    // compare-and-swap: a commit added since the check keeps the branch
    await git(root, ['update-ref', '-d', `refs/heads/${branch}`, tip]);
    return undefined;
  };
  for (const [branch, what] of [
    [names.tempBranch, 'The merge branch'],
    [names.mergedBranch, 'The waiting merge branch'],
  ] as const) {
    const why = await deletable(branch, what);
    if (why) result.kept.push(why);
  }
  if (!opts.keepBranch) {
    const existed = !!(await commitOf(root, `refs/heads/${names.storyBranch}`));
    const why = await deletable(names.storyBranch, 'The story branch');
    if (why) result.kept.push(why);
    else result.branchDeleted = existed;
  }
  return result;
}
