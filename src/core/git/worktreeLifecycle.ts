// A story worktree's life around git: the components' setup when it is made, their teardown before
// it goes, and a sweep of what is left under .huskies/worktrees and huskies/* that removes only what
// provably holds nothing the base branch lacks, and reports the rest.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ComponentSpec } from '../config/types';
import { componentSteps, runSteps, type RunOptions, type StepsResult } from '../gates/commandRunner';
import { currentBranch, git, isDirty } from './git';
import { commitOf, countAhead, listWorktrees, type WorktreeEntry } from './mergeGit';
import { mergeNames } from './mergeWorktree';
import { cleanupStory, containedIn } from './storyCleanup';

export interface LifecycleOptions extends RunOptions {
  /** The story's worktree; component paths are relative to it. */
  dir: string;
  components: readonly ComponentSpec[];
}

/** Runs each component's `setup` in a new worktree; the first failure ends it. Never throws. */
export function setupWorktree(opts: LifecycleOptions): Promise<StepsResult> {
  return runSteps(
    componentSteps(opts.dir, opts.components, (c) => c.setup),
    opts,
    { stopOnFailure: true, noun: 'setup command' },
  );
}

/**
 * Runs every component's `teardown` before the worktree is removed: all of them, whatever fails,
 * and failures are only reported: the removal goes ahead. Never throws.
 */
export async function teardownWorktree(opts: LifecycleOptions): Promise<StepsResult> {
  const steps = componentSteps(opts.dir, opts.components, (c) => c.teardown);
  const gone = await fs.stat(opts.dir).then(
    (s) => !s.isDirectory(),
    () => true,
  );
  if (gone && steps.length > 0) return { ok: false, results: [], summary: `the worktree ${opts.dir} is gone: ${steps.length} teardown command(s) could not run`, outputTail: '' };
  return runSteps(steps, opts, { stopOnFailure: false, noun: 'teardown command' });
}

/** Where a story stands, as the caller's store knows it: in a stage before done, done or archived, or no file at all. */
export type StoryPresence = 'active' | 'finished' | 'missing';

export interface PruneFinding {
  /** The story branch (huskies/<n>_<slug>), or the branch of a stray worktree; absent for a folder with none. */
  branch?: string;
  dir?: string;
  story?: number;
  /** Whether `dir` is a worktree git knows. */
  registered: boolean;
  /** Commits on the story's branches whose changes the base branch does not have. */
  unmergedCommits: number;
  /** kept: in use or meant to stay; removed: gone now; report: left alone, and the user should look. */
  action: 'kept' | 'removed' | 'report';
  message: string;
}

export interface PruneOptions {
  presence: (story: number) => StoryPresence | Promise<StoryPresence>;
  /** Default: the branch checked out in the repository root. */
  baseBranch?: string;
  /** Keep story branches whose changes have landed (keep_branches). */
  keepBranches?: boolean;
  /** Runs before a worktree is removed (the components' teardown); its failure does not stop the removal. */
  teardown?: (dir: string) => Promise<unknown>;
}

interface Group {
  key: string;
  dirs: string[];
  branches: string[];
}

const WORKTREES = path.join('.huskies', 'worktrees');

/**
 * Prunes git's worktree records, then goes through every folder under .huskies/worktrees and every
 * huskies/* branch. What belongs to a story that is done or gone and holds no commit the base branch
 * lacks (and no uncommitted work) is removed; the rest is kept or reported. Nothing outside
 * .huskies/worktrees and refs/heads/huskies/ is touched.
 */
export async function pruneAndReport(rootDir: string, opts: PruneOptions): Promise<PruneFinding[]> {
  const root = await fs.realpath(rootDir);
  const wtRoot = path.join(root, WORKTREES);
  await git(root, ['worktree', 'prune']);
  const worktrees = await listWorktrees(root);
  const byDir = new Map(worktrees.map((w) => [w.dir, w]));
  const findings: PruneFinding[] = [];
  const groups = new Map<string, Group>();
  const groupOf = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, dirs: [], branches: [] }));
    return g;
  };

  const entries = await fs.readdir(wtRoot, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const dir = path.join(wtRoot, e.name);
    const key = storyKey(e.name.startsWith('.merge-') ? e.name.slice('.merge-'.length) : e.name);
    if (key && e.isDirectory()) groupOf(key).dirs.push(dir);
    else findings.push(strayFolder(dir, byDir.get(dir), e.isDirectory()));
  }
  const refs = (await git(root, ['for-each-ref', '--format=%(refname)', 'refs/heads/huskies/'])).split('\n').filter(Boolean);
  for (const ref of refs) {
    const branch = ref.slice('refs/heads/'.length);
    const m = /^huskies\/(?:merging\/|merged\/)?([^/]+)$/.exec(branch);
    const key = m ? storyKey(m[1]) : undefined;
    if (key) groupOf(key).branches.push(branch);
    else findings.push({ branch, registered: false, unmergedCommits: 0, action: 'report', message: `${branch} is not a story branch: left alone.` });
  }

  const baseName = opts.baseBranch ?? (await currentBranch(root));
  const baseTip = baseName ? await commitOf(root, `refs/heads/${baseName}`) : undefined;
  for (const g of [...groups.values()].sort((a, b) => storyNumber(a.key) - storyNumber(b.key))) {
    try {
      findings.push(await sweepStory(root, g, { worktrees, baseName, baseTip, opts }));
    } catch (err) {
      const dir = path.join(wtRoot, g.key);
      findings.push({
        branch: `huskies/${g.key}`,
        ...(g.dirs.includes(dir) ? { dir } : {}),
        story: storyNumber(g.key),
        registered: byDir.has(dir),
        unmergedCommits: 0,
        action: 'report',
        message: `Story ${storyNumber(g.key)}: its worktree and branches could not be checked: ${(err as Error).message}`,
      });
    }
  }
  return findings;
}

/** `<n>_<slug>` when the name is one the story machinery makes, else undefined. */
function storyKey(name: string): string | undefined {
  try {
    return mergeNames('/', `huskies/${name}`).key;
  } catch {
    return undefined;
  }
}

const storyNumber = (key: string) => Number(key.slice(0, key.indexOf('_')));

function strayFolder(dir: string, wt: WorktreeEntry | undefined, isDir: boolean): PruneFinding {
  const branch = wt?.branch?.replace(/^refs\/heads\//, '');
  const what = wt ? 'a worktree that is not a story worktree' : isDir ? 'not a story worktree' : 'not a folder';
  return { ...(branch ? { branch } : {}), dir, registered: !!wt, unmergedCommits: 0, action: 'report', message: `${dir} is ${what}: left alone.` };
}

interface SweepContext {
  worktrees: WorktreeEntry[];
  baseName?: string;
  baseTip?: string;
  opts: PruneOptions;
}

async function sweepStory(root: string, g: Group, ctx: SweepContext): Promise<PruneFinding> {
  const id = storyNumber(g.key);
  const branch = `huskies/${g.key}`;
  const dir = path.join(root, WORKTREES, g.key);
  const hasDir = g.dirs.includes(dir);
  const registered = ctx.worktrees.some((w) => w.dir === dir);
  const base = { branch, ...(hasDir ? { dir } : {}), story: id, registered };
  const presence = await ctx.opts.presence(id);
  if (presence === 'active') return { ...base, unmergedCommits: 0, action: 'kept', message: `Story ${id} is still in the pipeline.` };
  const state = presence === 'finished' ? 'is done' : 'has no story file any more';
  if (!ctx.baseTip) return { ...base, unmergedCommits: 0, action: 'report', message: `Story ${id} ${state}, but there is no base branch to compare ${branch} with: left alone.` };

  let unmerged = 0;
  const holding: string[] = [];
  for (const b of g.branches) {
    const tip = await commitOf(root, `refs/heads/${b}`);
    if (!tip || (await containedIn(root, ctx.baseTip, tip)) === true) continue;
    const n = await countAhead(root, ctx.baseTip, tip);
    unmerged += n;
    holding.push(`${b} (${n} commit${n === 1 ? '' : 's'})`);
  }
  if (unmerged > 0) {
    return {
      ...base,
      unmergedCommits: unmerged,
      action: 'report',
      message: `Story ${id} ${state}, but ${holding.join(' and ')} ${holding.length === 1 ? 'holds' : 'hold'} changes that ${ctx.baseName} does not have: left alone. Merge them, or delete them by hand (git branch -D ${g.branches.join(' ')}).`,
    };
  }
  const elsewhere = ctx.worktrees.find((w) => w.branch && g.branches.includes(w.branch.slice('refs/heads/'.length)) && !w.dir.startsWith(path.join(root, WORKTREES) + path.sep));
  if (elsewhere) return { ...base, unmergedCommits: 0, action: 'kept', message: `Story ${id} ${state}, but its branch is checked out in ${elsewhere.dir}: left alone.` };
  if (hasDir && !registered) return unregisteredFolder(base, dir, id);
  if (registered && (await isDirty(dir)))
    return { ...base, unmergedCommits: 0, action: 'report', message: `Story ${id} ${state}, but ${dir} has uncommitted changes: left alone.` };

  if (registered && ctx.opts.teardown) await ctx.opts.teardown(dir).catch(() => undefined);
  const result = await cleanupStory({ root, ...(registered ? { worktree: dir } : {}), branch, keepBranch: ctx.opts.keepBranches, base: ctx.baseName });
  const removed = [...(result.worktreeRemoved ? [`the worktree ${dir}`] : []), ...(result.branchDeleted ? [`the branch ${branch}`] : [])];
  if (result.kept.length)
    return {
      ...base,
      unmergedCommits: 0,
      action: 'report',
      message: [`Story ${id} ${state}.`, removed.length ? `Removed ${removed.join(' and ')}.` : '', ...result.kept].filter(Boolean).join(' '),
    };
  if (removed.length)
    return { ...base, unmergedCommits: 0, action: 'removed', message: `Story ${id} ${state} and ${ctx.baseName} has all of its changes: removed ${removed.join(' and ')}.` };
  return { ...base, unmergedCommits: 0, action: 'kept', message: `Story ${id} ${state}; ${branch} is kept (keep_branches).` };
}

/** A folder with a story's name that git does not know as a worktree: removed only when empty. */
async function unregisteredFolder(base: Omit<PruneFinding, 'unmergedCommits' | 'action' | 'message'>, dir: string, id: number): Promise<PruneFinding> {
  try {
    await fs.rmdir(dir);
    return { ...base, unmergedCommits: 0, action: 'removed', message: `Story ${id}: removed the empty folder ${dir}.` };
  } catch {
    return {
      ...base,
      unmergedCommits: 0,
      action: 'report',
      message: `Story ${id}: ${dir} is not a worktree git knows, and it is not empty: left alone. Look inside, then remove it by hand.`,
    };
  }
}
