// The composition root: builds the state store, the config, the one-writer pipeline, the
// policies, the pool, the watcher and the tick, and wires them together. It holds no policy.
import * as path from 'node:path';
import { ConfigStore, type HuskiesConfig } from './config/config';
import type { Command } from './model/commands';
import { FileStateStore } from './state/fileStateStore';
import { AuditLog } from './pipeline/audit';
import { EventBus } from './pipeline/eventBus';
import { Pipeline, type RequestResult } from './pipeline/pipeline';
import { RequestQueue } from './pipeline/requests';
import { Leadership } from './pipeline/leadership';
import { PolicyRunner } from './policies/runner';
import { Standing } from './policies/standing';
import { AgentPool } from './agents/pool';
import { LiveHub } from './agents/liveHub';
import { systemClock, type Clock } from './ports/clock';
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
import { Lifecycle } from './lifecycle';
import { moveCommitDeps, poolDeps, qaDeps, schedulerDeps } from './wiring';
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
  readonly hub = new LiveHub(30); // at most ~30 batches a second; a record after a quiet spell goes out on the next turn
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
  readonly leadership: Leadership;
  /** Trusted, initialized, the agents in use, why none may start: the policies' context. */
  readonly standing: Standing;
  readonly life: Lifecycle;
  private refreshListeners = new Set<() => void>();

  constructor(readonly opts: OrchestratorOptions) {
    this.root = path.resolve(opts.root);
    this.huskiesDir = path.join(this.root, '.huskies');
    this.logsDir = path.join(this.huskiesDir, 'logs');
    this.logger = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? systemClock;
    this.configStore = new ConfigStore(this.root, path.join(this.huskiesDir, 'config.lastgood.json'));
    this.masker = makeMasker(() => ({ env: opts.env ?? process.env, agents: this.life?.started ? this.standing.agents() : [] }));
    this.state = new FileStateStore(this.root, { mask: (v) => this.masker.maskDeep(v) });
    this.bus = new EventBus(this.logger);
    const audit = new AuditLog(path.join(this.huskiesDir, 'audit.log'), (s) => this.masker.mask(s));
    this.pipeline = new Pipeline(this.state, audit, this.bus, () => ({ now: this.clock.now(), logsDir: this.logsDir, newRunId }), this.logger);
    this.requests = new RequestQueue(this.huskiesDir);
    this.leadership = new Leadership(this.huskiesDir, opts.owner ?? 'huskies', this.logger);
    const standingDeps = { configStore: this.configStore, clock: this.clock, state: this.state, follower: () => this.follower };
    this.standing = new Standing({ ...standingDeps, runAgents: opts.runAgents !== false, autoAssign: opts.autoAssign !== false }, opts.trusted ?? true);
    // Records nobody follows live stay on disk unparsed (the output panel reads them from there).
    this.spawner = opts.spawner ?? defaultSpawner(opts, this.logger, (runId) => this.hub.wants(runId));
    const request = (c: Command) => this.request(c);
    this.policies = new PolicyRunner(this.bus, this.state, () => this.standing.policyContext(), request, this.logger);
    this.mcp = new McpService(mcpDeps(this));
    this.pool = new AgentPool({ ...poolDeps(this, request), mcp: this.mcp });
    this.qa = new QaWorker(qaDeps(this, request));
    this.merges = new MergeWorker(qaDeps(this, request));
    this.moveCommits = new MoveCommitter(moveCommitDeps(this));
    this.scheduler = new Scheduler(schedulerDeps(this));
    // timers' and triggers' tool calls go through the same dispatch as an agent's
    this.scheduler.callTool = (tool, args) => this.mcp.scheduledCall(tool, args);
    this.life = new Lifecycle(this);
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

  /** Every change of state: here, or to the leader when another process drives the project. */
  request(c: Command): Promise<RequestResult> {
    if (this.follower || this.opts.readOnly) return Promise.resolve({ ok: false, refusal: 'This process only shows the project; another one drives it.' });
    return this.pipeline.request(c);
  }

  start(): Promise<void> {
    return this.life.start();
  }

  rescan(): Promise<void> {
    return this.life.rescan();
  }

  reloadConfig(): Promise<void> {
    return this.life.reloadConfig();
  }

  /** The 1 s tick. Public so tests can drive it with a fake clock. */
  onTick(): Promise<void> {
    return this.life.onTick();
  }

  /** Whether this process drives the project (holds the lock and may write). */
  leads(): boolean {
    return this.standing.initialized && !this.opts.readOnly && this.leadership.holds;
  }

  /** Idempotent: auto-assign and pump once soon. */
  kick(): void {
    this.life.kick();
  }

  /**
   * Stops the orchestrator. stopAgents: stop every agent's process group (they resume on the
   * next start); otherwise supervised agents go on and the next host re-attaches to them.
   */
  dispose(opts: { stopAgents?: boolean } = {}): Promise<void> {
    return this.life.dispose(opts);
  }
}
