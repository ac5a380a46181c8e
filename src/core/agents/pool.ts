// The agent pool: it takes queued runs (ordered by priority, then story number) while slots are
// free, picks an agent, prepares the worktree and starts the program through the spawner port.
// Everything it learns (pid, session, ending) goes to the pipeline as a command the moment it is known.
import type { AgentSpec, HuskiesConfig } from '../config/config';
import type { Command, RunFacts } from '../model/commands';
import { roleOf, type RunRecord } from '../model/run';
import type { Usage } from '../model/agentMessage';
import type { WorkItem } from '../model/workItem';
import type { Clock, TimerHandle } from '../ports/clock';
import { MAX_TIMER_MS } from '../ports/clock';
import type { AgentLaunch, RunHandle, Spawner } from '../ports/spawner';
import type { EventBus } from '../pipeline/eventBus';
import type { RequestResult } from '../pipeline/pipeline';
import type { StateView } from '../state/types';
import { agentUnavailable, candidates, stackedOn } from '../policies/waits';
import { ensureWorktree, worktreeFor } from '../git/git';
import { openMergeWorkspace } from '../git/mergemasterWorkspace';
import type { Logger } from '../util/log';
import type { LiveHub } from './liveHub';
import { buildLaunch, RUNTIME_LABELS, type LaunchContext } from './runtimes';
import { rolePrompt, type RolePromptInput } from './rolePrompts';
import { gatherFacts } from './runFacts';
import { removeGeminiWorkspaceSettings, writeGeminiWorkspaceSettings } from './runtimes';

export interface PoolDeps {
  root: string;
  logsDir: string;
  state: StateView;
  bus: EventBus;
  request(c: Command): Promise<RequestResult>;
  spawner: Spawner;
  hub: LiveHub;
  clock: Clock;
  logger: Logger;
  config(): HuskiesConfig;
  agents(): AgentSpec[];
  /** Everything the launch needs besides the run itself. */
  launchContext(): Promise<Omit<LaunchContext, 'prompt' | 'worktree' | 'storyId' | 'storyFile' | 'resumeSessionId'>>;
  /** Secret values to mask in everything a run writes. */
  secrets(agent: AgentSpec): string[];
  /** Why no run may start now, if so. */
  stopped(): string | undefined;
  graceMs?: number;
  /** The story's worktree (created or reused); git in production, a fake in unit tests. */
  workspace?(item: WorkItem, run: RunRecord): Promise<{ dir: string; branch: string; base: string }>;
  /** Appends a notice to the run's transcript before its program starts; returns the last seq. */
  notice?(run: RunRecord, message: string): number;
  /** The prompt of a run that brings none (a coder's, a QA agent's, a mergemaster's); read from git in production. */
  prompt?(p: RolePromptInput): Promise<string>;
  /** The merge worktree a mergemaster works in; git in production, a fake in unit tests. */
  mergeWorkspace?(item: WorkItem, run: RunRecord): Promise<{ dir: string; branch: string; base: string }>;
  /** What a finished run left behind; read from git in production. */
  facts?(run: RunRecord): Promise<RunFacts>;
  /** The orchestrator's MCP endpoint: a token per launched run, revoked when the run ends. */
  mcp?: {
    register(run: { runId: string; storyId: number; worktree?: string; transcript?: string }): Promise<{ url: string; token: string }>;
    revoke(runId: string): void;
  };
}

export class AgentPool {
  private handles = new Map<string, RunHandle>();
  private starting = new Map<string, Promise<void>>();
  private endings = new Set<Promise<void>>();
  private timers = new Map<string, TimerHandle>();
  private subs: { dispose(): void }[] = [];
  private pumping = false;
  private again = false;
  private disposed = false;

  constructor(private readonly d: PoolDeps) {}

  start(): void {
    this.subs.push(
      this.d.bus.on('run.stopRequested', (e) => this.stopHandle(e.run)),
      this.d.bus.on('*', (e) => {
        if (e.type === 'run.queued' || e.type === 'run.ended' || e.type === 'timer.fired' || e.type === 'control.resumed' || e.type.startsWith('agent.')) this.pump();
      }),
    );
  }

  /** Whether this pool has a process (or a launch under way) for the run. */
  owns(runId: string): boolean {
    return this.handles.has(runId) || this.starting.has(runId);
  }

  queued(): RunRecord[] {
    const prio = (r: RunRecord) => priorityOf(this.d.state.item(r.storyId));
    return this.d.state
      .activeRuns()
      .filter((r) => r.status === 'queued')
      .sort((a, b) => prio(a) - prio(b) || a.storyId - b.storyId || a.queuedAt - b.queuedAt);
  }

  /** Starts queued runs while there are free slots. Safe to call on every event. */
  pump(): void {
    if (this.disposed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pumpOnce()
      .catch((err) => this.d.logger.error(`pool: ${(err as Error).message}`))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async pumpOnce(): Promise<void> {
    if (this.d.stopped()) return;
    const max = this.d.config().project.maxCoders;
    for (const run of this.queued()) {
      if (this.disposed) return;
      const running = this.d.state.activeRuns().filter((r) => r.status === 'running').length;
      if (running >= max) return;
      if (this.d.state.agentState().paused || this.d.state.item(run.storyId)?.frontMatter.paused === true) continue; // paused: no new starts
      const agent = this.pickAgent(run);
      if (!agent) continue;
      const r = await this.d.request({ type: 'run.launch', runId: run.runId, agent: agent.name, runtime: agent.runtime, maxCoders: max });
      if (!r.ok) continue;
      const launched = this.d.state.run(run.runId);
      if (launched) this.launch(launched, agent);
    }
  }

  /** The pinned agent, else the least busy coder that is not rate-limited, drained or full. */
  pickAgent(run: RunRecord): AgentSpec | undefined {
    const running = this.d.state.activeRuns().filter((r) => r.status === 'running');
    const busy = (a: AgentSpec) => running.filter((r) => r.agent === a.name).length;
    const perRuntime = this.d.config().project.maxPerRuntime;
    const now = this.d.clock.now();
    const fits = (a: AgentSpec) =>
      !agentUnavailable(a, this.d.state.agentState(), now) &&
      (a.maxConcurrent === undefined || busy(a) < a.maxConcurrent) &&
      (perRuntime[a.runtime] === undefined || running.filter((r) => r.runtime === a.runtime).length < perRuntime[a.runtime]!);
    const { list } = candidates(run, this.d.state.item(run.storyId), this.d.agents());
    return list.filter(fits).sort((a, b) => busy(a) - busy(b))[0];
  }

  private launch(run: RunRecord, agent: AgentSpec): void {
    const p = this.launchAsync(run, agent)
      .catch(async (err) => {
        this.releaseMcp(run.runId);
        const reason = `could not start: ${(err as Error).message}`;
        this.d.logger.warn(`#${run.storyId}: ${reason}`);
        await this.d.request({ type: 'run.ended', runId: run.runId, outcome: { ok: false, kind: 'failed', reason }, facts: {}, lastSeq: run.lastSeq });
      })
      .finally(() => this.starting.delete(run.runId));
    this.starting.set(run.runId, p);
  }

  private async launchAsync(run: RunRecord, agent: AgentSpec): Promise<void> {
    const item = this.d.state.item(run.storyId);
    if (!item) throw new Error(`story ${run.storyId} is gone`);
    const wt = await this.workspaceFor(item, run);
    await this.d.request({ type: 'run.workspace', runId: run.runId, worktree: wt.dir, branch: wt.branch, baseCommit: wt.base });
    const current = this.d.state.run(run.runId);
    if (!current || current.status !== 'running') return; // ended while the worktree was made
    if (current.stopRequested) {
      await this.d.request({
        type: 'run.ended',
        runId: run.runId,
        outcome: { ok: false, kind: current.stopRequested.kind, reason: current.stopRequested.reason },
        facts: {},
        lastSeq: run.lastSeq,
      });
      return;
    }
    const parent = stackedOn(item, this.d.state);
    const reviewBase = parent === undefined ? undefined : this.coderBranch(parent);
    const promptInput = { item, agent, run: current, dir: wt.dir, config: this.d.config(), reviewBase };
    const prompt = current.prompt ?? (await (this.d.prompt ?? rolePrompt)(promptInput));
    const mcp = await this.registerMcp(current, agent, wt.dir);
    const spec = buildLaunch(agent, {
      ...(await this.d.launchContext()),
      prompt,
      worktree: wt.dir,
      storyId: item.id,
      storyFile: item.path,
      resumeSessionId: current.sessionId,
      mcp,
    });
    // Once launched only the run writes its transcript: the start notice goes in first.
    const fromSeq = this.d.notice
      ? this.d.notice(
          current,
          `${RUNTIME_LABELS[agent.runtime]} started on story ${item.id} in ${wt.dir} (branch ${wt.branch})${current.sessionId ? `, resuming session ${current.sessionId}` : ''}`,
        )
      : current.lastSeq;
    const timeoutMs = agent.timeout ? agent.timeout * 1000 : undefined;
    const launch: AgentLaunch = {
      runId: run.runId,
      runtime: agent.runtime,
      label: RUNTIME_LABELS[agent.runtime],
      spec,
      // Node's own timers cannot wait longer than ~24.8 days: the pool keeps such a limit itself.
      limits: {
        timeoutMs: timeoutMs && timeoutMs <= MAX_TIMER_MS ? timeoutMs : undefined,
        inactivityMs: agent.inactivityTimeout ? agent.inactivityTimeout * 1000 : undefined,
        graceMs: this.d.graceMs,
        nice: this.d.config().project.backgroundNice,
      },
      previousUsage: current.sessionId ? this.previousUsage(current) : undefined,
      transcript: current.transcript,
      fromSeq,
      secrets: mcp ? [...this.d.secrets(agent), mcp.token] : this.d.secrets(agent),
    };
    const handle = this.d.spawner.launch(launch);
    if (timeoutMs && timeoutMs > MAX_TIMER_MS) {
      this.timers.set(
        run.runId,
        this.d.clock.setTimeout(() => handle.stop('timeout', `stopped after the time limit of ${Math.round(timeoutMs / 86_400_000)} days`), timeoutMs),
      );
    }
    this.follow(current, handle);
  }

  /**
   * A token for the run on the MCP endpoint (and, for Gemini CLI, its settings file, which names
   * the token's variable, not the token). Undefined without an endpoint; a failing endpoint is
   * logged and the run starts without it.
   */
  private async registerMcp(run: RunRecord, agent: AgentSpec, worktree: string): Promise<LaunchContext['mcp']> {
    if (!this.d.mcp) return undefined;
    try {
      const ep = await this.d.mcp.register({ runId: run.runId, storyId: run.storyId, worktree, transcript: run.transcript });
      if (agent.runtime !== 'gemini') return ep;
      this.geminiWorktrees.set(run.runId, worktree);
      return { ...ep, geminiSettings: writeGeminiWorkspaceSettings(worktree, ep.url) };
    } catch (err) {
      this.d.logger.warn(`#${run.storyId}: the run starts without the orchestrator's MCP tools: ${(err as Error).message}`);
      this.releaseMcp(run.runId);
      return undefined;
    }
  }

  /** The worktrees where a Gemini CLI run's settings file was written. */
  private readonly geminiWorktrees = new Map<string, string>();

  /** The run's token stops working and its settings file goes. */
  private releaseMcp(runId: string): void {
    if (!this.d.mcp) return;
    this.d.mcp.revoke(runId);
    const worktree = this.geminiWorktrees.get(runId);
    this.geminiWorktrees.delete(runId);
    try {
      if (worktree) removeGeminiWorkspaceSettings(worktree);
    } catch (err) {
      this.d.logger.warn(`the Gemini CLI settings in ${worktree}/.gemini could not be removed: ${(err as Error).message}`);
    }
  }

  /** Wires a handle to the pipeline: a started run (or one re-attached after a restart). */
  follow(run: RunRecord, handle: RunHandle): void {
    this.handles.set(run.runId, handle);
    let lastSeq = run.lastSeq;
    const sub = handle.onSignal((s) => {
      if (s.kind === 'records') {
        lastSeq = s.records[s.records.length - 1]?.seq ?? s.upTo ?? lastSeq;
        this.d.hub.publish(run.runId, s.records);
      } else if (s.kind === 'started') void this.d.request({ type: 'run.started', runId: run.runId, pid: s.pid, pidStart: s.startTime, supervisorPid: s.supervisorPid });
      else if (s.kind === 'session') void this.d.request({ type: 'run.session', runId: run.runId, sessionId: s.sessionId });
      else if (s.kind === 'replied') void this.d.request({ type: 'run.replied', runId: run.runId });
    });
    const stop = this.d.state.run(run.runId)?.stopRequested;
    if (stop) handle.stop(stop.kind, stop.reason);
    const ended = handle.done.then(async (outcome) => {
      sub.dispose();
      this.releaseMcp(run.runId);
      this.timers.get(run.runId)?.dispose();
      this.timers.delete(run.runId);
      this.d.hub.flush(); // subscribers see a run's last records before they hear it ended
      const cur = this.d.state.run(run.runId) ?? run;
      const item = this.d.state.item(cur.storyId);
      const facts =
        outcome.kind === 'orphaned'
          ? {}
          : await (this.d.facts ? this.d.facts(cur) : gatherFacts(cur, this.d.logsDir, { criteriaCount: item?.criteria.length, criteria: item?.criteria })).catch((err: Error) =>
              unreadableFacts(cur, err),
            );
      await this.d.request({ type: 'run.ended', runId: run.runId, outcome, facts, lastSeq });
      this.handles.delete(run.runId);
      this.pump();
    });
    const tracked = ended.finally(() => this.endings.delete(tracked));
    this.endings.add(tracked);
  }

  /** A coder and a QA agent work in the story's worktree; a mergemaster in the merge worktree its failed merge left. */
  private workspaceFor(item: WorkItem, run: RunRecord): Promise<{ dir: string; branch: string; base: string }> {
    if (roleOf(run) !== 'mergemaster') return this.d.workspace ? this.d.workspace(item, run) : ensureWorktree(this.d.root, item, this.d.config().project.baseBranch);
    if (this.d.mergeWorkspace) return this.d.mergeWorkspace(item, run);
    return openMergeWorkspace(this.d.root, this.coderBranch(item.id) ?? worktreeFor(this.d.root, item).branch);
  }

  /** The branch the story's coder worked on. */
  private coderBranch(id: number): string | undefined {
    return [...this.d.state.runsForStory(id)].reverse().find((r) => r.branch && roleOf(r) === 'coder')?.branch;
  }

  private stopHandle(run: RunRecord): void {
    const h = this.handles.get(run.runId);
    if (h && run.stopRequested) h.stop(run.stopRequested.kind, run.stopRequested.reason);
    // A run still being prepared checks stopRequested before its program starts.
  }

  private previousUsage(run: RunRecord): Usage | undefined {
    const list = this.d.state
      .runs()
      .filter((r) => r.sessionId === run.sessionId && r.runId !== run.runId && r.usage)
      .map((r) => r.usage!);
    if (!list.length) return undefined;
    return list.reduce((a, u) => ({
      inputTokens: a.inputTokens + u.inputTokens,
      outputTokens: a.outputTokens + u.outputTokens,
      cacheReadTokens: a.cacheReadTokens + u.cacheReadTokens,
      cacheWriteTokens: a.cacheWriteTokens + u.cacheWriteTokens,
    }));
  }

  /**
   * Stops following the runs. With stopAgents their process groups are stopped (they resume on the
   * next start); without, supervised runs go on and the next host re-attaches to them.
   */
  async dispose(opts: { stopAgents: boolean }): Promise<void> {
    this.disposed = true;
    for (const s of this.subs) s.dispose();
    for (const t of this.timers.values()) t.dispose();
    await Promise.all([...this.starting.values()]);
    const handles = [...this.handles.values()];
    if (opts.stopAgents) {
      for (const h of handles) h.stop('orphaned', 'the orchestrator shut down while this run was going; it is resumed on the next start');
      await Promise.all(handles.map((h) => h.done.catch(() => undefined)));
      while (this.endings.size) await Promise.all([...this.endings]);
    } else {
      await Promise.all(handles.map((h) => h.detach()));
    }
  }
}

/** When what a run left cannot be read: a reviewer's or a mergemaster's work counts as not done, a coder's as unknown. */
function unreadableFacts(run: RunRecord, err: Error): RunFacts {
  const why = `its work could not be checked: ${err.message}`;
  if (roleOf(run) === 'qa') return { verdict: { ok: false, problem: why } };
  if (roleOf(run) === 'mergemaster') return { merge: { resolved: false, detail: why } };
  return {};
}

function priorityOf(item: WorkItem | undefined): number {
  const p = item?.frontMatter.priority;
  return typeof p === 'number' && Number.isFinite(p) ? -p : 0;
}
