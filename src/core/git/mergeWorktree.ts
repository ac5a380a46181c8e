// The scratch worktree where a story is combined with the latest base: `.huskies/worktrees/.merge-<n>_<slug>`
// on branch `huskies/merging/<n>_<slug>`. Rebase first, a merge of the base second; a conflict stays here
// (and only here) for a mergemaster to resolve, and a committed resolution is picked up by the next merge.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitError, git, removeWorktree, serialized } from './git';
import { LONG_GIT_MS, type WorktreeEntry, commitOf, gitDirOf, gitWith, isAncestor, listWorktrees, operationInProgress, trackedChanges, unmergedFiles } from './mergeGit';

/** Names of everything the merge of one story creates, all derived from the story branch's safe id. */
export interface MergeNames {
  /** `<n>_<slug>` */
  key: string;
  storyBranch: string;
  /** The scratch worktree folder. */
  dir: string;
  /** The scratch branch checked out in `dir`. */
  tempBranch: string;
  /** Where a finished squash commit waits when the base's checkout cannot be updated safely. */
  mergedBranch: string;
}

// The story branches that worktreeFor() in git.ts makes: `huskies/<number>_<slug>`.
const STORY_BRANCH = /^huskies\/(\d{1,16}_[a-z0-9_-]{1,48})$/;

export function mergeNames(root: string, storyBranch: string): MergeNames {
  const m = STORY_BRANCH.exec(storyBranch);
  if (!m) throw new RangeError(`A story branch must look like huskies/<number>_<slug> (lower-case letters, digits, '_' and '-'), not "${storyBranch}"`);
  const key = m[1];
  return {
    key,
    storyBranch,
    dir: path.join(root, '.huskies', 'worktrees', `.merge-${key}`),
    tempBranch: `huskies/merging/${key}`,
    mergedBranch: `huskies/merged/${key}`,
  };
}

/** What the merge machinery needs to work in one repository. */
export interface ScratchContext {
  root: string;
  names: MergeNames;
  /** `-c` settings for every command run in the scratch worktree (SCRATCH_CONFIG). */
  config: Readonly<Record<string, string>>;
}

/**
 * Settings that keep the scratch work predictable whatever the user's config says: no hooks (a
 * prepare-commit-msg hook that asks a question, or any failing hook, would stop temporary commits that
 * nobody sees; the gates are the checks that count), no autostash, no moving of other branches
 * (rebase.updateRefs would drag the story branch along), no signing of temporary commits, no replayed
 * resolutions hiding a conflict, no housekeeping that the merge would wait for.
 */
export const SCRATCH_CONFIG: Readonly<Record<string, string>> = {
  'core.hooksPath': os.devNull,
  'rebase.autoStash': 'false',
  'rebase.updateRefs': 'false',
  'rebase.autoSquash': 'false',
  'merge.autoStash': 'false',
  'merge.verifySignatures': 'false',
  'commit.gpgSign': 'false',
  'rerere.enabled': 'false',
  'submodule.recurse': 'false',
  'core.quotePath': 'false',
  'maintenance.auto': 'false',
  'gc.auto': '0',
};

export type Combination = { kind: 'combined'; commit: string; how: 'as-is' | 'rebase' | 'merge' | 'resolution' } | { kind: 'conflict'; files: string[]; message: string };

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false,
  );

async function registration(root: string, dir: string): Promise<WorktreeEntry | undefined> {
  const real = await fs.realpath(dir).catch(() => dir);
  return (await listWorktrees(root)).find((w) => w.dir === path.resolve(dir) || w.dir === real);
}

/** The scratch worktree's own git directory, read from its `.git` file (a process fewer than asking git). */
async function scratchGitDir(dir: string): Promise<string> {
  const text = await fs.readFile(path.join(dir, '.git'), 'utf8').catch(() => '');
  const m = /^gitdir: (.+)$/m.exec(text);
  return m ? path.resolve(dir, m[1].trim()) : gitDirOf(dir);
}

// Present in the scratch worktree's git directory while the gates run there: found later, it means they were
// interrupted and what they changed is theirs, not a mergemaster's.
const GATES_RUNNING = 'HUSKIES_GATES_RUNNING';

type Opened = { kind: 'ready'; head: string; fresh: boolean } | { kind: 'busy'; files: string[]; message: string };

/** Opens the scratch worktree at the story tip, or at a resolution a mergemaster committed there. */
async function openScratch(ctx: ScratchContext, storyTip: string): Promise<Opened> {
  const { root, names, config } = ctx;
  const entry = await registration(root, names.dir);
  if (!entry || entry.prunable || !(await exists(path.join(names.dir, '.git')))) {
    // git refuses concurrent changes to the worktree list: one add or removal at a time per repository, stories' included
    await serialized(root, async () => {
      if (entry) await git(root, ['worktree', 'prune']);
      // the folder carries our reserved name and git does not know it: a leftover of an interrupted run
      await fs.rm(names.dir, { recursive: true, force: true });
      await fs.mkdir(path.dirname(names.dir), { recursive: true });
      await gitWith(root, config, ['worktree', 'add', '--quiet', '--no-checkout', '-B', names.tempBranch, names.dir, storyTip], LONG_GIT_MS);
    });
    await gitWith(names.dir, config, ['reset', '--quiet', '--hard', storyTip], LONG_GIT_MS);
    return { kind: 'ready', head: storyTip, fresh: true };
  }
  const dir = names.dir;
  const gitDir = await scratchGitDir(dir);
  // A conflicting rebase is always aborted at once, so a rebase found here was interrupted: undo it.
  if ((await operationInProgress(gitDir)) === 'rebase') await gitWith(dir, config, ['rebase', '--abort'], LONG_GIT_MS);
  if (await exists(path.join(gitDir, GATES_RUNNING))) await resetScratch(ctx, 'HEAD');
  const head = (await commitOf(dir, 'HEAD'))!;
  if (head !== storyTip && !(await isAncestor(dir, storyTip, head))) {
    // What is here predates the story's latest commits (the story went back to its coder): start over.
    await pointScratchAt(ctx, storyTip);
    return { kind: 'ready', head: storyTip, fresh: true };
  }
  const op = await operationInProgress(gitDir);
  if (op) {
    const unmerged = await unmergedFiles(dir);
    const message = unmerged.length
      ? `The ${op} in ${dir} still has conflicts in ${unmerged.join(', ')}: resolve them, commit, and merge again.`
      : `The conflicts in ${dir} are resolved but the ${op} is not committed: commit it and merge again.`;
    return { kind: 'busy', files: unmerged.length ? unmerged : await trackedChanges(dir), message };
  }
  const dirty = await trackedChanges(dir);
  if (dirty.length) {
    return { kind: 'busy', files: dirty, message: `The merge worktree ${dir} has uncommitted changes to ${dirty.join(', ')}: commit or discard them, then merge again.` };
  }
  return { kind: 'ready', head, fresh: head === storyTip };
}

/** Puts the scratch branch, index and files at `commit` (without checkout, so without its hook). */
async function pointScratchAt(ctx: ScratchContext, commit: string): Promise<void> {
  await git(ctx.names.dir, ['symbolic-ref', 'HEAD', `refs/heads/${ctx.names.tempBranch}`]);
  await gitWith(ctx.names.dir, ctx.config, ['reset', '--quiet', '--hard', commit], LONG_GIT_MS);
}

/** Rebases the story commits onto the base; on any failure the rebase is undone and undefined returned. */
async function tryRebase(ctx: ScratchContext, storyTip: string, baseTip: string): Promise<string | undefined> {
  const dir = ctx.names.dir;
  try {
    // --no-verify: no pre-rebase hook; a refusal would only send us to the merge below
    await gitWith(dir, ctx.config, ['rebase', '--quiet', '--no-verify', '--no-autosquash', '--no-fork-point', baseTip], LONG_GIT_MS);
    return await commitOf(dir, 'HEAD');
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if ((await operationInProgress(await scratchGitDir(dir))) === 'rebase') await gitWith(dir, ctx.config, ['rebase', '--abort'], LONG_GIT_MS);
    if ((await commitOf(dir, 'HEAD')) !== storyTip) await pointScratchAt(ctx, storyTip);
    return undefined;
  }
}

async function mergeBaseIn(ctx: ScratchContext, baseTip: string, baseName: string): Promise<Combination> {
  const dir = ctx.names.dir;
  const message = `Merge ${baseName} into ${ctx.names.storyBranch}`;
  try {
    await gitWith(dir, ctx.config, ['merge', '--quiet', '--no-ff', '--no-edit', '--no-verify', '-m', message, baseTip], LONG_GIT_MS);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    const files = await unmergedFiles(dir);
    if (files.length === 0) throw err;
    return {
      kind: 'conflict',
      files,
      message: `${ctx.names.storyBranch} conflicts with ${baseName} in ${files.join(', ')}. The conflict is left in ${dir}: resolve it there, commit, and merge again.`,
    };
  }
  return { kind: 'combined', commit: (await commitOf(dir, 'HEAD'))!, how: 'merge' };
}

/** Brings the story's changes up to date with baseTip in the scratch worktree. */
export async function combine(ctx: ScratchContext, storyTip: string, baseTip: string, baseName: string): Promise<Combination> {
  const opened = await openScratch(ctx, storyTip);
  if (opened.kind === 'busy') return { kind: 'conflict', files: opened.files, message: opened.message };
  const head = opened.head;
  if (await isAncestor(ctx.root, baseTip, head)) return { kind: 'combined', commit: head, how: opened.fresh ? 'as-is' : 'resolution' };
  if (opened.fresh) {
    const rebased = await tryRebase(ctx, storyTip, baseTip);
    if (rebased) return { kind: 'combined', commit: rebased, how: 'rebase' };
  }
  return mergeBaseIn(ctx, baseTip, baseName);
}

/** Runs the gates in the scratch worktree, then puts it back to `commit`: what they changed in tracked files is theirs. */
export async function withGatesIn<T>(ctx: ScratchContext, commit: string, run: (dir: string) => Promise<T>): Promise<T> {
  const flag = path.join(await scratchGitDir(ctx.names.dir), GATES_RUNNING);
  await fs.writeFile(flag, `${commit}\n`);
  try {
    return await run(ctx.names.dir);
  } finally {
    await resetScratch(ctx, commit);
  }
}

async function resetScratch(ctx: ScratchContext, commit: string): Promise<void> {
  await gitWith(ctx.names.dir, ctx.config, ['reset', '--quiet', '--hard', commit], LONG_GIT_MS);
  await fs.rm(path.join(await scratchGitDir(ctx.names.dir), GATES_RUNNING), { force: true });
}

/** True when the scratch worktree holds work of its own: a merge in progress or uncommitted tracked changes. */
export async function scratchBusy(ctx: Pick<ScratchContext, 'names'>): Promise<boolean> {
  if (!(await exists(path.join(ctx.names.dir, '.git')))) return false;
  if (await operationInProgress(await scratchGitDir(ctx.names.dir))) return true;
  return (await trackedChanges(ctx.names.dir)).length > 0;
}

export async function removeScratchWorktree(ctx: Pick<ScratchContext, 'root' | 'names'>): Promise<void> {
  const entry = await registration(ctx.root, ctx.names.dir);
  if (entry && !entry.prunable) await removeWorktree(ctx.root, ctx.names.dir);
  else await fs.rm(ctx.names.dir, { recursive: true, force: true });
}

/** Removes the scratch worktree (just used, so registered) and its branch once what they held has landed or was empty. */
export async function removeScratch(ctx: Pick<ScratchContext, 'root' | 'names'>): Promise<void> {
  await removeWorktree(ctx.root, ctx.names.dir);
  await git(ctx.root, ['update-ref', '-d', `refs/heads/${ctx.names.tempBranch}`]);
}
