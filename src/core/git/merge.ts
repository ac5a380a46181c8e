// Lands one story on the base branch as a single squash commit: combined with the latest base in a scratch
// worktree, checked by the gates there, published by compare-and-swap, never touching a user's work.
import { promises as fs } from 'node:fs';
import { readGitIdentity } from './identity';
import { currentBranch, git } from './git';
import { publish } from './checkout';
import { KeyedMutex } from './keyedMutex';
import { withoutPipelineChanges } from './pipelineFiles';
import { changesBetween, commitOf, commitsOf, commonGitDir, countAhead, gitWith, isAncestor, treesOf } from './mergeGit';
import { SCRATCH_CONFIG, type ScratchContext, combine, mergeNames, removeScratch, withGatesIn } from './mergeWorktree';

export interface GateResult {
  ok: boolean;
  output: string;
}

/** Runs the project's checks in `dir`; it must stop when `signal` aborts. */
export type Gates = (dir: string, signal: AbortSignal) => Promise<GateResult>;

export interface MergeOptions {
  /** The repository's main working tree. */
  root: string;
  /** The story branch, `huskies/<n>_<slug>` (worktreeFor() in git.ts). */
  branch: string;
  /** The squash commit's message, used as given. */
  message: string;
  /** Default: the branch checked out in `root` when the merge starts. */
  base?: string;
  gates?: Gates;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** How many times the merge is rebuilt when the base moves under it (default 3). */
  maxAttempts?: number;
}

export type MergeResult =
  /** The base branch now ends with `commit` (and `checkout`, when given, was updated to it). */
  | { kind: 'merged'; commit: string; base: string; previous: string; filesChanged: string[]; checkout?: string }
  /** The squash commit is ready on `ref` but the base's checkout holds work it would touch; `howTo` lands it. */
  | { kind: 'merged_pending'; commit: string; base: string; previous: string; filesChanged: string[]; ref: string; howTo: string; message: string }
  | { kind: 'empty'; base: string; reason: 'no_commits' | 'no_changes'; message: string }
  /** Unresolved conflicts in `files`, left in `worktree` (and nowhere else). */
  | { kind: 'conflict'; files: string[]; worktree: string; message: string }
  | { kind: 'gate_failed'; output: string; worktree: string }
  | { kind: 'base_moving'; attempts: number; message: string }
  | { kind: 'aborted'; message: string };

export type MergeErrorCode = 'bad_input' | 'no_identity' | 'no_base' | 'no_branch';

/** A merge that cannot start: the input or the repository is not fit for it. Nothing was changed. */
export class MergeError extends Error {
  constructor(
    readonly code: MergeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Branch names git accepts that are also harmless in messages: no leading '-', no '..', no '.lock' part.
const SAFE_BASE = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock(?:\/|$))(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;

const storyLocks = new KeyedMutex();

/** Merges one story into its base branch. Throws MergeError (before changing anything) on bad input. */
export async function mergeStory(opts: MergeOptions): Promise<MergeResult> {
  const root = await fs.realpath(opts.root).catch(() => {
    throw new MergeError('bad_input', `The repository folder ${opts.root} does not exist`);
  });
  let names;
  try {
    names = mergeNames(root, opts.branch);
  } catch (err) {
    throw new MergeError('bad_input', (err as Error).message);
  }
  if (!opts.message.trim()) throw new MergeError('bad_input', `The commit message for merging ${opts.branch} is empty`);
  const [base, identity, commonDir] = await Promise.all([opts.base ?? currentBranch(root), readGitIdentity(root), commonGitDir(root)]);
  if (!base) throw new MergeError('no_base', `${root} is not on a branch: set base_branch in .huskies/project.toml`);
  if (!SAFE_BASE.test(base) || base.startsWith('huskies/')) throw new MergeError('bad_input', `"${base}" cannot be a base branch`);
  if (!identity) {
    throw new MergeError('no_identity', `git has no user.name and user.email for ${root}: set them (git config user.name "…"; git config user.email "…") before merging`);
  }
  const ctx: MergeContext = { root, names, config: SCRATCH_CONFIG, commonDir };
  const signals = [opts.signal, opts.timeoutMs !== undefined ? AbortSignal.timeout(opts.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
  const signal = AbortSignal.any(signals);
  return storyLocks.run(`${root}\0${names.key}`, () => mergeLoop(ctx, base, opts, signal));
}

interface MergeContext extends ScratchContext {
  commonDir: string;
}

async function mergeLoop(ctx: MergeContext, base: string, opts: MergeOptions, signal: AbortSignal): Promise<MergeResult> {
  const { root, names } = ctx;
  const aborted = (): MergeResult => ({ kind: 'aborted', message: `Merging ${names.storyBranch} into ${base} was stopped before it finished; ${base} is unchanged.` });
  // the story is merged as it was when the merge started
  const [storyTip, firstBaseTip] = await commitsOf(root, `refs/heads/${names.storyBranch}`, `refs/heads/${base}`);
  if (!storyTip) throw new MergeError('no_branch', `The story branch ${names.storyBranch} does not exist`);
  const attempts = Math.max(1, opts.maxAttempts ?? 3);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal.aborted) return aborted();
    const baseTip = attempt === 1 ? firstBaseTip : await commitOf(root, `refs/heads/${base}`);
    if (!baseTip) throw new MergeError('no_base', `The base branch ${base} does not exist`);
    if ((await countAhead(root, baseTip, storyTip)) === 0) {
      return { kind: 'empty', base, reason: 'no_commits', message: `${names.storyBranch} has no commits that ${base} lacks: there is nothing to merge.` };
    }
    const combined = await combine(ctx, storyTip, baseTip, base);
    if (combined.kind === 'conflict') return { kind: 'conflict', files: combined.files, worktree: names.dir, message: combined.message };
    const commit = combined.commit;
    // The squash commit's parent is baseTip: a combination without it would silently revert the base's newer work.
    if (!(await isAncestor(root, baseTip, commit))) throw new Error(`The combined commit ${commit} does not contain ${base} at ${baseTip}`);
    const [combinedTree, baseTree] = await treesOf(root, commit, baseTip);
    // the stories' files are the orchestrator's: what the branch did to them stays out of the squash
    const tree = await withoutPipelineChanges(root, commit, baseTip, combinedTree);
    if (tree === baseTree) {
      await removeScratch(ctx);
      return { kind: 'empty', base, reason: 'no_changes', message: `${names.storyBranch} changes nothing that ${base} does not already have: there is nothing to merge.` };
    }
    const marked = await filesWithConflictMarkers(root, baseTip, commit);
    if (marked.length) {
      return {
        kind: 'conflict',
        files: marked,
        worktree: names.dir,
        message: `Conflict markers were committed in ${marked.join(', ')} in ${names.dir}: remove them, commit, and merge again.`,
      };
    }
    if (signal.aborted) return aborted();
    if (opts.gates) {
      const gates = opts.gates;
      const gate = await withGatesIn(ctx, commit, (dir) => runGates(gates, dir, signal));
      if (signal.aborted) return aborted();
      if (!gate.ok) return { kind: 'gate_failed', output: gate.output, worktree: names.dir };
    }
    const squash = (await git(root, ['commit-tree', tree, '-p', baseTip, '-m', opts.message])).trim();
    const changes = await changesBetween(root, baseTip, squash);
    const reflog = `huskies: merge ${names.storyBranch}`;
    const published = await publish({ root, commonDir: ctx.commonDir, base, old: baseTip, next: squash, changes, reflog });
    if (published.kind === 'moved') continue;
    const filesChanged = changes.map((c) => c.path);
    await removeScratch(ctx);
    if (published.kind === 'advanced') return { kind: 'merged', commit: squash, base, previous: baseTip, filesChanged, checkout: published.checkout };
    await git(root, ['update-ref', '-m', `huskies: merge ${names.storyBranch}, waiting`, `refs/heads/${names.mergedBranch}`, squash]);
    const where = published.checkout ?? root;
    return {
      kind: 'merged_pending',
      commit: squash,
      base,
      previous: baseTip,
      filesChanged,
      ref: names.mergedBranch,
      howTo: `git merge --ff-only ${names.mergedBranch}`,
      message:
        `${names.storyBranch} is merged into commit ${squash.slice(0, 12)} on branch ${names.mergedBranch}, but ${base} was left as it was because ${published.reason} (${where}). ` +
        `Your files are untouched. When you are ready, run "git merge --ff-only ${names.mergedBranch}" on ${base}; if ${base} has moved on since, merge the story again instead.`,
    };
  }
  return { kind: 'base_moving', attempts, message: `${base} moved during each of ${attempts} attempts to merge ${names.storyBranch}; nothing was changed. Try again.` };
}

export { cleanupStory, containedIn, type CleanupOptions, type CleanupResult } from './storyCleanup';

async function runGates(gates: Gates, dir: string, signal: AbortSignal): Promise<GateResult> {
  try {
    return await gates(dir, signal);
  } catch (err) {
    return { ok: false, output: `The gates could not run: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const MARKER = /^\+(<{7}|>{7})(?: |$)/;

/** Files whose lines added since `from` include a conflict marker at the start of a line. */
export async function filesWithConflictMarkers(cwd: string, from: string, to: string): Promise<string[]> {
  const args = ['diff', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/', from, to, '--'];
  const out = await gitWith(cwd, { 'core.quotePath': 'false' }, args);
  const files = new Set<string>();
  let file = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('+++ ')) file = line.startsWith('+++ b/') ? line.slice(6) : line.slice(4);
    else if (MARKER.test(line)) files.add(file);
  }
  return [...files].sort();
}
