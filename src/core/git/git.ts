// Git through simple-git (one child process per command, never a shell): worktrees per story,
// branch names, commits ahead. Every command has a time limit and fails on any non-zero exit.
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CheckRepoActions, simpleGit, type SimpleGit } from 'simple-git';
import type { WorkItem } from '../model/workItem';
import { launcherInUse, runFile } from '../util/launcher';

export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

// simple-git refuses to start git when the environment holds variables it considers risky (EDITOR,
// PAGER, GIT_ASKPASS which VS Code sets, GIT_CONFIG_GLOBAL...). The environment is the user's own and
// is trusted exactly as when they run git themselves; the arguments are ours and stay checked.
const TRUSTED_ENVIRONMENT = {
  allowUnsafeAskPass: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeEditor: true,
  allowUnsafeGitProxy: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
  allowUnsafeTemplateDir: true,
};

interface Failure {
  stderr: string;
  code: number | null;
}

/** Runs one simple-git task in cwd, turning every way it can fail into a GitError. */
async function withGit<T>(cwd: string, command: string, task: (g: SimpleGit) => Promise<T>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let failure: Failure | undefined;
  try {
    const g = simpleGit({
      baseDir: cwd,
      abort: abort.signal,
      unsafe: TRUSTED_ENVIRONMENT,
      // By default simple-git passes a non-zero exit with nothing on stderr as success ("not found" from
      // rev-parse --verify --quiet, for one): here any non-zero exit fails, and its stderr and code are kept.
      errors: (error, result) => {
        if (!error && result.exitCode === 0) return undefined;
        failure = { stderr: Buffer.concat(result.stdErr).toString('utf8'), code: result.exitCode };
        return error ?? Buffer.concat(result.stdErr);
      },
    }).env({ ...process.env, GIT_TERMINAL_PROMPT: '0' });
    return await task(g);
  } catch (err) {
    throw toGitError(err, cwd, command, failure, abort.signal.aborted ? timeoutMs : undefined);
  } finally {
    clearTimeout(timer);
  }
}

function toGitError(err: unknown, cwd: string, command: string, failure: Failure | undefined, timedOutAfterMs: number | undefined): GitError {
  if (err instanceof GitError) return err;
  const stderr = failure?.stderr ?? '';
  const code = failure?.code ?? null;
  if (timedOutAfterMs !== undefined) return new GitError(`git ${command} timed out after ${timedOutAfterMs} ms`, stderr, code);
  if (/\bspawn \S+ ENOENT\b/.test(stderr)) return new GitError('git is not installed or not on PATH', '', null);
  const message = err instanceof Error ? err.message : String(err);
  if (/directory that does not exist/.test(message)) return new GitError(`git ${command} failed: the folder ${cwd} does not exist`, '', null);
  const tail = stderr.trim().split('\n').slice(-3).join(' ');
  return new GitError(`git ${command} failed: ${tail || message.trim()}`, stderr, code);
}

/** Runs git with these arguments in cwd and returns its standard output. */
export function git(cwd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  if (launcherInUse()) return gitFromLauncher(cwd, args, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return withGit(cwd, args[0] ?? '', (g) => g.raw(args), opts.timeoutMs);
}

/** git() when this process starts programs from a launcher (see util/launcher): the same answers and errors. */
async function gitFromLauncher(cwd: string, args: string[], timeoutMs: number): Promise<string> {
  const command = args[0] ?? '';
  const r = await runFile('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeoutMs });
  if (r.code === 0) return r.stdout;
  if (r.timedOut) throw new GitError(`git ${command} timed out after ${timeoutMs} ms`, r.stderr, r.code);
  if (r.failure?.code === 'ENOENT') {
    if (!fsSync.existsSync(cwd)) throw new GitError(`git ${command} failed: the folder ${cwd} does not exist`, '', null);
    throw new GitError('git is not installed or not on PATH', '', null);
  }
  const tail = r.stderr.trim().split('\n').slice(-3).join(' ');
  throw new GitError(`git ${command} failed: ${tail || r.failure?.message.trim() || `exit code ${r.code}`}`, r.stderr, r.code);
}

export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    return await withGit(dir, 'rev-parse', (g) => g.checkIsRepo(CheckRepoActions.IN_TREE));
  } catch {
    return false;
  }
}

export async function currentBranch(dir: string): Promise<string | undefined> {
  try {
    // symbolic-ref, not rev-parse --abbrev-ref: it names the branch of a repository with no commits yet
    const b = (await git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim();
    return b || undefined;
  } catch {
    return undefined;
  }
}

export async function headCommit(dir: string): Promise<string | undefined> {
  try {
    return (await withGit(dir, 'rev-parse', (g) => g.revparse(['--verify', '--quiet', 'HEAD']))) || undefined;
  } catch {
    return undefined;
  }
}

const SAFE_NAME = /[^a-z0-9_-]/g;

/** The worktree folder and branch for a story; both built only from the number and the safe slug. */
export function worktreeFor(root: string, item: Pick<WorkItem, 'id' | 'slug'>): { dir: string; branch: string } {
  // A fraction or NaN would put '.' or capitals in the name, and two ids could share one folder.
  if (!Number.isSafeInteger(item.id) || item.id < 0) throw new RangeError(`A story number must be a whole number, not ${String(item.id)}`);
  const slug = item.slug.replace(SAFE_NAME, '').slice(0, 48) || 'item';
  const name = `${item.id}_${slug}`;
  return { dir: path.join(root, '.huskies', 'worktrees', name), branch: `huskies/${name}` };
}

async function registeredWorktrees(root: string): Promise<Set<string>> {
  // simple-git has no worktree commands: the porcelain listing is read here
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

/**
 * What a burst of worktree creations knows of a repository: its refs and registered worktrees, read once
 * for the burst (30 agents starting at once) rather than twice per worktree. It lives only while the
 * repository's queue runs nothing but worktree creations, and for at most VIEW_MAX_AGE_MS.
 */
interface RepoView {
  refs: Map<string, string>;
  worktrees: Set<string>;
  at: number;
}
const repoViews = new Map<string, RepoView>();
const VIEW_MAX_AGE_MS = 10_000;

function repoKey(repo: string): string {
  const root = path.resolve(repo);
  try {
    return fsSync.realpathSync.native(root);
  } catch {
    return root; // not there (yet): its resolved path is the key
  }
}

/**
 * Runs fn after every earlier call for the same repository: git's own lock files make concurrent worktree changes
 * fail. Every worktree added or removed (stories' and merges') goes through here, keyed by the real path.
 * Any task but a worktree creation (`keepsView`) forgets what a burst of creations had read.
 */
export function serialized<T>(repo: string, fn: () => Promise<T>, keepsView = false): Promise<T> {
  const root = repoKey(repo);
  const prev = repoLocks.get(root) ?? Promise.resolve();
  const next = prev
    .catch(() => undefined)
    .then(() => {
      if (!keepsView) repoViews.delete(root);
      return fn();
    });
  repoLocks.set(root, next);
  void next
    .finally(() => {
      if (repoLocks.get(root) !== next) return;
      repoLocks.delete(root);
      repoViews.delete(root);
    })
    .catch(() => undefined);
  return next;
}

/** Creates the story's worktree (or reuses it when it is already there: a resume keeps its work). */
/**
 * The story's worktree, created on its branch when missing. A new branch starts from the base branch, or from
 * `from` (a parent story's branch, for a stacked story); `base` is where the story's own commits begin.
 */
export function ensureWorktree(root: string, item: Pick<WorkItem, 'id' | 'slug'>, baseBranch?: string, from?: string): Promise<Worktree> {
  return serialized(path.resolve(root), () => ensureWorktreeNow(root, item, baseBranch, from), true);
}

/** The refs and worktrees of the burst under way, or read now (and kept for the rest of the burst). */
async function repoView(root: string): Promise<RepoView> {
  const key = repoKey(root);
  const kept = repoViews.get(key);
  if (kept && Date.now() - kept.at < VIEW_MAX_AGE_MS) return kept;
  const view = { refs: await localRefs(root), worktrees: await registeredWorktrees(root), at: Date.now() };
  repoViews.set(key, view);
  return view;
}

async function ensureWorktreeNow(root: string, item: Pick<WorkItem, 'id' | 'slug'>, baseBranch?: string, from?: string): Promise<Worktree> {
  const { dir, branch } = worktreeFor(root, item);
  // Few git calls, each a process spawned by a host that may be running 30 agents: the head, the local
  // branches and the registered worktrees are read once per burst of creations (repoView), then the add.
  const view = await repoView(root);
  try {
    const { refs, worktrees: registered } = view;
    const head = refs.get('HEAD');
    if (!head) throw new GitError('The repository has no commits yet: make a first commit before starting agents.', '', null);
    // Without a base branch, the commit checked out in the repository (its HEAD means the worktree's own inside it).
    const baseRef = from && refs.has(`refs/heads/${from}`) ? from : (baseBranch ?? head);
    const baseCommit = baseRef === head ? head : refs.get(`refs/heads/${baseRef}`);
    const real = await fs.realpath(dir).catch(() => dir);
    if (registered.has(path.resolve(dir)) || registered.has(real)) {
      return { dir, branch, base: await mergeBase(dir, baseRef, head), created: false };
    }
    await fs.mkdir(path.dirname(dir), { recursive: true });
    const exists = refs.has(`refs/heads/${branch}`);
    // A new branch starts at the commit read for the burst, so `base` is exactly where it starts.
    const add = () => git(root, exists ? ['worktree', 'add', dir, branch] : ['worktree', 'add', '-b', branch, dir, baseCommit ?? baseRef]);
    // A registration left by a folder deleted by hand makes the add fail: prune it and try once more.
    await add().catch(async () => {
      await git(root, ['worktree', 'prune']);
      await add();
    });
    // A new branch starts at the base itself; an existing one shares some history with it.
    const base = !exists && baseCommit ? baseCommit : await mergeBase(dir, baseRef, head);
    if (!exists && baseCommit) refs.set(`refs/heads/${branch}`, baseCommit);
    registered.add(path.resolve(dir));
    return { dir, branch, base, created: true };
  } catch (err) {
    repoViews.delete(repoKey(root)); // what failed may have been what the view said: read it again next time
    throw err;
  }
}

/** HEAD and the local branches with their commits, from one `git show-ref` (empty before the first commit). */
async function localRefs(root: string): Promise<Map<string, string>> {
  const out = await git(root, ['show-ref', '--head', '--heads']).catch((err: unknown) => {
    // Exit 1 with nothing on stderr: there are no refs yet (no commit). Anything else is a real failure.
    if (err instanceof GitError && err.code === 1 && !err.stderr.trim()) return '';
    throw err;
  });
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.set(line.slice(sp + 1).trim(), line.slice(0, sp));
  }
  return refs;
}

async function mergeBase(dir: string, baseRef: string, fallback: string): Promise<string> {
  return (await git(dir, ['merge-base', 'HEAD', baseRef]).catch(() => fallback)).trim();
}

export async function commitsAhead(dir: string, base: string): Promise<number> {
  const out = await git(dir, ['rev-list', '--count', `${base}..HEAD`]);
  return Number(out.trim()) || 0;
}

export async function isDirty(dir: string): Promise<boolean> {
  // untracked folders count as one entry, as plain `git status` shows them, instead of being walked file by file
  const status = await withGit(dir, 'status', (g) => g.status(['--untracked-files=normal']));
  return !status.isClean();
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
