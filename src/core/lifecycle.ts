// The orchestrator's life after construction: start-up (lock, config, state, reconciliation),
// rescans of hand edits under the pipeline's lock, config reloads, the 1 s tick and the
// follower request queue. Functions over the composed parts, so orchestrator.ts only composes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Orchestrator } from './orchestrator';
import { reconcile, reconcileRun, type ReconcileDeps } from './pipeline/reconcile';
import { recoverEndings } from './policies/recover';
import { dueForArchive } from './policies/archive';
import { gatherFacts } from './agents/runFacts';
import { builtInAgents, launchContext } from './agents/launchEnv';
import type { PoolDeps } from './agents/pool';
import type { QaWorkerDeps } from './gates/qaWorker';
import type { WorkItem } from './model/workItem';
import { roleOf } from './model/run';
import { stackedOn } from './policies/waits';
import { ensureWorktree, type Worktree } from './git/git';
import { pruneAndReport, setupWorktree, teardownWorktree } from './git/worktreeLifecycle';
import { TranscriptWriter } from './agents/transcript';
import type { Command } from './model/commands';
import type { RequestResult } from './pipeline/pipeline';
import { tick } from './schedule/tick';
import type { SchedulerDeps } from './schedule/scheduler';
import type { MoveCommitterDeps } from './git/moveCommitter';
import { commitStoryFiles } from './git/workCommits';
import { exists } from './util/fsAtomic';
import { HuskiesWatcher } from './store/watcher';
import { findStuck, StuckTracker } from './policies/stuck';

/** What the pool needs from the composition: the state to read, the writer to ask, the ports. */
export function poolDeps(o: Orchestrator, request: (c: Command) => Promise<RequestResult>): PoolDeps {
  return {
    ...qaDeps(o, request),
    spawner: o.spawner,
    hub: o.hub,
    clock: o.clock,
    agents: () => o.agents(),
    launchContext: () => launchContext(o.root, o.opts),
    secrets: (agent) => o.masker.secretsFor(agent),
    graceMs: o.opts.graceMs,
    workspace: (item, run) => prepareWorktree(o, item, run.transcript),
    notice: (run, message) => {
      const w = new TranscriptWriter(run.transcript, run.lastSeq);
      try {
        w.append([{ kind: 'notice', level: 'info', message: o.masker.mask(message) }], o.clock.now());
        return w.lastSeq;
      } finally {
        w.close();
      }
    },
  };
}

/** An ending still unhandled this long after it was recorded was missed: the tick acts on it. */
const RECOVER_AFTER_MS = 5_000;

const errorText = (err: unknown) => (err as Error).message;

/** What the scheduler (timers' and triggers' actions) needs from the composition. */
export function schedulerDeps(o: Orchestrator): SchedulerDeps {
  return {
    state: o.state,
    bus: o.bus,
    request: (c) => o.request(c),
    logger: o.logger,
    agentsStopped: () => {
      const ctx = o.policyContext();
      const paused = o.state.agentState().paused;
      return ctx.stopped ?? ctx.budgetStop ?? (paused ? `the project is paused (${paused.reason})` : undefined);
    },
  };
}

/** What the committer of story moves needs: it commits only in the process that drives the project, and not during a merge. */
export function moveCommitDeps(o: Orchestrator): MoveCommitterDeps {
  return {
    bus: o.bus,
    clock: o.clock,
    logger: o.logger,
    commit: (ids) => commitStoryFiles({ root: o.root, ids, baseBranch: o.config.project.baseBranch }),
    blocked: () => {
      const why = !o.leads()
        ? 'this process does not drive the project'
        : (o.stopped() ?? (o.config.project.commitMoves ? undefined : 'commit_moves = false in .huskies/project.toml'));
      return why && `story moves are not committed: ${why}`;
    },
    // a merge publishing the base branch fast-forwards the checkout: a commit in between would make it start over
    waitFor: () => (o.state.items().some((i) => o.merges.busy(i.id)) ? 'a merge is in progress' : undefined),
  };
}

export async function startUp(o: Orchestrator): Promise<void> {
  o.initialized = await exists(path.join(o.huskiesDir, 'project.toml'));
  if (o.initialized && !o.opts.readOnly) o.leadership.take();
  o.builtInAgents = builtInAgents(o.opts);
  await o.configStore.reload();
  for (const p of [...o.configStore.getProblems(), ...o.configStore.getWarnings()]) o.logger.warn(p);
  await o.state.load();
  for (const p of [...o.state.loadProblems(), ...o.state.work.getProblems()]) o.logger.warn(p);
  if (o.leads()) {
    // Listen first: a re-attached run may end while the rest of start-up goes on, and its ending
    // must reach the policies like any other.
    o.policies.start();
    o.scheduler.start();
    o.pool.start();
    await reconcile(reconcileDeps(o));
    for (const c of recoverEndings(o.state, o.policyContext())) await o.request(c);
    await pruneWorktrees(o).catch((err) => o.logger.warn(`worktrees: ${errorText(err)}`));
    o.qa.start();
    o.merges.start();
    // Agents' calls, and sessions started by hand (huskies mcp-token), reach the orchestrator here.
    if (!o.stopped()) await o.mcp.start().catch((err) => o.logger.warn(`MCP server: ${errorText(err)}`));
  }
}

/** The story's worktree; a new one gets each component's setup first (its output in the run's transcript). */
async function prepareWorktree(o: Orchestrator, item: WorkItem, transcript: string): Promise<Worktree> {
  // A stacked story starts from its parent's branch (the parent's coder run recorded it).
  const parent = stackedOn(item, o.state);
  const from = parent !== undefined ? [...o.state.runsForStory(parent)].reverse().find((r) => r.branch && roleOf(r) === 'coder')?.branch : undefined;
  // a notice, sent after the event being delivered now (this may run inside a subscriber)
  const progress = (phase: 'start' | 'step' | 'end', more: { message?: string; ok?: boolean } = {}) =>
    queueMicrotask(() => o.bus.emit({ type: 'work.progress', kind: 'worktree', id: item.id, phase, ...more }));
  progress('start');
  let ok = false;
  try {
    const wt = await ensureWorktree(o.root, item, o.config.project.baseBranch, from);
    const components = o.config.project.components.filter((c) => c.setup.length > 0);
    if (wt.created && components.length) {
      progress('step', { message: 'running setup' });
      const r = await setupWorktree({ dir: wt.dir, components, mask: (t) => o.masker.mask(t), transcript });
      if (!r.ok) throw new Error(`the worktree's setup failed: ${r.summary}`);
    }
    ok = true;
    return wt;
  } finally {
    progress('end', { ok });
  }
}

/** Start-up: `git worktree prune`, then stale story worktrees and branches are removed when provably safe, else reported. */
async function pruneWorktrees(o: Orchestrator): Promise<void> {
  const presence = (id: number) => {
    const st = o.state.item(id)?.stage;
    return !st ? 'missing' : st === 'done' || st === 'archived' ? 'finished' : 'active';
  };
  const teardown = (dir: string) =>
    teardownWorktree({ dir, components: o.config.project.components, mask: (t) => o.masker.mask(t), transcript: path.join(o.logsDir, `teardown-${path.basename(dir)}.jsonl`) });
  const findings = await pruneAndReport(o.root, { presence, baseBranch: o.config.project.baseBranch, keepBranches: o.config.project.keepBranches, teardown });
  for (const f of findings) if (f.action !== 'kept') (f.action === 'report' ? o.logger.warn : o.logger.info)(`worktrees: ${f.message}`);
}

/** What the QA and merge workers need from the composition. */
export function qaDeps(o: Orchestrator, request: (c: Command) => Promise<RequestResult>): QaWorkerDeps {
  return {
    root: o.root,
    logsDir: o.logsDir,
    state: o.state,
    bus: o.bus,
    request,
    config: () => o.config,
    mask: (t) => o.masker.mask(t),
    now: () => o.clock.now(),
    logger: o.logger,
    stopped: () => o.stopped(),
  };
}

function reconcileDeps(o: Orchestrator): ReconcileDeps {
  return {
    state: o.state,
    spawner: o.spawner,
    request: (c) => o.request(c),
    follow: (r, h) => o.pool.follow(r, h),
    facts: (r) => gatherFacts(r, o.logsDir, { criteriaCount: o.state.item(r.storyId)?.criteria.length, criteria: o.state.item(r.storyId)?.criteria }),
    logger: o.logger,
  };
}

/**
 * Re-reads the work folders (or only the changed `paths` the watcher saw) under the pipeline's
 * lock: each change found is recorded as an external fact.
 */
export async function rescan(o: Orchestrator, paths?: readonly string[]): Promise<void> {
  if (!o.leads()) {
    await o.state.work.scan(paths).catch((err) => o.logger.error(`rescan: ${errorText(err)}`));
    o.notifyRefresh();
    return;
  }
  await o.pipeline
    .exclusive(async (apply) => {
      const { changes } = await o.state.work.scan(paths);
      for (const change of changes) await apply({ type: 'item.external', change });
    })
    .catch((err) => o.logger.error(`rescan: ${errorText(err)}`));
}

export async function reloadConfig(o: Orchestrator): Promise<void> {
  const wasInitialized = o.initialized;
  o.initialized = await exists(path.join(o.huskiesDir, 'project.toml'));
  if (o.initialized && !wasInitialized && !o.opts.readOnly) {
    o.leadership.take(); // `init` ran after start: this process may lead now
    if (o.leads()) {
      o.policies.start();
      o.scheduler.start();
      o.pool.start();
      o.qa.start();
      o.merges.start();
      if (!o.stopped()) await o.mcp.start().catch((err) => o.logger.warn(`MCP server: ${errorText(err)}`));
    }
  }
  const changed = await o.configStore.reload();
  const problems = o.configStore.getProblems();
  for (const p of [...problems, ...o.configStore.getWarnings()]) o.logger.warn(p);
  if (!problems.length && changed) o.logger.info('Configuration reloaded.');
  o.builtInAgents = builtInAgents(o.opts);
  o.notifyRefresh();
  o.kick();
}

export async function serveRequests(o: Orchestrator): Promise<void> {
  if (o.leads()) await o.requests.serve((c) => o.pipeline.request(c)).catch((err) => o.logger.error(`requests: ${errorText(err)}`));
}

const ticking = new WeakSet<Orchestrator>();

export async function onTick(o: Orchestrator): Promise<void> {
  if (ticking.has(o) || !o.leads()) return;
  ticking.add(o);
  try {
    await tick({
      state: o.state,
      now: () => o.clock.now(),
      request: (c) => o.request(c),
      owns: (id) => o.pool.owns(id),
      orphaned: (run) => reconcileRun(reconcileDeps(o), run),
      archive: (now) => dueForArchive(o.state, o.config, now),
      recover: (now) => recoverEndings(o.state, o.policyContext(), now - RECOVER_AFTER_MS),
      scheduled: (now) => o.scheduler.due(now),
    });
    await serveRequests(o);
    await raiseHelp(o);
    o.kick();
  } catch (err) {
    o.logger.error(`tick: ${errorText(err)}`);
  } finally {
    ticking.delete(o);
  }
}

const trackers = new WeakMap<Orchestrator, StuckTracker>();

/** What this process remembers of stuck work: the help requests it raised and that still stand. */
export function helpTracker(o: Orchestrator): StuckTracker {
  let t = trackers.get(o);
  if (!t) trackers.set(o, (t = new StuckTracker(o.clock.now())));
  return t;
}

/** Stuck work found on this tick becomes help requests, raised (recorded) when new, changed or due again. */
async function raiseHelp(o: Orchestrator): Promise<void> {
  const t = helpTracker(o);
  const ctx = o.policyContext();
  const size = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  const found = [...findStuck(o.state, ctx), ...t.timed(o.state, ctx, (run) => size(run.transcript))];
  for (const request of t.update(found, ctx.now)) await o.request({ type: 'control.help', request, source: 'orchestrator' });
}

/** Watches .huskies/ for hand edits, config changes, follower requests and (when following) the leader's writes. */
export async function startWatching(o: Orchestrator): Promise<HuskiesWatcher> {
  const w = new HuskiesWatcher(
    o.root,
    {
      // The watcher is disposed first on shutdown, so no batch of paths arrives after it.
      work: (paths) => void (paths ? rescan(o, paths) : o.rescan()),
      config: () => void o.reloadConfig(),
      requests: () => void serveRequests(o),
      state: () => void (o.follower ? o.state.load().then(() => o.notifyRefresh()) : undefined),
      huskiesCreated: () => void o.reloadConfig(),
    },
    o.logger,
  );
  await w.start();
  await o.rescan(); // what changed before the watcher was ready
  return w;
}
