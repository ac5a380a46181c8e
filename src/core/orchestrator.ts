// The composition root: builds the store, config, pipeline rules, pool, watcher and tick,
// and turns everything that happens (a file moved by hand, a command, an agent that exits,
// a timer) into transitions. start() / dispose().
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { ConfigStore, type AgentSpec, type HuskiesConfig } from './config/config';
import type { RunOutcome } from './model/agentMessage';
import type { Stage } from './model/stage';
import type { WorkItem } from './model/workItem';
import { WorkStore, type StoreChange } from './store/workStore';
import { AuditLog } from './pipeline/audit';
import { canStartAgent, checkTransition, targetOf, type TransitionKind } from './pipeline/stageRules';
import { AgentPool } from './agents/pool';
import { LiveHub, type LiveListener } from './agents/liveHub';
import { RunRegistry, type RunRecord } from './agents/runRegistry';
import { signalGroup, systemClock, type Clock } from './agents/agentProcess';
import { renderTemplate, which } from './agents/runtimes';
import { readAfter, readBefore } from './agents/transcript';
import { commitsAhead, isDirty } from './git/git';
import { newRunId } from './util/ids';
import { nullLogger, type Logger } from './util/log';
import { exists } from './util/fsAtomic';
import { TimerStore, type Timer } from './schedule/timers';
import { AgentState, type Drain, type RateLimit } from './agents/agentState';
import { UsageLog, type Totals } from './agents/usageLog';
import { preflight, type Preflight } from './agents/preflight';
import { acquireLock, type LockInfo } from './util/lock';

export interface OrchestratorOptions {
  root: string;
  /** dist/sim-agent.js */
  simAgentPath: string;
  /** Node binary for the sim agent; defaults to this process's. */
  nodePath?: string;
  logger?: Logger;
  clock?: Clock;
  /** Override programs by runtime, e.g. { claude: '/opt/claude' } from a setting. */
  programOverride?: Partial<Record<string, string>>;
  env?: NodeJS.ProcessEnv;
  /** Untrusted workspaces never run agents. */
  trusted?: boolean;
  /** Watch .huskies/ for changes made by hand (default true). */
  watch?: boolean;
  /** Start queued and current work automatically (default true). */
  autoAssign?: boolean;
  /** Grace between TERM and KILL when stopping a run. */
  graceMs?: number;
  /** Who is running it, for the lock file: "vscode" or "cli". */
  owner?: string;
}

export interface TransitionEvent {
  id: number;
  from: Stage | null;
  to: Stage | null;
  source: string;
  reason?: string;
}

export interface Snapshot {
  root: string;
  initialized: boolean;
  items: WorkItem[];
  runs: RunRecord[];
  latestRun: Map<number, RunRecord>;
  running: number;
  queued: number;
  maxCoders: number;
  problems: string[];
  agents: AgentSpec[];
  trusted: boolean;
  timers: Timer[];
  rateLimits: Record<string, RateLimit>;
  drained: Record<string, Drain>;
  preflight: Preflight[];
  costByStory: Map<number, Totals>;
  costByAgent: Map<string, Totals>;
  spentToday: number;
  /** Why new agents are not starting, when they are not (budget reached, not trusted…). */
  paused?: string;
}

const QUESTION_FILE = '.huskies-question.json';

const DEFAULT_PROMPT = `You are a coding agent working on story {{story_id}} ("{{story_name}}") of this repository.
Your working directory is a git worktree on branch {{branch}}; stay in it, do not switch branches and do not push.
Implement the story, keep the tests passing, tick the acceptance criteria you meet in the story text, and commit your work with git before you finish.
If you cannot go on without an answer from the user, write {"question": "..."} to .huskies-question.json in the worktree root and stop.

{{story}}{{history}}`;

/** startAgent in a follower: the story was moved to current, and the process that drives the project starts it. */
export class FollowerError extends Error {
  constructor(readonly storyId: number, readonly holder: LockInfo) {
    super(`Story ${storyId} is in 2_current; the Huskies orchestrator running as pid ${holder.pid} (${holder.by}) starts its agent.`);
  }
}

/** The program says the session to resume does not exist. */
function isLostSession(reason: string | undefined): boolean {
  return !!reason && /No previous sessions found|Error resuming session|No conversation found|session (?:id )?.*not found|thread .*not found/i.test(reason);
}

/** Reads and removes the question file an agent left in its worktree. */
async function takeQuestion(worktree: string, keep: string): Promise<string | undefined> {
  const file = path.join(worktree, QUESTION_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  await fs.promises.mkdir(path.dirname(keep), { recursive: true });
  await fs.promises.rename(file, keep).catch(() => fs.promises.rm(file, { force: true }));
  try {
    const j = JSON.parse(text) as { question?: unknown };
    if (typeof j.question === 'string' && j.question.trim()) return j.question.trim().slice(0, 2000);
  } catch {
    /* not JSON: take the text itself */
  }
  return text.trim().slice(0, 2000) || undefined;
}

export class Orchestrator extends EventEmitter {
  readonly root: string;
  readonly store: WorkStore;
  readonly configStore: ConfigStore;
  readonly registry: RunRegistry;
  readonly hub = new LiveHub(100);
  readonly pool: AgentPool;
  readonly timers: TimerStore;
  readonly agentState: AgentState;
  readonly usage: UsageLog;
  private preflights: Preflight[] = [];
  private pendingWork = new Set<Promise<void>>();
  private starting = new Set<number>();
  private audit: AuditLog;
  private logger: Logger;
  private clock: Clock;
  private watcher?: FSWatcher;
  private rootWatcher?: FSWatcher;
  private tick?: NodeJS.Timeout;
  private rescanTimer?: NodeJS.Timeout;
  private scanning: Promise<void> = Promise.resolve();
  private builtInAgents: AgentSpec[] = [];
  private initialized = false;
  private started = false;
  private disposed = false;
  private trusted: boolean;
  private lock?: { release(): void };
  /** Set when another process drives this project: this one only shows it and hands it work through the files. */
  follower?: LockInfo;

  constructor(private readonly opts: OrchestratorOptions) {
    super();
    this.setMaxListeners(50);
    this.root = path.resolve(opts.root);
    this.logger = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? systemClock;
    this.trusted = opts.trusted ?? true;
    this.store = new WorkStore(this.root);
    this.configStore = new ConfigStore(this.root);
    this.registry = new RunRegistry(path.join(this.store.huskiesDir, 'runs.json'));
    this.audit = new AuditLog(path.join(this.store.huskiesDir, 'audit.log'));
    this.timers = new TimerStore(path.join(this.store.huskiesDir, 'timers.json'));
    this.agentState = new AgentState(path.join(this.store.huskiesDir, 'agents_state.json'));
    this.usage = new UsageLog(path.join(this.store.huskiesDir, 'token_usage.jsonl'));
    this.pool = new AgentPool({
      root: this.root,
      registry: this.registry,
      hub: this.hub,
      clock: this.clock,
      logger: this.logger,
      config: () => this.config,
      agents: () => this.agents(),
      item: (id) => this.store.get(id),
      launchContext: () => ({
        simAgentPath: this.opts.simAgentPath,
        nodePath: this.opts.nodePath ?? process.execPath,
        programOverride: this.opts.programOverride as never,
        baseEnv: this.opts.env ?? process.env,
        isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
      }),
      prompt: (item, agent, run, worktree) => this.prompt(item, agent, run, worktree),
      unavailable: (agent) => this.unavailable(agent),
      onRunChanged: (run) => this.changed(run.storyId),
      onRunEnded: (run, outcome) => {
        // dispose() waits for this work, so nothing is written after the orchestrator is gone.
        const p = this.onRunEnded(run, outcome).finally(() => this.pendingWork.delete(p));
        this.pendingWork.add(p);
      },
      limits: (agent) => ({
        timeoutMs: agent.timeout ? agent.timeout * 1000 : undefined,
        inactivityMs: agent.inactivityTimeout ? agent.inactivityTimeout * 1000 : undefined,
        graceMs: this.opts.graceMs,
      }),
    });
  }

  get config(): HuskiesConfig {
    return this.configStore.config;
  }

  isInitialized(): boolean {
    return this.initialized;
  }

  setTrusted(trusted: boolean): void {
    this.trusted = trusted;
    this.changed();
    if (trusted) this.kick();
  }

  /** The configured agents, or the built-in default when agents.toml defines none. */
  agents(): AgentSpec[] {
    return this.config.agents.length ? this.config.agents : this.builtInAgents;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.initialized = await exists(path.join(this.store.huskiesDir, 'project.toml'));
    if (this.initialized) this.takeLock();
    const claude = which(this.opts.programOverride?.claude ?? 'claude', this.opts.env ?? process.env);
    this.builtInAgents = [{ name: 'coder-1', stage: 'coder', runtime: claude ? 'claude' : 'sim', args: [], env: {}, builtIn: true, ...(claude && this.opts.programOverride?.claude ? { program: claude } : {}) }];
    await this.configStore.reload();
    for (const p of this.configStore.getProblems()) this.logger.warn(p);
    this.registry.load();
    this.timers.load();
    this.agentState.load();
    this.usage.load();
    void this.runPreflight();
    await this.store.scan();
    for (const c of this.store.getConflicts()) this.logger.warn(c);
    if (!this.follower) await this.reconcile();
    if (this.opts.watch !== false) await this.startWatcher();
    this.tick = setInterval(() => void this.onTick(), 1000);
    this.tick.unref?.();
    this.changed();
    this.kick();
  }

  /** Runs recorded as running whose process is gone (the host stopped): end them and requeue. */
  private async reconcile(): Promise<void> {
    for (const run of this.registry.active()) {
      if (run.status === 'queued') continue;
      if (run.pid && signalGroup(run.pid, 0)) signalGroup(run.pid, 'SIGKILL'); // we own its group; nobody reads its output any more
      run.status = 'failed';
      run.outcome = 'orphaned';
      run.reason = 'the orchestrator stopped while this run was going; it is resumed automatically';
      run.endedAt = this.clock.now();
      run.pid = undefined;
      this.registry.upsert(run);
      this.logger.warn(`Run ${run.runId} on story ${run.storyId} was orphaned; it will be resumed.`);
    }
    await this.registry.saveNow();
  }

  private async startWatcher(): Promise<void> {
    const w = watch([this.store.workDir, path.join(this.store.huskiesDir, 'project.toml'), path.join(this.store.huskiesDir, 'agents.toml')], {
      ignoreInitial: true,
      depth: 2,
      ignored: (p: string) => /(^|[/\\])\.[^/\\]*\.tmp$|\.swp$|~$/.test(p),
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    w.on('all', (_ev, p) => {
      if (p.endsWith('.toml')) void this.reloadConfig();
      else this.scheduleRescan();
    });
    w.on('error', (err) => this.logger.warn(`watcher: ${(err as Error).message}`));
    // A folder created after start (e.g. by init) is picked up by watching .huskies itself.
    this.watcher = w;
    const hw = watch(this.root, { ignoreInitial: true, depth: 0 });
    hw.on('addDir', (p) => {
      if (path.basename(p) === '.huskies') void this.onHuskiesCreated();
    });
    this.rootWatcher = hw;
    // Changes made before the watchers are ready would be missed: wait, then rescan once.
    await Promise.all([new Promise<void>((r) => w.once('ready', () => r())), new Promise<void>((r) => hw.once('ready', () => r()))]);
    await this.rescan();
  }

  private takeLock(): void {
    if (this.lock || this.disposed) return;
    const got = acquireLock(this.store.huskiesDir, this.opts.owner ?? 'huskies');
    if (got.ok) {
      this.lock = got;
      this.follower = undefined;
    } else {
      this.follower = got.holder;
      this.logger.warn(`Another Huskies orchestrator (pid ${got.holder.pid}, ${got.holder.by}) drives this project; this one shows it and hands it work through the files.`);
    }
  }

  private async onHuskiesCreated(): Promise<void> {
    this.initialized = await exists(path.join(this.store.huskiesDir, 'project.toml'));
    if (this.initialized) this.takeLock();
    await this.reloadConfig();
    this.scheduleRescan();
  }

  async reloadConfig(): Promise<void> {
    const changed = await this.configStore.reload();
    const problems = this.configStore.getProblems();
    if (problems.length) for (const p of problems) this.logger.warn(p);
    else if (changed) this.logger.info('Configuration reloaded.');
    this.initialized = await exists(path.join(this.store.huskiesDir, 'project.toml'));
    if (this.initialized) this.takeLock();
    this.changed();
    this.kick();
  }

  scheduleRescan(delayMs = 60): void {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      void this.rescan();
    }, delayMs);
  }

  /** Re-reads the work folders; moves found here that the orchestrator did not make were made by hand. */
  rescan(): Promise<void> {
    this.scanning = this.scanning.then(async () => {
      const { changes } = await this.store.scan();
      if (changes.length) this.applyExternal(changes);
    }).catch((err) => this.logger.error(`rescan: ${(err as Error).message}`));
    return this.scanning;
  }

  private applyExternal(changes: StoreChange[]): void {
    for (const c of changes) {
      if (c.kind === 'moved') this.record({ id: c.item.id, from: c.from, to: c.item.stage, source: 'external' });
      else if (c.kind === 'added') this.record({ id: c.item.id, from: null, to: c.item.stage, source: 'external' });
      else if (c.kind === 'removed') this.record({ id: c.item.id, from: c.item.stage, to: null, source: 'external' });
      if (c.kind === 'moved' || c.kind === 'removed') {
        // A story moved out of coding by hand takes its agent with it.
        const run = this.registry.latest(c.item.id);
        if (run && (run.status === 'running' || run.status === 'queued') && (c.kind === 'removed' || c.item.stage !== 'current')) {
          this.pool.stop(run.runId, 'cancelled', `the story was moved to ${c.kind === 'removed' ? 'nowhere (deleted)' : c.item.stage} by hand`);
        }
      }
    }
    for (const c of this.store.getConflicts()) this.logger.warn(c);
    this.changed();
    this.kick();
  }

  private record(e: TransitionEvent): void {
    this.audit.append(e, this.clock.now());
    this.logger.info(`#${e.id} ${e.from ?? '∅'} → ${e.to ?? '∅'} (${e.source})${e.reason ? `: ${e.reason}` : ''}`);
    this.emit('transition', e);
  }

  /** A transition requested by the orchestrator, a command or a user: checked against the stage rules. */
  async transition(id: number, kind: TransitionKind, reason?: string, source = 'orchestrator'): Promise<WorkItem> {
    await this.scanning;
    const item = this.store.get(id);
    if (!item) throw new Error(`There is no story ${id}.`);
    const refusal = checkTransition(item, kind);
    if (refusal) throw new Error(refusal);
    const from = item.stage;
    const moved = await this.store.move(id, targetOf(kind));
    this.record({ id, from, to: moved.stage, source: `${source}:${kind}`, reason });
    this.changed(id);
    return moved;
  }

  // ---- agents ----

  /** Why an agent may not take work now: drained or rate-limited. */
  unavailable(agent: AgentSpec): string | undefined {
    const d = this.agentState.drained(agent.name);
    if (d) return `${agent.name} is drained after ${d.failures} failures in a row (last: ${d.reason}); acknowledge it to give it work again`;
    const rl = this.agentState.rateLimit(agent, this.clock.now());
    if (rl) return `${agent.name} is rate-limited until ${new Date(rl.until).toISOString()}: ${rl.reason}`;
    return undefined;
  }

  /** Checks every agent's program and login; results are shown on the board and by `huskies status`. */
  async runPreflight(): Promise<Preflight[]> {
    const env = this.opts.env ?? process.env;
    this.preflights = await Promise.all(this.agents().map((a) => preflight(a, { env, simAgentPath: this.opts.simAgentPath, programOverride: this.opts.programOverride })));
    for (const p of this.preflights) if (!p.ok) this.logger.warn(`preflight ${p.agent}: ${p.message}`);
    this.changed();
    return this.preflights;
  }

  /** Set when the daily project budget is spent: new starts wait until the next UTC day. */
  budgetStop(): string | undefined {
    const budget = this.config.project.dailyBudgetUsd;
    if (!budget) return undefined;
    const today = new Date(this.clock.now()).toISOString().slice(0, 10);
    const spent = this.usage.spentOn(today);
    if (spent < budget) return undefined;
    return `The daily budget of $${budget.toFixed(2)} is spent ($${spent.toFixed(2)} today): no new agents start until tomorrow (UTC), or raise daily_budget_usd in .huskies/project.toml.`;
  }

  /** Starts an agent on a story: backlog stories move to current first. */
  async startAgent(id: number, opts: { agent?: string; prompt?: string } = {}): Promise<RunRecord> {
    if (!this.trusted) throw new Error('This workspace is not trusted: Huskies runs no agents here. Trust the workspace to start agents.');
    if (!this.initialized) throw new Error('This folder has no Huskies project yet: run "Huskies: Initialize Project" (or `huskies init`).');
    await this.scanning;
    let item = this.store.get(id);
    if (!item) {
      await this.rescan(); // written a moment ago, before the watcher said so
      item = this.store.get(id);
    }
    if (!item) throw new Error(`There is no story ${id}.`);
    const active = this.activeRun(id);
    if (active) throw new Error(`Story ${id} already has an agent ${active.status === 'queued' ? 'queued' : 'running'} (${active.agent || 'unassigned'}).`);
    const why = canStartAgent(item, this.store.itemsById());
    if (why) throw new Error(why);
    if (opts.agent && !this.agents().some((a) => a.name === opts.agent)) throw new Error(`There is no agent named "${opts.agent}" in .huskies/agents.toml.`);
    const stop = this.budgetStop();
    if (stop) throw new Error(stop);
    await this.timers.removeForStory(id);
    // While this start is under way (the move to current is async), auto-assign leaves the story alone:
    // one story never gets two agents.
    this.starting.add(id);
    try {
      if (item.stage === 'backlog') item = await this.transition(id, 'start', 'agent started');
      if (this.follower) throw new FollowerError(id, this.follower);
      const already = this.activeRun(id);
      if (already) return already;
      const prev = this.registry.latest(id);
      return this.enqueue(item, { agent: opts.agent, prompt: opts.prompt, attempt: 1, sessionId: undefined, history: prev?.status === 'failed' ? prev.history : undefined });
    } finally {
      this.starting.delete(id);
    }
  }

  private enqueue(item: WorkItem, o: { agent?: string; prompt?: string; attempt: number; sessionId?: string; history?: string[] }): RunRecord {
    const now = this.clock.now();
    const runId = newRunId(item.id, now);
    const run: RunRecord = {
      runId,
      storyId: item.id,
      agent: o.agent ?? '',
      runtime: '',
      status: 'queued',
      queuedAt: now,
      transcript: path.join(this.store.huskiesDir, 'logs', `${runId}.jsonl`),
      lastSeq: 0,
      attempt: o.attempt,
      history: o.history,
      stage: item.stage,
      sessionId: o.sessionId,
      prompt: o.prompt,
    };
    this.registry.upsert(run);
    this.changed(item.id);
    queueMicrotask(() => this.pool.pump());
    return run;
  }

  stopAgent(id: number): RunRecord {
    const run = this.activeRun(id);
    if (!run) throw new Error(`Story ${id} has no agent running or queued.`);
    this.pool.stop(run.runId);
    return run;
  }

  activeRun(id: number): RunRecord | undefined {
    return this.registry.forStory(id).find((r) => r.status === 'running' || r.status === 'queued');
  }

  private prompt(item: WorkItem, agent: AgentSpec, run: RunRecord, worktree: string): string {
    let story = '';
    try {
      story = fs.readFileSync(item.path, 'utf8');
    } catch {
      story = `# ${item.name}`;
    }
    const history = run.history?.length
      ? `\n\nEarlier attempts at this story failed:\n${run.history.map((h, i) => `${i + 1}. ${h}`).join('\n')}\nAvoid repeating what went wrong.`
      : '';
    return renderTemplate(agent.prompt ?? DEFAULT_PROMPT, {
      story_id: String(item.id),
      story_name: item.name,
      story_file: item.path,
      story,
      worktree,
      branch: run.branch ?? '',
      stage: item.stage,
      agent_name: agent.name,
      history,
    });
  }

  private async onRunEnded(run: RunRecord, outcome: RunOutcome): Promise<void> {
    const now = this.clock.now();
    const agent = this.agents().find((a) => a.name === run.agent);
    try {
      if (run.startedAt) {
        this.usage.append({ ts: new Date(now).toISOString(), story: run.storyId, agent: run.agent, runtime: run.runtime, model: agent?.model, runId: run.runId, outcome: outcome.kind, durationMs: now - run.startedAt, costUsd: outcome.costUsd ?? 0, usage: outcome.usage });
      }
      const item = this.store.get(run.storyId);
      const question = run.worktree ? await takeQuestion(run.worktree, path.join(this.store.huskiesDir, 'logs', `${run.runId}.question.json`)) : undefined;
      if (question && item) {
        run.handled = 'question';
        run.outcome = 'question';
        run.reason = `asked: ${question}`;
        this.registry.upsert(run);
        await this.store.patch(item.id, { blocked: true, blocked_reason: `Question from ${run.agent}: ${question}`, question });
        this.record({ id: item.id, from: item.stage, to: item.stage, source: 'orchestrator:question', reason: question });
      } else if (outcome.kind === 'rate_limited' || outcome.kind === 'overloaded') {
        await this.onRateLimited(run, outcome);
      } else if (!outcome.ok && run.sessionId && item && item.stage === 'current' && isLostSession(outcome.reason)) {
        // The program has no such session (e.g. the earlier run never got a reply before its limit):
        // start afresh in the same worktree rather than fail on the resume again.
        run.handled = 'session-lost';
        this.registry.upsert(run);
        this.logger.warn(`#${item.id}: session ${run.sessionId} cannot be resumed (${outcome.reason}); starting a new session in the same worktree.`);
        this.enqueue(item, { agent: run.agent, attempt: run.attempt, history: run.history });
      } else if (outcome.ok && item && item.stage === 'current' && run.worktree) {
        const ahead = run.baseCommit ? await commitsAhead(run.worktree, run.baseCommit).catch(() => 0) : 0;
        if (ahead > 0) {
          const dirty = await isDirty(run.worktree).catch(() => false);
          await this.transition(item.id, 'coded', `${run.agent} finished with ${ahead} commit${ahead === 1 ? '' : 's'}${dirty ? ' (uncommitted changes left in the worktree)' : ''}`);
        } else {
          run.status = 'failed';
          run.outcome = 'failed';
          run.reason = 'the agent finished without committing anything in its worktree';
          this.registry.upsert(run);
        }
      }
      if (run.status === 'succeeded' && agent) this.agentState.recordSuccess(agent.name);
      if (run.status === 'failed' && run.outcome !== 'rate_limited' && run.outcome !== 'overloaded' && run.outcome !== 'orphaned' && run.handled !== 'session-lost') this.afterFailure(run);
    } catch (err) {
      this.logger.error(`after run ${run.runId}: ${(err as Error).message}`);
      run.reason = `${run.reason ?? 'finished'}; then: ${(err as Error).message}`;
      this.registry.upsert(run);
    }
    this.logger.info(`Run ${run.runId} (${run.agent}) on #${run.storyId} ended: ${run.status}${run.reason ? ` — ${run.reason}` : ''}`);
    await this.registry.saveNow();
    this.emit('runEnded', run, outcome);
    this.changed(run.storyId);
    this.kick();
  }

  /**
   * Marks the agent (or its whole runtime, for account-wide limits) rate-limited until the reset
   * and persists a timer that resumes the story in the same worktree and session.
   */
  private async onRateLimited(run: RunRecord, outcome: RunOutcome): Promise<void> {
    const now = this.clock.now();
    // A reset already in the past (the run took longer than the limit lasted) resumes at once.
    const at = outcome.retryAt ? Math.max(outcome.retryAt, now + 1000) : now + (outcome.kind === 'overloaded' ? 60_000 : 5 * 60_000);
    const reason = outcome.reason ?? 'rate limited';
    // Subscription and usage limits belong to the account, so they hold for every agent of that runtime.
    const accountWide = run.runtime !== 'sim' && run.runtime !== 'command' && outcome.kind === 'rate_limited';
    this.agentState.setRateLimit(accountWide ? `runtime:${run.runtime}` : run.agent, at, reason);
    run.retryAt = at;
    run.handled = 'rate_limited';
    this.registry.upsert(run);
    await this.timers.add({ id: `resume-${run.runId}`, kind: 'resume', storyId: run.storyId, at, runId: run.runId, sessionId: run.sessionId, agent: run.agent, reason });
    this.logger.warn(`#${run.storyId}: ${run.agent} ${reason}; resumes at ${new Date(at).toISOString()}`);
    this.emit('rateLimited', run, at);
  }

  /** Counts failures per agent (drain) and keeps a short history for the retry's prompt. */
  private afterFailure(run: RunRecord): void {
    const reason = run.reason ?? 'failed';
    run.history = [...(run.history ?? []), reason].slice(-5);
    this.registry.upsert(run);
    if (run.outcome === 'cancelled' || !run.agent) return;
    const drain = this.agentState.recordFailure(run.agent, reason, this.config.project.drainAfterFailures, this.clock.now());
    if (drain) {
      this.logger.warn(`Agent ${run.agent} is drained after ${drain.failures} failures in a row; it takes no work until acknowledged.`);
      this.emit('agentDrained', run.agent, drain);
    }
  }

  /** Lets a drained agent take work again. */
  acknowledgeAgent(name: string): boolean {
    const had = this.agentState.acknowledge(name);
    this.changed();
    this.kick();
    return had;
  }

  /** Sends a follow-up prompt to the latest run of a story: same session, same worktree. */
  async followUp(storyId: number, prompt: string): Promise<RunRecord> {
    if (!this.trusted) throw new Error('This workspace is not trusted: Huskies runs no agents here.');
    if (!prompt.trim()) throw new Error('The follow-up needs some text.');
    await this.scanning;
    const item = this.store.get(storyId);
    if (!item) throw new Error(`There is no story ${storyId}.`);
    if (this.activeRun(storyId)) throw new Error(`Story ${storyId} already has an agent running or queued.`);
    const last = this.registry.latest(storyId);
    if (!last) throw new Error(`No agent has run on story ${storyId} yet: start one first.`);
    if (!last.sessionId) throw new Error(`The last run on story ${storyId} has no session to resume (the program reported none).`);
    if (item.stage !== 'current' && item.stage !== 'qa') throw new Error(`Story ${storyId} is in ${item.stage}; follow-ups go to stories in current or qa.`);
    if (this.follower) throw new FollowerError(storyId, this.follower);
    const stop = this.budgetStop();
    if (stop) throw new Error(stop);
    await this.timers.removeForStory(storyId);
    last.handled ??= 'followed-up';
    this.registry.upsert(last);
    return this.enqueue(item, { agent: last.agent, prompt, attempt: 1, sessionId: last.sessionId, history: undefined });
  }

  /** Answers the question that blocked a story and resumes the agent's session with the answer. */
  async answer(storyId: number, answer: string): Promise<RunRecord> {
    const item = this.store.get(storyId);
    if (!item) throw new Error(`There is no story ${storyId}.`);
    const question = typeof item.frontMatter.question === 'string' ? item.frontMatter.question : undefined;
    if (!question) throw new Error(`Story ${storyId} has no open question.`);
    await this.store.patch(storyId, { blocked: undefined, blocked_reason: undefined, question: undefined });
    await this.rescan();
    return this.followUp(storyId, `You asked: "${question}"\nThe user answers: ${answer}\nGo on with the story.`);
  }

  /** Idempotent: looks at every story in current and starts, retries or blocks as the rules say. */
  kick(): void {
    if (this.disposed || !this.started || this.follower) return;
    if (this.trusted && this.initialized && this.opts.autoAssign !== false) void this.autoAssign();
    this.pool.pump();
  }

  private assigning = false;
  private async autoAssign(): Promise<void> {
    if (this.assigning) return;
    this.assigning = true;
    try {
      await this.scanning;
      const all = this.store.itemsById();
      const budgetStop = this.budgetStop();
      for (const item of this.store.all()) {
        if (item.stage !== 'current' || item.blocked || item.invalid) continue;
        if (this.starting.has(item.id) || this.activeRun(item.id)) continue;
        if (this.timers.forStory(item.id)) continue; // waiting for a rate limit to lift
        if (budgetStop) continue;
        if (canStartAgent(item, all)) continue;
        const last = this.registry.latest(item.id);
        if (!last) {
          this.enqueue(item, { attempt: 1 });
          continue;
        }
        if (last.status !== 'failed' || last.handled) continue;
        if (last.outcome === 'rate_limited') continue; // a resume timer brings it back
        if (last.outcome === 'orphaned') {
          // Cut off by a shutdown or crash, not by its own failure: resume the same session.
          last.handled = 'resumed';
          this.registry.upsert(last);
          this.enqueue(item, { attempt: last.attempt, history: last.history, sessionId: last.sessionId, agent: last.agent || item.agent });
          continue;
        }
        if (last.outcome === 'missing_program' || last.outcome === 'auth') {
          last.handled = 'no-retry';
          this.registry.upsert(last);
          continue;
        }
        const max = this.config.project.maxRetries;
        if (last.attempt <= max && max > 0) {
          last.handled = 'retried';
          this.registry.upsert(last);
          this.logger.info(`Retrying story ${item.id} (attempt ${last.attempt + 1} of ${max + 1}) after: ${last.reason}`);
          this.enqueue(item, { attempt: last.attempt + 1, history: last.history, agent: item.agent });
        } else {
          last.handled = 'blocked';
          this.registry.upsert(last);
          const why = `failed ${last.attempt} time${last.attempt === 1 ? '' : 's'}; last: ${last.reason ?? 'unknown'}`;
          await this.store.patch(item.id, { blocked: true, blocked_reason: why });
          this.record({ id: item.id, from: 'current', to: 'current', source: 'orchestrator:block', reason: why });
          this.changed(item.id);
        }
      }
    } catch (err) {
      this.logger.error(`auto-assign: ${(err as Error).message}`);
    } finally {
      this.assigning = false;
    }
    this.pool.pump();
  }

  private ticking = false;
  /** The 1 s tick: due timers, expired rate limits, orphaned runs. Public so tests can drive it. */
  async onTick(): Promise<void> {
    if (this.ticking || this.disposed || this.follower || !this.started) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      if (this.agentState.expire(now)) this.changed();
      for (const t of await this.timers.takeDue(now)) await this.fireTimer(t);
      for (const run of this.registry.active()) {
        if (run.status === 'running' && !this.pool.owns(run.runId)) {
          // Recorded as running but no process of ours: it was orphaned.
          run.status = 'failed';
          run.outcome = 'orphaned';
          run.reason = 'the run lost its process; it is resumed automatically';
          run.endedAt = now;
          this.registry.upsert(run);
          this.changed(run.storyId);
        }
      }
      this.kick();
    } catch (err) {
      this.logger.error(`tick: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async fireTimer(t: Timer): Promise<void> {
    const item = this.store.get(t.storyId);
    if (!item || item.stage !== 'current' || item.blocked || this.activeRun(t.storyId)) return;
    const last = t.runId ? this.registry.get(t.runId) : this.registry.latest(t.storyId);
    // A session the model never answered in holds nothing to resume (and some programs refuse it).
    const sessionId = t.sessionId && this.registry.all().some((r) => r.sessionId === t.sessionId && r.modelReplied) ? t.sessionId : undefined;
    this.logger.info(`#${t.storyId}: the rate limit has lifted; ${sessionId ? `resuming session ${sessionId}` : 'starting the story again in its worktree'}.`);
    this.enqueue(item, {
      agent: t.agent,
      attempt: last?.attempt ?? 1,
      history: last?.history,
      sessionId,
      prompt: sessionId ? 'The rate limit has lifted. Continue the story where you left off, and commit your work when it is done.' : undefined,
    });
  }

  // ---- stories ----

  async createStory(opts: { name: string; criteria?: string[]; description?: string; type?: WorkItem['type'] }): Promise<WorkItem> {
    if (!this.initialized) throw new Error('This folder has no Huskies project yet: run "Huskies: Initialize Project" (or `huskies init`).');
    const item = await this.store.create(opts);
    await this.rescan();
    return item;
  }

  // ---- reading ----

  snapshot(): Snapshot {
    const runs = this.registry.all();
    const latestRun = new Map<number, RunRecord>();
    for (const r of runs.sort((a, b) => a.queuedAt - b.queuedAt)) latestRun.set(r.storyId, r);
    const totals = this.usage.totals();
    return {
      root: this.root,
      initialized: this.initialized,
      items: this.store.all(),
      runs,
      latestRun,
      running: runs.filter((r) => r.status === 'running').length,
      queued: runs.filter((r) => r.status === 'queued').length,
      maxCoders: this.config.project.maxCoders,
      problems: [...this.configStore.getProblems(), ...this.store.getConflicts(), ...this.preflights.filter((p) => !p.ok).map((p) => `Agent ${p.agent}: ${p.message}`)],
      agents: this.agents(),
      trusted: this.trusted,
      timers: this.timers.list(),
      rateLimits: this.agentState.allRateLimits(),
      drained: this.agentState.allDrained(),
      preflight: this.preflights,
      costByStory: totals.byStory,
      costByAgent: totals.byAgent,
      spentToday: this.usage.spentOn(new Date(this.clock.now()).toISOString().slice(0, 10)),
      paused: !this.trusted ? 'The workspace is not trusted: agents are disabled.' : this.budgetStop(),
    };
  }

  /** The last `limit` records of a run's transcript before `beforeSeq` (or its end). */
  readTranscript(runId: string, beforeSeq: number | undefined, limit = 500) {
    const run = this.registry.get(runId);
    if (!run) return Promise.resolve({ records: [], hasOlder: false });
    return readBefore(run.transcript, beforeSeq, limit);
  }

  readTranscriptAfter(runId: string, afterSeq: number, limit = 5000) {
    const run = this.registry.get(runId);
    if (!run) return Promise.resolve([]);
    return readAfter(run.transcript, afterSeq, limit);
  }

  subscribe(runId: string | '*', listener: LiveListener): { dispose(): void } {
    return this.hub.subscribe(runId, listener);
  }

  private changedTimer?: NodeJS.Timeout;
  /** Tells listeners that the state changed, at most every 50 ms. */
  private changed(_id?: number): void {
    if (this.changedTimer || this.disposed) return;
    this.changedTimer = setTimeout(() => {
      this.changedTimer = undefined;
      this.emit('changed');
    }, 50);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tick) clearInterval(this.tick);
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    if (this.changedTimer) clearTimeout(this.changedTimer);
    await this.watcher?.close();
    await this.rootWatcher?.close();
    await this.pool.dispose();
    while (this.pendingWork.size) await Promise.all([...this.pendingWork]);
    if (!this.follower) await this.registry.saveNow();
    this.lock?.release();
    this.hub.flush();
    this.hub.dispose();
    this.removeAllListeners();
  }
}
