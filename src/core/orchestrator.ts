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
import { Leadership } from './pipeline/leadership';
import { PolicyRunner } from './policies/runner';
import type { PolicyContext } from './policies/types';
import { whyStopped } from './policies/stopped';
import { budgetStop } from './policies/budget';
import { AgentPool } from './agents/pool';
import { LiveHub } from './agents/liveHub';
import type { HuskiesWatcher } from './store/watcher';
import { systemClock, type Clock, type TimerHandle } from './ports/clock';
import type { Spawner } from './ports/spawner';
import { nullLogger, type Logger } from './util/log';
import { newRunId } from './util/ids';
import type { LockInfo } from './util/lock';
import { makeMasker, type Masker } from './agents/masking';
import { defaultSpawner } from './agents/launchEnv';
import type { OrchestratorOptions } from './options';
import { QaWorker } from './gates/qaWorker';
import { MergeWorker } from './git/mergeWorker';
import { MoveCommitter } from './git/moveCommitter';
import { moveCommitDeps, onTick, poolDeps, qaDeps, reloadConfig, rescan, schedulerDeps, startUp, startWatching } from './lifecycle';
import { Scheduler } from './schedule/scheduler';
import { McpService } from './mcp/service';
import { mcpDeps } from './mcp/wiring';

export type { OrchestratorOptions };

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
  readonly hub = new LiveHub(30); // live output reaches a panel within ~30 ms; each panel still gets at most ~30 messages a second
  readonly pool: AgentPool;
  readonly qa: QaWorker;
  readonly merges: MergeWorker;
  readonly moveCommits: MoveCommitter;
  readonly policies: PolicyRunner;
  readonly requests: RequestQueue;
  readonly masker: Masker;
  readonly spawner: Spawner;
  /** The MCP endpoint agents call; it listens from the first run registered on it. */
  readonly mcp: McpService;
  readonly scheduler: Scheduler;
  builtInAgents: AgentSpec[] = [];
  trusted: boolean;
  initialized = false;
  readonly leadership: Leadership;
  private refreshListeners = new Set<() => void>();
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
    this.masker = makeMasker(() => ({ env: opts.env ?? process.env, agents: this.started ? this.agents() : [] }));
    this.state = new FileStateStore(this.root, { mask: (v) => this.masker.maskDeep(v) });
    this.bus = new EventBus(this.logger);
    const audit = new AuditLog(path.join(this.huskiesDir, 'audit.log'), (s) => this.masker.mask(s));
    this.pipeline = new Pipeline(this.state, audit, this.bus, () => ({ now: this.clock.now(), logsDir: this.logsDir, newRunId }), this.logger);
    this.requests = new RequestQueue(this.huskiesDir);
    this.leadership = new Leadership(this.huskiesDir, opts.owner ?? 'huskies', this.logger);
    // Records nobody follows live stay on disk unparsed (the output panel reads them from there).
    this.spawner = opts.spawner ?? defaultSpawner(opts, this.logger, (runId) => this.hub.wants(runId));
    const request = (c: Command) => this.request(c);
    this.policies = new PolicyRunner(this.bus, this.state, () => this.policyContext(), request, this.logger);
    this.mcp = new McpService(mcpDeps(this));
    this.pool = new AgentPool({ ...poolDeps(this, request), mcp: this.mcp });
    this.qa = new QaWorker(qaDeps(this, request));
    this.merges = new MergeWorker(qaDeps(this, request));
    this.moveCommits = new MoveCommitter(moveCommitDeps(this));
    this.scheduler = new Scheduler(schedulerDeps(this));
    // timers' and triggers' tool calls go through the same dispatch as an agent's
    this.scheduler.callTool = (tool, args) => this.mcp.scheduledCall(tool, args);
  }

  /** Set when another process drives this project: this one shows it and sends it requests. */
  get follower(): LockInfo | undefined {
    return this.leadership.follower;
  }

  /** Called when what is shown changed without a change of state here (a reload of another process's writes, a config change). */
  onRefresh(listener: () => void): { dispose(): void } {
    this.refreshListeners.add(listener);
    return { dispose: () => this.refreshListeners.delete(listener) };
  }

  notifyRefresh(): void {
    for (const l of this.refreshListeners) l();
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
    return whyStopped({
      trusted: this.trusted,
      initialized: this.initialized,
      follower: this.follower,
      runAgents: this.opts.runAgents !== false,
      agentsUnavailable: this.configStore.agentsUnavailable(),
    });
  }

  policyContext(): PolicyContext {
    const now = this.clock.now();
    return {
      now,
      config: this.config,
      agents: this.agents(),
      stopped: this.stopped(),
      autoAssign: this.opts.autoAssign !== false,
      budgetStop: budgetStop(this.config, this.state, now),
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.opts.readOnly) this.moveCommits.start();
    await startUp(this);
    if (this.opts.watch !== false) this.watcher = await startWatching(this);
    this.ticker = this.clock.setInterval(() => void this.onTick(), 1000);
    this.kick();
  }

  rescan(): Promise<void> {
    return this.disposed ? Promise.resolve() : rescan(this);
  }

  reloadConfig(): Promise<void> {
    return reloadConfig(this);
  }

  /** The 1 s tick. Public so tests can drive it with a fake clock. */
  onTick(): Promise<void> {
    return this.disposed ? Promise.resolve() : onTick(this);
  }

  /** Whether this process drives the project (holds the lock and may write). */
  leads(): boolean {
    return this.initialized && !this.opts.readOnly && this.leadership.holds;
  }

  /** Idempotent: auto-assign and pump once soon. */
  kick(): void {
    if (this.disposed || !this.started || !this.leads()) return;
    this.policies.kick();
    this.pool.pump();
    this.qa.pump();
    this.merges.pump();
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
    this.scheduler.dispose();
    await this.scheduler.idle;
    await this.qa.dispose();
    await this.merges.dispose();
    await this.pool.dispose({ stopAgents: opts.stopAgents ?? true });
    await this.mcp.stop();
    await this.moveCommits.dispose();
    await this.pipeline.close();
    this.leadership.release();
    this.hub.flush();
    this.hub.dispose();
    this.bus.clear();
  }
}
