// The composition root: builds the state store, the config, the one-writer pipeline, the
// policies, the pool, the watcher and the tick, and wires them together. It holds no policy.
import * as path from 'node:path';
import { ConfigStore, type AgentSpec, type HuskiesConfig } from './config/config';
import type { Command } from './model/commands';
import { FileStateStore } from './state/fileStateStore';
import { AuditLog } from './pipeline/audit';
import { EventBus } from './pipeline/eventBus';
import { Pipeline, type RequestResult } from './pipeline/pipeline';
import { RequestQueue } from './pipeline/requests';
import { reconcile, reconcileRun, unhandledEndings } from './pipeline/reconcile';
import { PolicyRunner } from './policies/runner';
import { runEndings } from './policies/runEndings';
import type { PolicyContext } from './policies/types';
import { budgetStop } from './policies/budget';
import { AgentPool } from './agents/pool';
import { LiveHub } from './agents/liveHub';
import { gatherFacts } from './agents/runFacts';
import { HuskiesWatcher } from './store/watcher';
import { tick } from './schedule/tick';
import { systemClock, type Clock, type TimerHandle } from './ports/clock';
import type { Spawner } from './ports/spawner';
import { nullLogger, type Logger } from './util/log';
import { newRunId } from './util/ids';
import { acquireLock, type LockInfo } from './util/lock';
import { exists } from './util/fsAtomic';
import { makeMasker, type Masker } from './agents/masking';
import { builtInAgents, defaultSpawner, launchContext, type LaunchEnv } from './agents/launchEnv';

export interface OrchestratorOptions extends LaunchEnv {
  root: string;
  logger?: Logger;
  clock?: Clock;
  /** Untrusted workspaces never run agents. */
  trusted?: boolean;
  /** Watch .huskies/ for changes made by hand (default true). */
  watch?: boolean;
  /** Start queued and current work automatically (default true). */
  autoAssign?: boolean;
  /** Never take the lock or write: only read and show (`huskies status`). */
  readOnly?: boolean;
  /** Grace between TERM and KILL when stopping a run. */
  graceMs?: number;
  /** Who is running it, for the lock file: "vscode" or "cli". */
  owner?: string;
  /** How agent programs are started (default: under a supervisor that outlives the host). */
  spawner?: Spawner;
}

export class Orchestrator {
  readonly root: string;
  readonly huskiesDir: string;
  readonly logsDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly state: FileStateStore;
  readonly configStore: ConfigStore;
  readonly bus: EventBus;
  readonly pipeline: Pipeline;
  readonly hub = new LiveHub(100);
  readonly pool: AgentPool;
  readonly policies: PolicyRunner;
  readonly requests: RequestQueue;
  readonly masker: Masker;
  readonly spawner: Spawner;
  builtInAgents: AgentSpec[] = [];
  trusted: boolean;
  initialized = false;
  /** Set when another process drives this project: this one shows it and sends it requests. */
  follower?: LockInfo;
  private lock?: { release(): void };
  private watcher?: HuskiesWatcher;
  private ticker?: TimerHandle;
  private started = false;
  private disposed = false;

  constructor(readonly opts: OrchestratorOptions) {
    this.root = path.resolve(opts.root);
    this.huskiesDir = path.join(this.root, '.huskies');
    this.logsDir = path.join(this.huskiesDir, 'logs');
    this.logger = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? systemClock;
    this.trusted = opts.trusted ?? true;
    this.configStore = new ConfigStore(this.root, path.join(this.huskiesDir, 'config.lastgood.json'));
    this.masker = makeMasker(() => this.secretSources());
    this.state = new FileStateStore(this.root, { mask: (v) => this.masker.maskDeep(v) });
    this.bus = new EventBus(this.logger);
    const audit = new AuditLog(path.join(this.huskiesDir, 'audit.log'), (s) => this.masker.mask(s));
    this.pipeline = new Pipeline(this.state, audit, this.bus, () => ({ now: this.clock.now(), logsDir: this.logsDir, newRunId }), this.logger);
    this.requests = new RequestQueue(this.huskiesDir);
    this.spawner = opts.spawner ?? defaultSpawner(opts, this.logger);
    const request = (c: Command) => this.request(c);
    this.policies = new PolicyRunner(this.bus, this.state, () => this.policyContext(), request, this.logger);
    this.pool = new AgentPool({
      root: this.root,
      logsDir: this.logsDir,
      state: this.state,
      bus: this.bus,
      request,
      spawner: this.spawner,
      hub: this.hub,
      clock: this.clock,
      logger: this.logger,
      config: () => this.config,
      agents: () => this.agents(),
      launchContext: () => this.launchContext(),
      secrets: (agent) => this.masker.secretsFor(agent),
      stopped: () => this.stopped(),
      graceMs: opts.graceMs,
    });
  }

  get config(): HuskiesConfig {
    return this.configStore.config;
  }

  /** The configured agents, or the built-in default when agents.toml defines none. */
  agents(): AgentSpec[] {
    // While agents.toml is broken with no good version, nothing falls back to the built-in agent.
    return this.config.agents.length || this.configStore.agentsUnavailable() ? this.config.agents : this.builtInAgents;
  }

  /** Every change of state: here, or to the leader when another process drives the project. */
  request(c: Command): Promise<RequestResult> {
    if (this.follower || this.opts.readOnly) return Promise.resolve({ ok: false, refusal: 'This process only shows the project; another one drives it.' });
    return this.pipeline.request(c);
  }

  /** Why no agent may start now. */
  stopped(): string | undefined {
    if (!this.trusted) return 'The workspace is not trusted: agents are disabled.';
    if (!this.initialized) return 'This folder has no Huskies project yet.';
    if (this.follower) return `Another Huskies orchestrator (pid ${this.follower.pid}, ${this.follower.by}) drives this project.`;
    const unusable = this.configStore.agentsUnavailable();
    if (unusable) return unusable;
    return undefined;
  }

  policyContext(): PolicyContext {
    const now = this.clock.now();
    return { now, config: this.config, agents: this.agents(), stopped: this.stopped(), autoAssign: this.opts.autoAssign !== false, budgetStop: budgetStop(this.config, this.state, now) };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.initialized = await exists(path.join(this.huskiesDir, 'project.toml'));
    if (this.initialized && !this.opts.readOnly) this.takeLock();
    this.builtInAgents = await this.builtIns();
    await this.configStore.reload();
    for (const p of [...this.configStore.getProblems(), ...this.configStore.getWarnings()]) this.logger.warn(p);
    await this.state.load();
    for (const p of [...this.state.loadProblems(), ...this.state.work.getConflicts()]) this.logger.warn(p);
    if (this.leads()) {
      await this.reconcileAll();
      this.policies.start();
      this.pool.start();
    }
    if (this.opts.watch !== false) {
      this.watcher = new HuskiesWatcher(this.root, {
        work: () => void this.rescan(),
        config: () => void this.reloadConfig(),
        requests: () => void this.serveRequests(),
        state: () => void (this.follower ? this.state.load().then(() => this.bus.emit({ type: 'agent.limitsExpired', keys: [] })) : undefined),
        huskiesCreated: () => void this.reloadConfig(),
      }, this.logger);
      await this.watcher.start();
      await this.rescan(); // what changed before the watcher was ready
    }
    this.ticker = this.clock.setInterval(() => void this.onTick(), 1000);
    this.kick();
  }

  /** Whether this process drives the project (holds the lock and may write). */
  leads(): boolean {
    return this.initialized && !this.follower && !this.opts.readOnly && !!this.lock;
  }

  private async reconcileAll(): Promise<void> {
    const deps = this.reconcileDeps();
    await reconcile(deps);
    const ctx = this.policyContext();
    for (const run of unhandledEndings(this.state)) {
      const last = run.outcome ?? 'failed';
      for (const c of runEndings({ type: 'run.ended', run, outcome: { ok: run.status === 'succeeded', kind: last, reason: run.reason, retryAt: run.retryAt }, facts: {} }, this.state, ctx)) await this.request(c);
    }
  }

  private reconcileDeps() {
    return { state: this.state, spawner: this.spawner, request: (c: Command) => this.request(c), follow: this.pool.follow.bind(this.pool), facts: (r: { worktree?: string; baseCommit?: string; runId: string }) => gatherFacts(r, this.logsDir), logger: this.logger };
  }

  private takeLock(): void {
    if (this.lock || this.disposed) return;
    const got = acquireLock(this.huskiesDir, this.opts.owner ?? 'huskies');
    if (got.ok) {
      this.lock = got;
      this.follower = undefined;
    } else {
      this.follower = got.holder;
      this.logger.info(`Another Huskies orchestrator (pid ${got.holder.pid}, ${got.holder.by}) drives this project; this one shows it and sends it requests.`);
    }
  }

  /** Re-reads the work folders under the pipeline's lock: each change found is recorded as an external fact. */
  async rescan(): Promise<void> {
    if (this.disposed) return;
    if (!this.leads()) {
      await this.state.work.scan().catch((err) => this.logger.error(`rescan: ${(err as Error).message}`));
      this.bus.emit({ type: 'agent.limitsExpired', keys: [] });
      return;
    }
    await this.pipeline
      .exclusive(async (apply) => {
        const { changes } = await this.state.work.scan();
        for (const change of changes) await apply({ type: 'item.external', change });
      })
      .catch((err) => this.logger.error(`rescan: ${(err as Error).message}`));
  }

  async reloadConfig(): Promise<void> {
    const wasInitialized = this.initialized;
    this.initialized = await exists(path.join(this.huskiesDir, 'project.toml'));
    if (this.initialized && !wasInitialized && !this.opts.readOnly) {
      this.takeLock();
      if (this.leads()) {
        this.policies.start();
        this.pool.start();
      }
    }
    const changed = await this.configStore.reload();
    const problems = this.configStore.getProblems();
    for (const p of [...problems, ...this.configStore.getWarnings()]) this.logger.warn(p);
    if (!problems.length && changed) this.logger.info('Configuration reloaded.');
    this.builtInAgents = await this.builtIns();
    this.bus.emit({ type: 'agent.limitsExpired', keys: [] }); // tells the board and the pool that something changed
    this.kick();
  }

  private async builtIns(): Promise<AgentSpec[]> {
    return builtInAgents(this.opts);
  }

  private async serveRequests(): Promise<void> {
    if (this.leads()) await this.requests.serve((c) => this.pipeline.request(c)).catch((err) => this.logger.error(`requests: ${(err as Error).message}`));
  }

  /** Idempotent: auto-assign and pump once soon. */
  kick(): void {
    if (this.disposed || !this.started || !this.leads()) return;
    this.policies.kick();
    this.pool.pump();
  }

  private ticking = false;
  /** The 1 s tick. Public so tests can drive it with a fake clock. */
  async onTick(): Promise<void> {
    if (this.ticking || this.disposed || !this.leads()) return;
    this.ticking = true;
    try {
      await tick({ state: this.state, now: () => this.clock.now(), request: (c) => this.request(c), owns: (id) => this.pool.owns(id), orphaned: (run) => reconcileRun(this.reconcileDeps(), run) });
      await this.serveRequests();
      this.kick();
    } catch (err) {
      this.logger.error(`tick: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private secretSources(): { env: NodeJS.ProcessEnv; agents: AgentSpec[] } {
    return { env: this.opts.env ?? process.env, agents: this.started ? this.agents() : [] };
  }

  private launchContext() {
    return launchContext(this.root, this.opts);
  }

  /**
   * Stops the orchestrator. stopAgents: stop every agent's process group (they resume on the
   * next start); otherwise supervised agents go on and the next host re-attaches to them.
   */
  async dispose(opts: { stopAgents?: boolean } = {}): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.ticker?.dispose();
    await this.watcher?.dispose();
    this.policies.dispose();
    await this.pool.dispose({ stopAgents: opts.stopAgents ?? true });
    await this.pipeline.close();
    this.lock?.release();
    this.hub.flush();
    this.hub.dispose();
    this.bus.clear();
  }
}
