// Publishing a finished merge commit on the base branch without ever touching a user's uncommitted work.
//
// Where the base branch is checked out decides how it moves:
//  - nowhere: the ref moves by compare-and-swap (`git update-ref <ref> <new> <old>`);
//  - in a working tree (the main one, or any linked worktree: whoever checked the base out there is a
//    person, since story worktrees sit on their own branches): the tree is fast-forwarded with
//    `git merge --ff-only` only when none of the paths the merge changes holds an uncommitted change and
//    none of the paths it adds is taken by an untracked or ignored file. Unrelated uncommitted changes are
//    kept, as with `git pull`. git's own two-way merge check refuses to overwrite local changes as a
//    second line of defence, and the index lock it holds keeps the user's own commands out meanwhile;
//  - otherwise, or while the base is being rebased somewhere, the base is left alone ("held").
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError, git } from './git';
import { type Change, LONG_GIT_MS, allGitDirs, branchBeingRebased, commitOf, gitDirOf, gitWith, listWorktrees, operationInProgress, trackedChanges } from './mergeGit';

export type Publication =
  | { kind: 'advanced'; checkout?: string }
  /** The base is no longer at the commit the merge was built on. */
  | { kind: 'moved' }
  /** The base could not move without touching someone's work; reason says why. */
  | { kind: 'held'; checkout?: string; reason: string };

/** Why fast-forwarding the working tree `dir` by `changes` could touch uncommitted work, or undefined when it cannot. */
export async function whyNotSafe(dir: string, changes: Change[]): Promise<string | undefined> {
  const op = await operationInProgress(await gitDirOf(dir));
  if (op) return `a ${op} is in progress there`;
  const tracked = await trackedChanges(dir);
  const ignoreCase = tracked.length > 0 && (await git(dir, ['config', '--bool', 'core.ignorecase']).catch(() => 'false')).trim() === 'true';
  const norm = (p: string) => (ignoreCase ? p.toLowerCase() : p);
  const dirty = new Set(tracked.map(norm));
  for (const { status, path: file } of changes) {
    if (dirty.has(norm(file))) return `it has an uncommitted change to ${file}, which the merge also changes`;
    if (status !== 'A') continue;
    const inTheWay = await untrackedInTheWay(dir, file);
    if (inTheWay) return `the file ${inTheWay} there (not committed) is in the way of ${file}, which the merge adds`;
  }
  return undefined;
}

/** The path that is already on disk where `file` (not tracked before) would be written, if any. */
async function untrackedInTheWay(dir: string, file: string): Promise<string | undefined> {
  const segments = file.split('/');
  for (let i = 1; i < segments.length; i++) {
    const prefix = segments.slice(0, i).join('/');
    const st = await fs.lstat(path.join(dir, prefix)).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isDirectory()) return prefix;
  }
  return (await fs.lstat(path.join(dir, file)).catch(() => undefined)) ? file : undefined;
}

/** The worktree a rebase of `ref` is running in, if any: moving the ref under it would make it fail at the end. */
async function rebaseOf(commonDir: string, ref: string): Promise<string | undefined> {
  for (const gitDir of await allGitDirs(commonDir)) if ((await branchBeingRebased(gitDir)) === ref) return gitDir;
  return undefined;
}

export interface PublishRequest {
  root: string;
  /** The repository's common git directory. */
  commonDir: string;
  base: string;
  old: string;
  /** A child of `old`. */
  next: string;
  /** What `next` changes against `old`. */
  changes: Change[];
  reflog: string;
}

// The user's own config for their checkout, hooks included (a post-merge hook is what they get from a pull),
// except for what could touch their uncommitted work (autostash) or refuse an unsigned squash commit.
const CHECKOUT_CONFIG = { 'merge.autoStash': 'false', 'merge.verifySignatures': 'false', 'maintenance.auto': 'false', 'gc.auto': '0' };

/** Moves the base from `old` to `next`, keeping every working tree that has it checked out in step. */
export async function publish(req: PublishRequest): Promise<Publication> {
  const { root, base, old, next } = req;
  const ref = `refs/heads/${base}`;
  const rebasing = await rebaseOf(req.commonDir, ref);
  if (rebasing) return { kind: 'held', reason: `a rebase of ${base} is in progress (${rebasing})` };
  const holder = (await listWorktrees(root)).find((w) => w.branch === ref && !w.prunable);
  if (!holder) {
    try {
      await git(root, ['update-ref', '-m', req.reflog, ref, next, old]);
      return { kind: 'advanced' };
    } catch (err) {
      if ((await commitOf(root, ref)) !== old) return { kind: 'moved' };
      throw err;
    }
  }
  if (holder.head !== old) return { kind: 'moved' };
  const unsafe = await whyNotSafe(holder.dir, req.changes);
  if (unsafe) return { kind: 'held', checkout: holder.dir, reason: unsafe };
  let refusal = '';
  try {
    await gitWith(holder.dir, CHECKOUT_CONFIG, ['merge', '--quiet', '--ff-only', next], LONG_GIT_MS);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    refusal = err.message;
  }
  // The ref tells what happened: a hook that failed after the fast-forward does not undo it.
  const now = await commitOf(root, ref);
  if (now === next) return { kind: 'advanced', checkout: holder.dir };
  if (now !== old) return { kind: 'moved' };
  return { kind: 'held', checkout: holder.dir, reason: `git would not update it (${refusal || 'no reason given'})` };
}
