// Commits the orchestrator's own story moves onto the base branch as `huskies:` commits. The commit is built
// in a temporary index (HEAD, with the given stories' files replaced by what is on disk now), the branch moves
// by compare-and-swap, and the user's index is brought in line for those files only, under git's own index
// lock: nothing else the user has staged or changed is ever staged, committed or touched. No hook runs.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runFile } from '../util/launcher';
import { GitError, currentBranch, git } from './git';
import { readGitIdentity } from './identity';
import { commitOf, gitDirOf, operationInProgress, treeOf, zList } from './mergeGit';

export type WorkCommitResult =
  | { kind: 'committed'; commit: string; previous: string; branch: string; message: string; ids: number[]; indexProblem?: string }
  /** The branch already holds the stories' files as they are on disk. */
  | { kind: 'unchanged' }
  /** Nothing is committed until the situation changes (another branch, no identity, no first commit). */
  | { kind: 'skipped'; reason: string }
  /** Someone else is busy in the repository (the index lock, a merge or rebase, a branch that keeps moving): try again soon. */
  | { kind: 'busy'; reason: string };

export interface WorkCommitOptions {
  /** The project's folder (the one holding .huskies/); it may lie below the repository's top. */
  root: string;
  /** The stories whose files are committed as they are on disk now. */
  ids: readonly number[];
  /** The branch moves are committed on (base_branch); default: the branch checked out in `root`. */
  baseBranch?: string;
  /** How many times the commit is rebuilt when the branch moves under it (default 5). */
  maxAttempts?: number;
}

interface IndexEntry {
  mode: string;
  sha: string;
  path: string;
}

/** Runs git in cwd with extra environment variables (GIT_INDEX_FILE, for one); an argument list, never a shell. */
async function run(cwd: string, args: string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
  const command = args[0] ?? '';
  const r = await runFile('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env }, timeoutMs: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.code === 0) return r.stdout;
  if (r.failure?.code === 'ENOENT') throw new GitError('git is not installed or not on PATH', '', null);
  const tail = r.stderr.trim().split('\n').slice(-3).join(' ');
  throw new GitError(`git ${command} failed: ${tail || (r.timedOut ? 'timed out after 60000 ms' : (r.failure?.message.trim() ?? `exit code ${r.code}`))}`, r.stderr, r.code);
}

/** Where the project's story folders are, seen from the repository's top (posix, no trailing slash). */
interface Layout {
  top: string;
  root: string;
  gitDir: string;
  /** e.g. `.huskies/work`, or `app/.huskies/work` for a project below the top. */
  work: string;
}

/** The story number a path under the work folders names (`<work>/<stage>/<id>_….md`), if it is one. */
function storyIdOf(file: string, work: string): string | undefined {
  if (!file.startsWith(`${work}/`)) return undefined;
  const parts = file.slice(work.length + 1).split('/');
  if (parts.length !== 2) return undefined;
  const m = /^(\d+)_.*\.md$/i.exec(parts[1]);
  return m ? m[1] : undefined;
}

function parseStaged(out: string): IndexEntry[] {
  // "<mode> <sha> <stage>\t<path>"
  return zList(out).map((line) => {
    const tab = line.indexOf('\t');
    const [mode, sha] = line.slice(0, tab).split(' ');
    return { mode, sha, path: line.slice(tab + 1) };
  });
}

/** The stories' files as they are on disk now, relative to the top. */
async function filesOnDisk(l: Layout, ids: ReadonlySet<string>): Promise<string[]> {
  const workDir = path.join(l.top, ...l.work.split('/'));
  const stages = await fs.readdir(workDir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const stage of stages) {
    if (!stage.isDirectory()) continue;
    for (const f of await fs.readdir(path.join(workDir, stage.name), { withFileTypes: true }).catch(() => [])) {
      const rel = `${l.work}/${stage.name}/${f.name}`;
      const id = storyIdOf(rel, l.work);
      if (id !== undefined && ids.has(id) && f.isFile()) found.push(rel);
    }
  }
  return found.sort();
}

const stageName = (file: string) => file.split('/').slice(-2)[0].replace(/^\d+_/, '');

/** One line per story whose files changed, e.g. `#12 backlog → current`. */
function describe(id: string, before: IndexEntry[], after: IndexEntry[]): string | undefined {
  const key = (es: IndexEntry[]) => es.map((e) => `${e.mode} ${e.sha} ${e.path}`).join('\n');
  if (key(before) === key(after)) return undefined;
  const from = [...new Set(before.map((e) => stageName(e.path)))].join(', ');
  const to = [...new Set(after.map((e) => stageName(e.path)))].join(', ');
  if (!from) return `#${id} new in ${to}`;
  if (!to) return `#${id} removed from ${from}`;
  return from === to ? `#${id} updated in ${to}` : `#${id} ${from} → ${to}`;
}

/** The commit message: every story on the first line when it stays short, else a count and one line each. */
export function moveMessage(lines: readonly string[]): string {
  const one = `huskies: ${lines.join('; ')}`;
  if (one.length <= 72) return one;
  return `huskies: ${lines.length} stories moved\n\n${lines.join('\n')}`;
}

interface Built {
  tree: string;
  message: string;
  ids: number[];
}

/** HEAD with the stories' files replaced by what is on disk, in a temporary index; undefined when that changes nothing. */
async function build(l: Layout, head: string, ids: ReadonlySet<string>): Promise<Built | undefined> {
  const tmp = path.join(l.gitDir, `huskies-moves-${process.pid}-${randomBytes(6).toString('hex')}.index`);
  const env = { GIT_INDEX_FILE: tmp };
  const mine = (out: string) => parseStaged(out).filter((e) => ids.has(storyIdOf(e.path, l.work) ?? ''));
  try {
    await run(l.top, ['read-tree', head], env);
    const before = mine(await run(l.top, ['ls-files', '-s', '-z', '--', l.work], env));
    if (before.length) await run(l.top, ['update-index', '--force-remove', '--', ...before.map((e) => e.path)], env);
    const onDisk = await filesOnDisk(l, ids);
    if (onDisk.length) await run(l.top, ['update-index', '--add', '--', ...onDisk], env);
    const after = mine(await run(l.top, ['ls-files', '-s', '-z', '--', l.work], env));
    const tree = (await run(l.top, ['write-tree'], env)).trim();
    if (tree === (await treeOf(l.top, head))) return undefined;
    const changed: number[] = [];
    const lines: string[] = [];
    for (const id of [...ids].sort((a, b) => Number(a) - Number(b))) {
      const of = (es: IndexEntry[]) => es.filter((e) => storyIdOf(e.path, l.work) === id);
      const line = describe(id, of(before), of(after));
      if (line) {
        lines.push(line);
        changed.push(Number(id));
      }
    }
    return { tree, message: moveMessage(lines), ids: changed };
  } finally {
    await fs.rm(tmp, { force: true });
    await fs.rm(`${tmp}.lock`, { force: true });
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes git's own index lock (index.lock), waiting briefly for whoever holds it; undefined when it stays taken. */
async function lockIndex(gitDir: string): Promise<fs.FileHandle | undefined> {
  for (const wait of [0, 50, 100, 200, 400]) {
    if (wait) await pause(wait);
    try {
      return await fs.open(path.join(gitDir, 'index.lock'), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return undefined;
}

type Published = { kind: 'done'; indexProblem?: string } | { kind: 'moved' } | { kind: 'busy'; reason: string };

/**
 * Moves the branch from `old` to `next` and brings the user's index in line with `next` for the stories' paths,
 * both while holding index.lock, so that no git command of the user's (a commit, an add, a checkout) sees the
 * branch moved but the index not yet, or builds on the index in between.
 */
async function publish(l: Layout, branch: string, old: string, next: string, message: string, ids: ReadonlySet<string>): Promise<Published> {
  const ref = `refs/heads/${branch}`;
  const lockPath = path.join(l.gitDir, 'index.lock');
  const lock = await lockIndex(l.gitDir);
  if (!lock) return { kind: 'busy', reason: `another git command holds ${lockPath}` };
  const copy = path.join(l.gitDir, `huskies-moves-${process.pid}-${randomBytes(6).toString('hex')}.index`);
  let renamed = false;
  try {
    const [head, tip] = await Promise.all([run(l.root, ['symbolic-ref', '--quiet', 'HEAD']).catch(() => ''), commitOf(l.root, ref)]);
    if (head.trim() !== ref || tip !== old) return { kind: 'moved' };
    try {
      await run(l.root, ['update-ref', '-m', message.split('\n')[0], ref, next, old]);
    } catch (err) {
      if ((await commitOf(l.root, ref)) !== old) return { kind: 'moved' };
      throw err;
    }
    // The commit is made; from here on a failure leaves the user's index as it was, and is reported.
    try {
      await syncIndex(l, copy, [old, next], ids, next);
      await lock.writeFile(await fs.readFile(copy)); // git's way: the new index goes into index.lock, renamed into place
      await lock.close();
      await fs.rename(lockPath, path.join(l.gitDir, 'index'));
      renamed = true;
      return { kind: 'done' };
    } catch (err) {
      return { kind: 'done', indexProblem: (err as Error).message };
    }
  } finally {
    await lock.close().catch(() => undefined);
    if (!renamed) await fs.rm(lockPath, { force: true });
    await fs.rm(copy, { force: true });
    await fs.rm(`${copy}.lock`, { force: true });
  }
}

/** Writes into `copy` the user's index with the stories' entries (any found in it or in `trees`) as they are in `next`. */
async function syncIndex(l: Layout, copy: string, trees: string[], ids: ReadonlySet<string>, next: string): Promise<void> {
  await fs.copyFile(path.join(l.gitDir, 'index'), copy).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err; // no index yet: git starts an empty one
  });
  const env = { GIT_INDEX_FILE: copy, GIT_LITERAL_PATHSPECS: '1' };
  const listed = [zList(await run(l.top, ['ls-files', '-z', '--', l.work], env))];
  for (const t of trees) listed.push(zList(await run(l.top, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', t, '--', l.work])));
  const paths = [...new Set(listed.flat())].filter((p) => ids.has(storyIdOf(p, l.work) ?? ''));
  if (paths.length) await run(l.top, ['reset', '-q', next, '--', ...paths], env);
}

async function layoutOf(root: string): Promise<Layout> {
  const top = await fs.realpath((await git(root, ['rev-parse', '--show-toplevel'])).trim());
  const rel = path.relative(top, root).split(path.sep).filter(Boolean);
  return { top, root, gitDir: await gitDirOf(root), work: [...rel, '.huskies', 'work'].join('/') };
}

/**
 * Commits the current on-disk state of these stories' files (in any stage folder) onto the branch checked out
 * in `root`, when that branch is the base branch. Touches nothing but those files, in git and in the index.
 */
export async function commitStoryFiles(opts: WorkCommitOptions): Promise<WorkCommitResult> {
  const ids = new Set(opts.ids.filter((id) => Number.isSafeInteger(id) && id >= 0).map(String));
  if (!ids.size) return { kind: 'unchanged' };
  const root = await fs.realpath(opts.root);
  const branch = await currentBranch(root);
  if (!branch) return { kind: 'skipped', reason: `story moves are not committed while no branch is checked out in ${root} (HEAD is detached)` };
  const base = opts.baseBranch ?? branch;
  if (branch !== base) return { kind: 'skipped', reason: `story moves are not committed while you are on ${branch}; they are committed on ${base} only` };
  if (branch.startsWith('huskies/')) return { kind: 'skipped', reason: `story moves are not committed on a story branch (${branch})` };
  if (!(await readGitIdentity(root))) {
    return {
      kind: 'skipped',
      reason: `story moves are not committed: git has no user.name and user.email for ${root} (git config user.name "…"; git config user.email "…")`,
    };
  }
  const l = await layoutOf(root);
  const attempts = Math.max(1, opts.maxAttempts ?? 5);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const old = await commitOf(root, `refs/heads/${branch}`);
    if (!old) return { kind: 'skipped', reason: `story moves are not committed: ${branch} has no commits yet (make a first commit)` };
    const op = await operationInProgress(l.gitDir);
    if (op) return { kind: 'busy', reason: `a ${op} is in progress in ${root}` };
    const built = await build(l, old, ids);
    if (!built) return { kind: 'unchanged' };
    const commit = (await run(root, ['commit-tree', built.tree, '-p', old, '-m', built.message])).trim();
    const published = await publish(l, branch, old, commit, built.message, ids);
    if (published.kind === 'moved') continue;
    if (published.kind === 'busy') return published;
    return { kind: 'committed', commit, previous: old, branch, message: built.message, ids: built.ids, indexProblem: published.indexProblem };
  }
  return { kind: 'busy', reason: `${branch} moved during each of ${attempts} attempts to commit the story moves` };
}
