// A story's changes for review: which files its branch (or its worktree, while an agent works in it)
// changed since it left the base branch, and any file's content at a commit. A merged story shows its
// merge commit against that commit's parent. Git runs with argument arrays; every path is checked.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import { NotFoundError, RefusedError } from '../model/errors';
import { currentBranch, git, worktreeFor } from './git';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typechange' | 'unmerged';

export interface ChangedFile {
  status: ChangeStatus;
  /** Path relative to the repository root, after the change. */
  path: string;
  /** For renames and copies: the path before. */
  oldPath?: string;
}

export interface StoryChanges {
  storyId: number;
  /** The story branch, when it still exists. */
  branch?: string;
  /** The story's worktree folder, when it exists: its files are the changed side (uncommitted work included). */
  worktree?: string;
  /** The commit the original side is read from (merge base, or the merge commit's parent). */
  base: string;
  /** The commit the changed side is read from when there is no worktree (branch tip, or the merge commit). */
  head: string;
  /** True when the changes are those of the story's merge commit. */
  merged: boolean;
  files: ChangedFile[];
}

const STATUS: Record<string, ChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'typechange', U: 'unmerged' };

/**
 * Parses `git diff --name-status -z` output: NUL-separated fields, a status (R and C carry a score,
 * e.g. R100) followed by one path, or two (old, new) for renames and copies. Paths are raw bytes as
 * UTF-8: no quoting, spaces and any character but NUL kept as they are.
 */
export function parseNameStatusZ(out: string): ChangedFile[] {
  const fields = out.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length;) {
    const code = fields[i++].trim();
    const status = STATUS[code.charAt(0)];
    if (!status) throw new Error(`git diff --name-status: unknown status "${code}" at field ${i - 1}`);
    if (status === 'renamed' || status === 'copied') {
      const oldPath = fields[i++];
      const newPath = fields[i++];
      if (oldPath === undefined || newPath === undefined) throw new Error(`git diff --name-status: "${code}" without its two paths`);
      files.push({ status, path: newPath, oldPath });
    } else {
      const p = fields[i++];
      if (p === undefined) throw new Error(`git diff --name-status: "${code}" without a path`);
      files.push({ status, path: p });
    }
  }
  return files;
}

/** Undefined when `p` is a safe path inside a repository, else what is wrong with it. */
export function badRepoPath(p: unknown): string | undefined {
  if (typeof p !== 'string' || p === '') return 'a path is required';
  if (p.length > 4096) return 'the path is too long';
  if (p.includes('\0')) return 'the path holds a NUL character';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\')) return `"${p}" is not a relative path inside the repository`;
  if (p.split('/').some((s) => s === '..' || s === '.' || s === '')) return `"${p}" has an empty, "." or ".." segment`;
  if (p === '.git' || p.startsWith('.git/')) return `"${p}" is inside .git`;
  return undefined;
}

const COMMIT = /^[0-9a-f]{7,64}$/;

export function isCommitId(c: unknown): c is string {
  return typeof c === 'string' && COMMIT.test(c);
}

async function resolveCommit(root: string, ref: string): Promise<string | undefined> {
  try {
    const out = (await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
    return isCommitId(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

async function isWorktree(dir: string): Promise<boolean> {
  // A linked worktree has a .git file pointing at the main repository's git directory.
  return fs
    .stat(path.join(dir, '.git'))
    .then(() => true)
    .catch(() => false);
}

/** Untracked files in a worktree (ignored ones left out), as added. */
async function untracked(dir: string): Promise<ChangedFile[]> {
  const out = await git(dir, ['ls-files', '--others', '--exclude-standard', '-z']);
  return out
    .split('\0')
    .filter((p) => p !== '')
    .map((p) => ({ status: 'added' as const, path: p }));
}

export interface StoryDiffOptions {
  /** config.project.baseBranch; the checkout's current branch when unset. */
  baseBranch?: string;
  /** The story's runs: the latest one that names a branch or worktree wins over the computed names. */
  runs?: readonly RunRecord[];
}

/** The files a story changed. Throws NotFoundError when it has neither a branch nor a merge commit. */
export async function storyChanges(root: string, item: WorkItem, opts: StoryDiffOptions = {}): Promise<StoryChanges> {
  const merge = item.frontMatter.merge_commit;
  if ((item.stage === 'done' || item.stage === 'archived') && isCommitId(merge)) {
    const head = await resolveCommit(root, merge);
    const base = head && (await resolveCommit(root, `${head}^1`));
    if (!head || !base)
      throw new NotFoundError(`Story ${item.id}'s merge commit ${merge.slice(0, 10)} (merge_commit in its front matter) is not in this repository, or has no parent.`);
    const out = await git(root, ['diff', '--name-status', '-z', '-M', base, head]);
    return { storyId: item.id, base, head, merged: true, files: parseNameStatusZ(out) };
  }
  const named = worktreeFor(root, item);
  const latest = [...(opts.runs ?? [])].sort((a, b) => b.queuedAt - a.queuedAt).find((r) => r.branch || r.worktree);
  const branch = latest?.branch ?? named.branch;
  const tip = await resolveCommit(root, `refs/heads/${branch}`);
  if (!tip) throw new NotFoundError(`Story ${item.id} has no branch ${branch} yet: start an agent on it first.`);
  const baseName = opts.baseBranch ?? (await currentBranch(root)) ?? 'HEAD';
  const baseTip = await resolveCommit(root, baseName);
  if (!baseTip) throw new NotFoundError(`The base branch ${baseName} (base_branch in .huskies/project.toml) does not exist.`);
  const base = (await git(root, ['merge-base', baseTip, tip]).catch(() => '')).trim();
  if (!isCommitId(base)) throw new NotFoundError(`Story ${item.id}'s branch ${branch} shares no history with ${baseName}.`);
  const dirs = [latest?.worktree, named.dir].filter((d): d is string => !!d);
  let worktree: string | undefined;
  for (const d of dirs) if (await isWorktree(d)) worktree ??= d;
  let files: ChangedFile[];
  if (worktree) {
    // Against the working tree: what the agent has not committed yet shows too.
    files = parseNameStatusZ(await git(worktree, ['diff', '--name-status', '-z', '-M', base]));
    const seen = new Set(files.map((f) => f.path));
    files.push(...(await untracked(worktree)).filter((f) => !seen.has(f.path)));
  } else files = parseNameStatusZ(await git(root, ['diff', '--name-status', '-z', '-M', base, tip]));
  return { storyId: item.id, branch, worktree, base, head: tip, merged: false, files };
}

export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/**
 * A file's content at a commit, as text. Undefined when the file is not there at that commit (added
 * or deleted on the other side); a short note instead of the content for binary or oversized files.
 */
export async function fileAt(root: string, commit: string, file: string, maxBytes = MAX_FILE_BYTES): Promise<string | undefined> {
  if (!isCommitId(commit)) throw new RefusedError(`"${String(commit).slice(0, 80)}" is not a commit id.`);
  const bad = badRepoPath(file);
  if (bad) throw new RefusedError(`Cannot read a file at ${commit.slice(0, 10)}: ${bad}.`);
  const spec = `${commit}:${file}`;
  let size: number;
  try {
    const type = (await git(root, ['cat-file', '-t', spec])).trim();
    if (type !== 'blob') return undefined;
    size = Number((await git(root, ['cat-file', '-s', spec])).trim());
  } catch {
    return undefined;
  }
  if (!(size <= maxBytes)) return `(${file} is ${size} bytes at ${commit.slice(0, 10)}: too large to show here; limit ${maxBytes} bytes)\n`;
  const text = await git(root, ['show', spec]);
  if (text.slice(0, 8000).includes('\0')) return `(${file} is a binary file of ${size} bytes at ${commit.slice(0, 10)})\n`;
  return text;
}
