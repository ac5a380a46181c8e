// Git through execFile (never a shell): worktrees per story, branch names, commits ahead.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { WorkItem } from '../model/workItem';

export class GitError extends Error {
  constructor(message: string, readonly stderr: string, readonly code: number | null) {
    super(message);
  }
}

export function git(cwd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : null;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new GitError('git is not installed or not on PATH', '', null));
        else reject(new GitError(`git ${args[0]} failed: ${String(stderr).trim().split('\n').slice(-3).join(' ') || err.message}`, String(stderr), code));
      } else resolve(String(stdout));
    });
  });
}

export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

export async function currentBranch(dir: string): Promise<string | undefined> {
  try {
    const b = (await git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim();
    return b || undefined;
  } catch {
    return undefined;
  }
}

export async function headCommit(dir: string): Promise<string | undefined> {
  try {
    return (await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The worktree folder and branch for a story; both built only from the number and the safe slug. */
export function worktreeFor(root: string, item: Pick<WorkItem, 'id' | 'slug'>): { dir: string; branch: string } {
  const slug = item.slug.replace(/[^a-z0-9_-]/g, '').slice(0, 48) || 'item';
  const name = `${item.id}_${slug}`;
  return { dir: path.join(root, '.huskies', 'worktrees', name), branch: `huskies/${name}` };
}

async function branchExists(root: string, branch: string): Promise<boolean> {
  try {
    await git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

async function registeredWorktrees(root: string): Promise<Set<string>> {
  const out = await git(root, ['worktree', 'list', '--porcelain']);
  const set = new Set<string>();
  for (const line of out.split('\n')) if (line.startsWith('worktree ')) set.add(path.resolve(line.slice(9)));
  return set;
}

export interface Worktree {
  dir: string;
  branch: string;
  /** The commit the branch started from, to count the agent's own commits. */
  base: string;
  created: boolean;
}

const repoLocks = new Map<string, Promise<unknown>>();

/** Runs fn after every earlier call for the same repository: git's own lock files make concurrent worktree changes fail. */
function serialized<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const prev = repoLocks.get(root) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  repoLocks.set(root, next);
  void next.finally(() => {
    if (repoLocks.get(root) === next) repoLocks.delete(root);
  }).catch(() => undefined);
  return next;
}

/** Creates the story's worktree (or reuses it when it is already there: a resume keeps its work). */
export function ensureWorktree(root: string, item: Pick<WorkItem, 'id' | 'slug'>, baseBranch?: string): Promise<Worktree> {
  return serialized(path.resolve(root), () => ensureWorktreeNow(root, item, baseBranch));
}

async function ensureWorktreeNow(root: string, item: Pick<WorkItem, 'id' | 'slug'>, baseBranch?: string): Promise<Worktree> {
  const { dir, branch } = worktreeFor(root, item);
  const head = await headCommit(root);
  if (!head) throw new GitError('The repository has no commits yet: make a first commit before starting agents.', '', null);
  const baseRef = baseBranch ?? (await currentBranch(root)) ?? 'HEAD';
  const registered = await registeredWorktrees(root);
  const real = await fs.realpath(dir).catch(() => dir);
  if (registered.has(path.resolve(dir)) || registered.has(real)) {
    const base = (await git(dir, ['merge-base', 'HEAD', baseRef]).catch(() => head)).trim();
    return { dir, branch, base, created: false };
  }
  await git(root, ['worktree', 'prune']);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  if (await branchExists(root, branch)) await git(root, ['worktree', 'add', dir, branch]);
  else await git(root, ['worktree', 'add', '-b', branch, dir, baseRef]);
  const base = (await git(dir, ['merge-base', 'HEAD', baseRef]).catch(() => head)).trim();
  return { dir, branch, base, created: true };
}

export async function commitsAhead(dir: string, base: string): Promise<number> {
  const out = await git(dir, ['rev-list', '--count', `${base}..HEAD`]);
  return Number(out.trim()) || 0;
}

export async function isDirty(dir: string): Promise<boolean> {
  return (await git(dir, ['status', '--porcelain'])).trim().length > 0;
}

export function removeWorktree(root: string, dir: string): Promise<void> {
  return serialized(path.resolve(root), () => removeWorktreeNow(root, dir));
}

async function removeWorktreeNow(root: string, dir: string): Promise<void> {
  await git(root, ['worktree', 'remove', '--force', dir]).catch(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await git(root, ['worktree', 'prune']).catch(() => undefined);
  });
}
