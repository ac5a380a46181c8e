// The pipeline's own files (`.huskies/work/`, the stories) belong to the orchestrator: a story branch that
// changed them (an agent that ticked criteria in its worktree's copy of a story, say) must not land those
// changes with its squash commit, where they would fight the orchestrator's moves of the same files.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitError, git } from './git';

/** `git` with a private index file: the user's index is never touched. */
function withIndex(cwd: string, index: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, GIT_INDEX_FILE: index, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new GitError(`git ${args[0]} failed: ${stderr.trim().split('\n').slice(-2).join(' ') || err.message}`, stderr, typeof err.code === 'number' ? err.code : null));
      else resolve(stdout);
    });
  });
}

/**
 * The tree of `commit` with the stories' folder as it is in `baseTip`; `tree` (commit's tree) comes back
 * unchanged when the branch did not touch that folder. `root` is the project's folder in the repository.
 */
export async function withoutPipelineChanges(root: string, commit: string, baseTip: string, tree: string): Promise<string> {
  const changed = (await git(root, ['diff', '--name-only', '--no-renames', baseTip, commit, '--', '.huskies/work'])).trim();
  if (!changed) return tree;
  const prefix = (await git(root, ['rev-parse', '--show-prefix'])).trim();
  const work = `${prefix}.huskies/work`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'huskies-index-'));
  const index = path.join(dir, 'index');
  try {
    await withIndex(root, index, ['read-tree', commit]);
    await withIndex(root, index, ['rm', '-r', '--cached', '-q', '-f', '--ignore-unmatch', '--', `:(top)${work}`]);
    const inBase = (await git(root, ['ls-tree', '--full-tree', '--name-only', baseTip, '--', `:(top)${work}`]).catch(() => '')).trim();
    if (inBase) await withIndex(root, index, ['read-tree', `--prefix=${work}/`, `${baseTip}:${work}`]);
    return (await withIndex(root, index, ['write-tree'])).trim();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
