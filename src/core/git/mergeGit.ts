// Small git facts the merge machinery asks again and again: commits, ancestry, trees, worktrees and
// the operations in progress in one of them. Every call is an argument list through git.ts (no shell).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError, git } from './git';

/** A time limit for commands that rewrite many files (rebase, merge, checkout of a large tree). */
export const LONG_GIT_MS = 10 * 60_000;

/**
 * Runs git with `-c key=value` settings first. The user's config stays in force except where a
 * setting here overrides it; errors name the real subcommand, not "-c".
 */
export async function gitWith(cwd: string, config: Record<string, string>, args: string[], timeoutMs?: number): Promise<string> {
  const pre = Object.entries(config).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  try {
    return await git(cwd, [...pre, ...args], { timeoutMs });
  } catch (err) {
    if (err instanceof GitError && err.message.startsWith('git -c ')) {
      throw new GitError(err.message.replace(/^git -c /, `git ${args[0] ?? ''} `), err.stderr, err.code);
    }
    throw err;
  }
}

/** The commit a ref names, or undefined when there is none. */
export async function commitOf(cwd: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim() || undefined;
  } catch (err) {
    if (err instanceof GitError && err.code === 1) return undefined;
    throw err;
  }
}

export async function treeOf(cwd: string, commit: string): Promise<string> {
  return (await treesOf(cwd, commit))[0];
}

/** The trees of several commits, in one call. */
export async function treesOf(cwd: string, ...commits: string[]): Promise<string[]> {
  return (await git(cwd, ['rev-parse', ...commits.map((c) => `${c}^{tree}`)])).trim().split('\n');
}

/** True when `ancestor` is `commit` itself or one of its ancestors. */
export async function isAncestor(cwd: string, ancestor: string, commit: string): Promise<boolean> {
  try {
    await git(cwd, ['merge-base', '--is-ancestor', ancestor, commit]);
    return true;
  } catch (err) {
    if (err instanceof GitError && err.code === 1) return false;
    throw err;
  }
}

export async function countAhead(cwd: string, base: string, tip: string): Promise<number> {
  return Number((await git(cwd, ['rev-list', '--count', `${base}..${tip}`])).trim()) || 0;
}

/** Splits NUL-separated git output into its non-empty parts. */
export function zList(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}

/** Paths changed between two commits. */
export async function changedFiles(cwd: string, from: string, to: string): Promise<string[]> {
  return zList(await git(cwd, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', from, to, '--']));
}

export async function unmergedFiles(dir: string): Promise<string[]> {
  const out = zList(await git(dir, ['ls-files', '-u', '-z']));
  // each line is "<mode> <sha> <stage>\t<path>", one per stage
  return [...new Set(out.map((l) => l.slice(l.indexOf('\t') + 1)))].sort();
}

/** Tracked paths with staged or unstaged changes (untracked files are not listed). */
export async function trackedChanges(dir: string): Promise<string[]> {
  const parts = zList(await git(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=no', '--ignore-submodules=none']));
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i];
    paths.push(entry.slice(3));
    // a rename or copy is followed by its source path as a part of its own
    if (entry[0] === 'R' || entry[0] === 'C') paths.push(parts[++i] ?? '');
  }
  return paths.filter((p) => p !== '');
}

/** The git directory of a working tree (its own one for a linked worktree). */
export async function gitDirOf(dir: string): Promise<string> {
  return path.resolve(dir, (await git(dir, ['rev-parse', '--git-dir'])).trim());
}

export async function commonGitDir(dir: string): Promise<string> {
  return path.resolve(dir, (await git(dir, ['rev-parse', '--git-common-dir'])).trim());
}

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false,
  );

/** The multi-step operation a working tree is in the middle of, if any. */
export async function operationInProgress(gitDir: string): Promise<'merge' | 'rebase' | 'cherry-pick' | 'revert' | undefined> {
  if ((await exists(path.join(gitDir, 'rebase-merge'))) || (await exists(path.join(gitDir, 'rebase-apply')))) return 'rebase';
  if (await exists(path.join(gitDir, 'MERGE_HEAD'))) return 'merge';
  if (await exists(path.join(gitDir, 'CHERRY_PICK_HEAD'))) return 'cherry-pick';
  if (await exists(path.join(gitDir, 'REVERT_HEAD'))) return 'revert';
  return undefined;
}

/** The branch a rebase in this git directory will write back when it ends. */
export async function branchBeingRebased(gitDir: string): Promise<string | undefined> {
  for (const sub of ['rebase-merge', 'rebase-apply']) {
    const name = await fs.readFile(path.join(gitDir, sub, 'head-name'), 'utf8').catch(() => '');
    if (name.trim()) return name.trim();
  }
  return undefined;
}

export interface WorktreeEntry {
  dir: string;
  head?: string;
  /** Full ref name, e.g. refs/heads/main; undefined when detached or bare. */
  branch?: string;
}

export async function listWorktrees(root: string): Promise<WorktreeEntry[]> {
  const out = await git(root, ['worktree', 'list', '--porcelain']);
  const list: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  let prunable = false;
  const flush = () => {
    if (cur && !prunable) list.push(cur);
    cur = undefined;
    prunable = false;
  };
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      flush();
      cur = { dir: path.resolve(line.slice(9)) };
    } else if (cur && line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (cur && line.startsWith('branch ')) cur.branch = line.slice(7);
    else if (line.startsWith('prunable') || line === 'bare') prunable = true;
  }
  flush();
  return list;
}

/** Every working tree's git directory: the main one and each linked worktree's own. */
export async function allGitDirs(root: string): Promise<string[]> {
  const common = await commonGitDir(root);
  const linked = await fs.readdir(path.join(common, 'worktrees')).catch(() => [] as string[]);
  return [common, ...linked.map((n) => path.join(common, 'worktrees', n))];
}
