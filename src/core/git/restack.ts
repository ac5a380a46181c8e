// A stacked story's branch after its parent landed: its own commits (those after the parent's tip it
// started from) are replayed onto the base branch in its worktree, so it no longer carries the parent's
// commits, which reached the base as one squash commit. Never leaves a rebase half done.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError, git } from './git';
import { commitOf, gitDirOf, gitWith, operationInProgress, trackedChanges } from './mergeGit';
import { SCRATCH_CONFIG } from './mergeWorktree';

export interface RestackResult {
  ok: boolean;
  /** What happened, for the card and the audit log. */
  note: string;
}

/**
 * Rebases the branch checked out in `worktree` from `parentTip`'s fork point onto `base`.
 * `parentBranch` must still exist (it is removed only after its children were restacked).
 */
export async function restackOnto(opts: { worktree: string; parentBranch: string; base: string; parentId: number }): Promise<RestackResult> {
  const { worktree, parentBranch, base, parentId } = opts;
  const present = await fs.lstat(path.join(worktree, '.git')).then(
    () => true,
    () => false,
  );
  if (!present) return { ok: false, note: `#${parentId} landed; the worktree is gone, so the merge combines the branches instead of a rebase` };
  const dirty = await trackedChanges(worktree);
  if (dirty.length) return { ok: false, note: `#${parentId} landed; uncommitted changes in ${dirty.join(', ')} kept the branch from being rebased: the merge combines them` };
  const fork = (await git(worktree, ['merge-base', 'HEAD', parentBranch]).catch(() => '')).trim();
  if (!fork) return { ok: false, note: `#${parentId} landed; its branch ${parentBranch} shares no history with this one: the merge combines them` };
  try {
    await gitWith(worktree, SCRATCH_CONFIG, ['rebase', '--quiet', '--no-verify', '--no-autosquash', '--onto', base, fork]);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if ((await operationInProgress(await gitDirOf(worktree))) === 'rebase') await gitWith(worktree, SCRATCH_CONFIG, ['rebase', '--abort']);
    const first = err.message.split('\n').find((l) => /CONFLICT|error|fatal/.test(l)) ?? err.message.split('\n')[0];
    return { ok: false, note: `#${parentId} landed; rebasing onto ${base} stopped (${first.trim()}), so the branch was left as it was: the merge combines them` };
  }
  const head = await commitOf(worktree, 'HEAD');
  return { ok: true, note: `#${parentId} landed; rebased onto ${base} (now at ${head?.slice(0, 10) ?? 'HEAD'})` };
}
