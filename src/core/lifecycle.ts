// The orchestrator's life after construction: start-up (lock, config, state, reconciliation),
// rescans of hand edits under the pipeline's lock, config reloads, the 1 s tick, the follower
// request queue, and the shutdown order. Over the composed parts, so orchestrator.ts only composes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Orchestrator } from './orchestrator';
import { reconcile, reconcileRun } from './pipeline/reconcile';
import { recoverEndings } from './policies/recover';
import { dueForArchive } from './policies/archive';
import { builtInAgents } from './agents/launchEnv';
import { pruneAndReport, teardownWorktree } from './git/worktreeLifecycle';
import { ignoreRuntimeFiles } from './git/runtimeIgnore';
import { tick } from './schedule/tick';
import { exists } from './util/fsAtomic';
import type { TimerHandle } from './ports/clock';
import { HuskiesWatcher } from './store/watcher';
import { findStuck, StuckTracker } from './policies/stuck';
import { reconcileDeps } from './wiring';

/** An ending still unhandled this long after it was recorded was missed: the tick acts on it. */
const RECOVER_AFTER_MS = 5_000;

const errorText = (err: unknown) => (err as Error).message;

export class Lifecycle {
  started = false;
  disposed = false;
  private watcher?: HuskiesWatcher;
  private ticker?: TimerHandle;
  private ticking = false;
  private tracker?: StuckTracker;

  constructor(private readonly o: Orchestrator) {}

  /** What this process remembers of stuck work: the help requests it raised and that still stand (counted from its first use). */
  get help(): StuckTracker {
    return (this.tracker ??= new StuckTracker(this.o.clock.now()));
  }

  async start(): Promise<void> {
    const o = this.o;
    if (this.started) return;
    this.started = true;
    if (!o.opts.readOnly) o.moveCommits.start();
    await this.startUp();
    if (o.opts.watch !== false) this.watcher = await this.startWatching();
    this.ticker = o.clock.setInterval(() => void this.onTick(), 1000);
    this.kick();
  }

  /** Idempotent: auto-assign and pump once soon. */
  kick(): void {
    const o = this.o;
    if (this.disposed || !this.started || !o.leads()) return;
    o.policies.kick();
    o.pool.pump();
    o.qa.pump();
    o.merges.pump();
  }

  /**
   * Stops everything, the watcher first (no batch of paths arrives after it). stopAgents: stop
   * every agent's process group (they resume on the next start); otherwise supervised agents go
   * on and the next host re-attaches to them.
   */
  async dispose(opts: { stopAgents?: boolean } = {}): Promise<void> {
    const o = this.o;
    if (this.disposed) return;
    this.disposed = true;
    this.ticker?.dispose();
    await this.watcher?.dispose();
    o.policies.dispose();
    o.scheduler.dispose();
    await o.scheduler.idle;
    await o.qa.dispose();
    await o.merges.dispose();
    await o.pool.dispose({ stopAgents: opts.stopAgents ?? true });
    await o.mcp.stop();
    await o.moveCommits.dispose();
    await o.pipeline.close();
    o.leadership.release();
    o.hub.flush();
    o.hub.dispose();
    o.bus.clear();
  }

  private async startUp(): Promise<void> {
    const o = this.o;
    o.standing.initialized = await exists(path.join(o.huskiesDir, 'project.toml'));
    if (o.standing.initialized && !o.opts.readOnly) o.leadership.take();
    o.standing.builtInAgents = builtInAgents(o.opts);
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
      await ignoreRuntimeFiles(o.root)
        .then((added) => added.length && o.logger.info(`git now ignores the orchestrator's runtime files ${added.join(', ')} (in the repository's info/exclude)`))
        .catch((err) => o.logger.warn(`could not make git ignore the orchestrator's runtime files: ${errorText(err)}`));
      await reconcile(reconcileDeps(o));
      for (const c of recoverEndings(o.state, o.standing.policyContext())) await o.request(c);
      await this.pruneWorktrees().catch((err) => o.logger.warn(`worktrees: ${errorText(err)}`));
      o.qa.start();
      o.merges.start();
      // Agents' calls, and sessions started by hand (huskies mcp-token), reach the orchestrator here.
      await this.startMcp();
    }
  }

  private async startMcp(): Promise<void> {
    if (!this.o.standing.stopped()) await this.o.mcp.start().catch((err) => this.o.logger.warn(`MCP server: ${errorText(err)}`));
  }

  /** Start-up: `git worktree prune`, then stale story worktrees and branches are removed when provably safe, else reported. */
  private async pruneWorktrees(): Promise<void> {
    const o = this.o;
    const presence = (id: number) => {
      const st = o.state.item(id)?.stage;
      return !st ? 'missing' : st === 'done' || st === 'archived' ? 'finished' : 'active';
    };
    const teardown = (dir: string) =>
      teardownWorktree({
        dir,
        components: o.config.project.components,
        mask: (t) => o.masker.mask(t),
        transcript: path.join(o.logsDir, `teardown-${path.basename(dir)}.jsonl`),
        nice: o.config.project.backgroundNice,
      });
    const findings = await pruneAndReport(o.root, { presence, baseBranch: o.config.project.baseBranch, keepBranches: o.config.project.keepBranches, teardown });
    for (const f of findings) if (f.action !== 'kept') (f.action === 'report' ? o.logger.warn : o.logger.info)(`worktrees: ${f.message}`);
  }

  /**
   * Re-reads the work folders (or only the changed `paths` the watcher saw) under the pipeline's
   * lock: each change found is recorded as an external fact.
   */
  async rescan(paths?: readonly string[]): Promise<void> {
    const o = this.o;
    if (this.disposed) return;
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

  async reloadConfig(): Promise<void> {
    const o = this.o;
    const wasInitialized = o.standing.initialized;
    o.standing.initialized = await exists(path.join(o.huskiesDir, 'project.toml'));
    if (o.standing.initialized && !wasInitialized && !o.opts.readOnly) {
      o.leadership.take(); // `init` ran after start: this process may lead now
      if (o.leads()) {
        o.policies.start();
        o.scheduler.start();
        o.pool.start();
        o.qa.start();
        o.merges.start();
        await this.startMcp();
      }
    }
    const changed = await o.configStore.reload();
    const problems = o.configStore.getProblems();
    for (const p of [...problems, ...o.configStore.getWarnings()]) o.logger.warn(p);
    if (!problems.length && changed) o.logger.info('Configuration reloaded.');
    o.standing.builtInAgents = builtInAgents(o.opts);
    o.notifyRefresh();
    this.kick();
  }

  private async serveRequests(): Promise<void> {
    const o = this.o;
    if (o.leads()) await o.requests.serve((c) => o.pipeline.request(c)).catch((err) => o.logger.error(`requests: ${errorText(err)}`));
  }

  /** The 1 s tick. */
  async onTick(): Promise<void> {
    const o = this.o;
    if (this.disposed || this.ticking || !o.leads()) return;
    this.ticking = true;
    try {
      await tick({
        state: o.state,
        now: () => o.clock.now(),
        request: (c) => o.request(c),
        owns: (id) => o.pool.owns(id),
        orphaned: (run) => reconcileRun(reconcileDeps(o), run),
        archive: (now) => dueForArchive(o.state, o.config, now),
        recover: (now) => recoverEndings(o.state, o.standing.policyContext(), now - RECOVER_AFTER_MS),
        scheduled: (now) => o.scheduler.due(now),
      });
      await this.serveRequests();
      await this.raiseHelp();
      this.kick();
    } catch (err) {
      o.logger.error(`tick: ${errorText(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Stuck work found on this tick becomes help requests, raised (recorded) when new, changed or due again. */
  private async raiseHelp(): Promise<void> {
    const o = this.o;
    const ctx = o.standing.policyContext();
    const size = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    const found = [...findStuck(o.state, ctx), ...this.help.timed(o.state, ctx, (run) => size(run.transcript))];
    for (const request of this.help.update(found, ctx.now)) await o.request({ type: 'control.help', request, source: 'orchestrator' });
  }

  /** Watches .huskies/ for hand edits, config changes, follower requests and (when following) the leader's writes. */
  private async startWatching(): Promise<HuskiesWatcher> {
    const o = this.o;
    const w = new HuskiesWatcher(
      o.root,
      {
        work: (paths) => void this.rescan(paths),
        config: () => void this.reloadConfig(),
        requests: () => void this.serveRequests(),
        state: () => void (o.follower ? o.state.load().then(() => o.notifyRefresh()) : undefined),
        huskiesCreated: () => void this.reloadConfig(),
      },
      o.logger,
    );
    await w.start();
    await this.rescan(); // what changed before the watcher was ready
    return w;
  }
}
