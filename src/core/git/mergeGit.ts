// Small git facts the merge machinery asks again and again: commits, ancestry, trees, worktrees and
// the operations in progress in one of them. Every call is an argument list (no shell).
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError, git } from './git';

/** A time limit for commands that rewrite many files (rebase, merge, checkout of a large tree). */
export const LONG_GIT_MS = 10 * 60_000;

/**
 * Runs git with `-c key=value` settings first; the user's config stays in force except where a setting here
 * overrides it. This runs git directly (an argument list, never a shell) rather than through simple-git,
 * which refuses `core.hooksPath`: the scratch worktree turns the user's hooks off with it.
 */
export function gitWith(cwd: string, config: Readonly<Record<string, string>>, args: string[], timeoutMs = LONG_GIT_MS): Promise<string> {
  const argv = [...Object.entries(config).flatMap(([k, v]) => ['-c', `${k}=${v}`]), ...args];
  const command = args[0] ?? '';
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  return new Promise((resolve, reject) => {
    execFile('git', argv, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = typeof err.code === 'number' ? err.code : null;
      if (err.code === 'ENOENT') {
        const gone = !existsSync(cwd);
        return reject(new GitError(gone ? `git ${command} failed: the folder ${cwd} does not exist` : 'git is not installed or not on PATH', '', null));
      }
      if (err.killed) return reject(new GitError(`git ${command} timed out after ${timeoutMs} ms`, stderr, code));
      const tail = stderr.trim().split('\n').slice(-3).join(' ');
      reject(new GitError(`git ${command} failed: ${tail || err.message.trim()}`, stderr, code));
    });
  });
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

/** The commits several full ref names point to (undefined for one that is missing), in one call when they all exist. */
export async function commitsOf(cwd: string, ...refs: string[]): Promise<Array<string | undefined>> {
  try {
    // full ref names (refs/heads/...) never start with '-', so no --end-of-options (rev-parse would echo it)
    const shas = (await git(cwd, ['rev-parse', ...refs.map((r) => `${r}^{commit}`)])).trim().split('\n');
    if (shas.length === refs.length) return shas;
  } catch {
    /* one of them is missing: ask one by one */
  }
  return Promise.all(refs.map((r) => commitOf(cwd, r)));
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

export interface Change {
  /** A, M, D or T (renames are seen as a deletion and an addition). */
  status: string;
  path: string;
}

/** Paths changed between two commits. */
export async function changesBetween(cwd: string, from: string, to: string): Promise<Change[]> {
  const parts = zList(await git(cwd, ['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', from, to, '--']));
  const changes: Change[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) changes.push({ status: parts[i], path: parts[i + 1] });
  return changes;
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
  /** Its folder is gone: `git worktree prune` would drop it. */
  prunable: boolean;
}

/** The repository's working trees, main one first (a bare repository's own entry left out). */
export async function listWorktrees(root: string): Promise<WorktreeEntry[]> {
  const out = await git(root, ['worktree', 'list', '--porcelain']);
  const list: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  let bare = false;
  const flush = () => {
    if (cur && !bare) list.push(cur);
    cur = undefined;
    bare = false;
  };
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      flush();
      cur = { dir: path.resolve(line.slice(9)), prunable: false };
    } else if (!cur) continue;
    else if (line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (line.startsWith('branch ')) cur.branch = line.slice(7);
    else if (line.startsWith('prunable')) cur.prunable = true;
    else if (line === 'bare') bare = true;
  }
  flush();
  return list;
}

/** Every working tree's git directory: the main one and each linked worktree's own. */
export async function allGitDirs(common: string): Promise<string[]> {
  const linked = await fs.readdir(path.join(common, 'worktrees')).catch(() => [] as string[]);
  return [common, ...linked.map((n) => path.join(common, 'worktrees', n))];
}
