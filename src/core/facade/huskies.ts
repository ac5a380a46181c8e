// The facade behind api.ts: what a user can do (start, stop, follow up, answer, move, create,
// acknowledge) as commands to the one writer — or, when another process drives the project, as
// requests to it — and what a user can see (snapshot, transcripts, live output, events).
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { Command, ScheduledTimer, Source, TimerSpec, Trigger, TriggerSpec } from '../model/commands';
import { randomBytes } from 'node:crypto';
import type { HuskiesEvent } from '../model/events';
import { NotFoundError, NotInitializedError, NotTrustedError, RefusedError } from '../model/errors';
import type { RunRecord } from '../model/run';
import type { Stage } from '../model/stage';
import type { ItemType, WorkItem } from '../model/workItem';
import { Orchestrator, type OrchestratorOptions } from '../orchestrator';
import { canStartAgent } from '../pipeline/stageRules';
import { preflight, type Preflight } from '../agents/preflight';
import { readAfter, readBefore } from '../agents/transcript';
import type { LiveListener } from '../agents/liveHub';
import { dependencyWait, stackParent } from '../policies/waits';
import { buildSnapshot, type Snapshot } from './snapshot';
import { fileAt, storyChanges, type StoryChanges } from '../git/storyDiff';
import { ProjectStatsReader, type ProjectStats } from '../stats/projectStats';

/** What `controls()` returns: the project's pause and notes, and the stories paused or noted. */
export interface Controls {
  paused?: { since: number; reason: string; source: string };
  notes: readonly { at: number; text: string; source: string }[];
  stories: { id: number; paused: boolean; pausedReason?: string; note?: string }[];
}

export class Huskies extends EventEmitter {
  readonly o: Orchestrator;
  private preflights: Preflight[] = [];
  private changedTimer?: NodeJS.Timeout;
  private lastChanged = 0;
  private disposed = false;
  private statsReader?: ProjectStatsReader;

  constructor(opts: OrchestratorOptions) {
    super();
    this.setMaxListeners(50);
    this.o = new Orchestrator(opts);
    this.o.bus.on('*', (e) => this.onEvent(e));
    this.o.onRefresh(() => this.changed());
  }

  get root(): string {
    return this.o.root;
  }
  get follower() {
    return this.o.follower;
  }
  /** Read-only views for the board and tests. */
  get store() {
    const s = this.o.state;
    return { get: (id: number) => s.item(id), all: () => s.items(), itemsById: () => s.itemsById() };
  }
  get registry() {
    const s = this.o.state;
    return {
      get: (id: string) => s.run(id),
      all: () => s.runs(),
      forStory: (id: number) => s.runsForStory(id),
      latest: (id: number) => s.latestRun(id),
      active: () => s.activeRuns(),
    };
  }
  get hub() {
    return this.o.hub;
  }
  agents() {
    return this.o.agents();
  }
  isInitialized(): boolean {
    return this.o.initialized;
  }

  async start(): Promise<void> {
    await this.o.start();
    void this.runPreflight();
    this.changed();
  }

  setTrusted(trusted: boolean): void {
    this.o.trusted = trusted;
    this.changed();
    this.o.kick();
  }

  reloadConfig(): Promise<void> {
    return this.o.reloadConfig();
  }
  rescan(): Promise<void> {
    return this.o.rescan();
  }
  kick(): void {
    this.o.kick();
  }
  onTick(): Promise<void> {
    return this.o.onTick();
  }

  // ---- doing ----

  /** Starts an agent on a story: a backlog story moves to current in the same write. */
  async startAgent(id: number, opts: { agent?: string; prompt?: string; source?: Source } = {}): Promise<RunRecord> {
    this.mayRunAgents();
    let item = this.o.state.item(id);
    if (!item) {
      await this.o.rescan(); // written a moment ago, before the watcher said so
      item = this.o.state.item(id);
    }
    if (!item) throw new NotFoundError(`There is no story ${id}.`);
    const active = this.o.state.activeRun(id);
    if (active) throw new RefusedError(`Story ${id} already has an agent ${active.status === 'queued' ? 'queued' : 'running'} (${active.agent || 'unassigned'}).`);
    // with stack_on_parents a story whose one open parent is coded starts from the parent's branch
    const stackOn = item.frontMatter.stacked_on === undefined ? stackParent(item, this.o.state, this.o.config.project.stackOnParents) : undefined;
    const why =
      canStartAgent(item, this.o.state.itemsById() as Map<number, WorkItem>, stackOn !== undefined) ?? (stackOn === undefined ? dependencyWait(item, this.o.state) : undefined);
    if (why) throw new RefusedError(why.startsWith('Story') ? why : `Story ${id} ${why}.`);
    if (opts.agent && !this.o.agents().some((a) => a.name === opts.agent)) throw new RefusedError(`There is no agent named "${opts.agent}" in .huskies/agents.toml.`);
    this.budget();
    const prev = this.o.state.latestRun(id);
    return this.enqueue({
      type: 'run.enqueue',
      id,
      source: opts.source ?? 'user',
      agent: opts.agent,
      prompt: opts.prompt,
      attempt: 1,
      history: prev?.status === 'failed' ? prev.history : undefined,
      clearTimers: true,
      reason: 'started by the user',
      ...(stackOn !== undefined ? { stackOn } : {}),
    });
  }

  /** Sends a follow-up prompt to the latest run of a story: same session, same worktree. */
  async followUp(id: number, prompt: string, source: Source = 'user'): Promise<RunRecord> {
    this.mayRunAgents();
    if (!prompt.trim()) throw new RefusedError('The follow-up needs some text.');
    const item = this.o.state.item(id);
    if (!item) throw new NotFoundError(`There is no story ${id}.`);
    if (this.o.state.activeRun(id)) throw new RefusedError(`Story ${id} already has an agent running or queued.`);
    const last = this.o.state.latestRun(id);
    if (!last) throw new RefusedError(`No agent has run on story ${id} yet: start one first.`);
    if (!last.sessionId) throw new RefusedError(`The last run on story ${id} has no session to resume (the program reported none).`);
    if (item.stage !== 'current' && item.stage !== 'qa') throw new RefusedError(`Story ${id} is in ${item.stage}; follow-ups go to stories in current or qa.`);
    this.budget();
    return this.enqueue({
      type: 'run.enqueue',
      id,
      source,
      agent: last.agent,
      prompt,
      attempt: 1,
      sessionId: last.sessionId,
      clearTimers: true,
      reason: 'follow-up',
      // The ending may be handled meanwhile (it moved to QA, say): then that handling stands.
      supersedes: { runId: last.runId, handled: 'followed-up', ifUnhandled: true },
    });
  }

  /** Answers the question that blocked a story; the agent's session resumes with the answer. */
  async answer(id: number, answer: string, source: Source = 'user'): Promise<RunRecord> {
    this.mayRunAgents();
    if (!answer.trim()) throw new RefusedError('The answer needs some text.');
    return this.enqueue({ type: 'item.answer', id, answer, source });
  }

  /** Stops a story's agent (its whole process group); the stop sticks: nothing restarts it on its own. */
  async stopAgent(id: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'run.stop', id, kind: 'cancelled', reason: 'stopped by the user', byUser: true, source });
  }

  async moveStory(id: number, to: Stage, source: Source = 'user'): Promise<WorkItem | undefined> {
    await this.send({ type: 'item.move', id, to, source });
    return this.o.state.item(id);
  }

  /** Approves a story in QA: it moves on to merge. */
  async approve(id: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'item.approve', id, source });
  }

  /** Rejects a story in QA with feedback: back to current, and its coder resumes with the feedback. */
  async reject(id: number, feedback: string, source: Source = 'user'): Promise<RunRecord> {
    this.mayRunAgents();
    return this.enqueue({ type: 'item.reject', id, feedback, source });
  }

  /** A story whose merge failed goes back to current for its coder to fix. */
  async fixup(id: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'item.transition', id, kind: 'fixup', source, reason: 'fix-up after a failed merge' });
  }

  /** Back to the backlog (from current, QA or merge); its agent, if any, is stopped. */
  async demote(id: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'item.transition', id, kind: 'demote', source, reason: 'demoted by the user' });
  }

  /** Archives a story that will not be done, with the reason. */
  async abandon(id: number, reason: string, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'item.abandon', id, reason, source });
  }

  async unblock(id: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'item.unblock', id, source });
  }

  async createStory(opts: { name: string; criteria?: string[]; description?: string; type?: ItemType; source?: Source }): Promise<WorkItem> {
    if (!this.o.initialized) throw new NotInitializedError();
    if (!opts.name.trim()) throw new RefusedError('A story needs a title.');
    const r = await this.send({
      type: 'item.create',
      name: opts.name.trim(),
      itemType: opts.type ?? 'story',
      criteria: opts.criteria ?? [],
      description: opts.description,
      source: opts.source ?? 'user',
    });
    const id = r.itemId;
    const item = id !== undefined ? this.o.state.item(id) : undefined;
    if (!item) throw new NotFoundError('The story was written but cannot be read back.');
    return item;
  }

  /** Pauses the project (no id) or one story: no new agent starts there; running agents finish. */
  async pause(id?: number, reason?: string, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'control.pause', ...(id !== undefined ? { id } : {}), reason: reason ?? '', source });
  }

  /** Lifts a pause of the project (no id) or of one story. */
  async resume(id?: number, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'control.resume', ...(id !== undefined ? { id } : {}), source });
  }

  /** A note for the project (no id) or a story: kept in the state, the audit log and on the board. */
  async note(text: string, id?: number, source: Source = 'user'): Promise<void> {
    if (!text.trim()) throw new RefusedError('A note needs some text.');
    await this.send({ type: 'control.note', ...(id !== undefined ? { id } : {}), text, source });
  }

  /** The pauses and notes in force: the project's, and each story's (from its front matter). */
  controls(): Controls {
    const a = this.o.state.agentState();
    const stories = this.o.state
      .items()
      .filter((i) => i.frontMatter.paused === true || typeof i.frontMatter.note === 'string')
      .map((i) => ({
        id: i.id,
        paused: i.frontMatter.paused === true,
        ...(typeof i.frontMatter.paused_reason === 'string' ? { pausedReason: i.frontMatter.paused_reason } : {}),
        ...(typeof i.frontMatter.note === 'string' ? { note: i.frontMatter.note } : {}),
      }));
    return { ...(a.paused ? { paused: a.paused } : {}), notes: a.notes ?? [], stories };
  }

  /** Adds a scheduled timer (one-shot at a time, an interval or a cron expression); `at`/`cron` are read in the project's time zone unless the spec names one. */
  async addTimer(spec: TimerSpec, source: Source = 'user'): Promise<ScheduledTimer> {
    if (!this.o.initialized) throw new NotInitializedError();
    const id = `t-${randomBytes(4).toString('hex')}`;
    await this.send({ type: 'timer.add', timer: { ...spec, id, timezone: spec.timezone ?? this.o.config.project.timezone }, source });
    const t = this.o.state.scheduled().find((x) => x.id === id);
    if (!t) throw new NotFoundError('The timer was added but cannot be read back.');
    return t;
  }

  /** The scheduled timers, soonest first (the resume timers of rate-limited runs are in the snapshot). */
  timers(): ScheduledTimer[] {
    return [...this.o.state.scheduled()].sort((a, b) => (a.nextAt ?? Infinity) - (b.nextAt ?? Infinity));
  }

  async cancelTimer(id: string, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'timer.cancel', timerId: id, source });
  }

  /** Adds a trigger: an action for every stage change that matches (once: for the first only). */
  async addTrigger(spec: TriggerSpec, source: Source = 'user'): Promise<Trigger> {
    if (!this.o.initialized) throw new NotInitializedError();
    const id = `g-${randomBytes(4).toString('hex')}`;
    await this.send({ type: 'trigger.add', trigger: { ...spec, id }, source });
    const t = this.o.state.triggers().find((x) => x.id === id);
    if (!t) throw new NotFoundError('The trigger was added but cannot be read back.');
    return t;
  }

  triggers(): Trigger[] {
    return [...this.o.state.triggers()];
  }

  async cancelTrigger(id: string, source: Source = 'user'): Promise<void> {
    await this.send({ type: 'trigger.cancel', triggerId: id, source });
  }

  /** Lets a drained agent take work again; false when it was not drained. */
  async acknowledgeAgent(name: string, source: Source = 'user'): Promise<boolean> {
    try {
      await this.send({ type: 'agent.acknowledge', name, source });
      return true;
    } catch (err) {
      if (err instanceof RefusedError && /was not drained/.test(err.message)) return false;
      throw err;
    }
  }

  /** Masks every known secret (environment and agents.toml env) in text shown to a user. */
  mask(text: string): string {
    return this.o.masker.mask(text);
  }

  secrets(): string[] {
    return this.o.masker.secrets();
  }

  activeRun(id: number): RunRecord | undefined {
    return this.o.state.activeRun(id);
  }

  /** Checks every agent's program and login; results are shown on the board and by `huskies status`. */
  async runPreflight(): Promise<Preflight[]> {
    const env = this.o.opts.env ?? process.env;
    this.preflights = await Promise.all(this.o.agents().map((a) => preflight(a, { env, simAgentPath: this.o.opts.simAgentPath, programOverride: this.o.opts.programOverride })));
    for (const p of this.preflights) if (!p.ok) this.o.logger.warn(`preflight ${p.agent}: ${p.message}`);
    this.changed();
    return this.preflights;
  }

  // ---- seeing ----

  snapshot(): Snapshot {
    return buildSnapshot(this.o, this.preflights);
  }

  /** Cost per day and per agent, stories done per day and time in each stage over the last 30 days (in the project's time zone), from its logs. */
  stats(): Promise<ProjectStats> {
    this.statsReader ??= new ProjectStatsReader({ usage: path.join(this.o.huskiesDir, 'token_usage.jsonl'), audit: path.join(this.o.huskiesDir, 'audit.log') });
    return this.statsReader.stats(this.o.clock.now(), this.o.config.project.timezone);
  }

  /** The last `limit` records of a run's transcript before `beforeSeq` (or its end). */
  readTranscript(runId: string, beforeSeq: number | undefined, limit = 500) {
    const run = this.o.state.run(runId);
    if (!run) return Promise.resolve({ records: [], hasOlder: false });
    return readBefore(run.transcript, beforeSeq, limit);
  }

  readTranscriptAfter(runId: string, afterSeq: number, limit = 5000) {
    const run = this.o.state.run(runId);
    if (!run) return Promise.resolve([]);
    return readAfter(run.transcript, afterSeq, limit);
  }

  /** The files a story changed: its worktree or branch against the merge base, or its merge commit once merged. */
  async storyChanges(id: number): Promise<StoryChanges> {
    const item = this.o.state.item(id);
    if (!item) throw new NotFoundError(`There is no story ${id}.`);
    return storyChanges(this.o.root, item, { baseBranch: this.o.config.project.baseBranch, runs: this.o.state.runsForStory(id) });
  }

  /** A file's content at a commit (undefined when it is not there); size-bounded, the path checked. */
  fileAt(commit: string, file: string): Promise<string | undefined> {
    return fileAt(this.o.root, commit, file);
  }

  subscribe(runId: string | '*', listener: LiveListener): { dispose(): void } {
    return this.o.hub.subscribe(runId, listener);
  }

  async dispose(opts: { stopAgents?: boolean } = {}): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.changedTimer) clearTimeout(this.changedTimer);
    await this.o.dispose(opts);
    this.removeAllListeners();
  }

  // ---- inside ----

  private mayRunAgents(): void {
    if (!this.o.trusted) throw new NotTrustedError();
    if (!this.o.initialized) throw new NotInitializedError();
  }

  private budget(): void {
    const stop = this.o.policyContext().budgetStop;
    if (stop) throw new RefusedError(stop);
  }

  /** A command here, or a request to the process that drives the project. */
  private async send(c: Command): Promise<{ runId?: string; itemId?: number }> {
    if (this.o.follower) {
      const r = await this.o.requests.send(c);
      if (!r.ok) throw new RefusedError(r.refusal ?? 'refused');
      await this.o.state.load(); // what the leader wrote
      return { runId: r.runId, itemId: r.itemId };
    }
    if (!this.o.leads()) throw new RefusedError('This process cannot change the project (read-only, or no project here).');
    const events = await this.o.pipeline.require(c);
    const queued = events.find((e) => e.type === 'run.queued');
    const created = events.find((e) => e.type === 'item.created');
    return { runId: queued?.type === 'run.queued' ? queued.run.runId : undefined, itemId: created?.type === 'item.created' ? created.item.id : undefined };
  }

  private async enqueue(c: Command): Promise<RunRecord> {
    const r = await this.send(c);
    const run = r.runId ? this.o.state.run(r.runId) : undefined;
    if (!run) throw new NotFoundError('The run was queued but cannot be read back.');
    return run;
  }

  private onEvent(e: HuskiesEvent): void {
    this.emit('event', e);
    if (e.type === 'item.moved') this.emit('transition', { id: e.id, from: e.from, to: e.to, source: e.kind ? `${e.source}:${e.kind}` : e.source, reason: e.reason });
    else if (e.type === 'run.ended') this.emit('runEnded', e.run, e.outcome);
    else if (e.type === 'run.waiting') this.emit('rateLimited', e.run, e.until);
    else if (e.type === 'agent.failed' && e.drain) this.emit('agentDrained', e.name, e.drain);
    if (e.type !== 'work.progress') this.changed(); // a progress notice changes nothing the board shows
  }

  /**
   * Tells listeners that the state changed, at most every 50 ms: at once (after the events of the
   * same turn) when the last telling is that long ago, else when the 50 ms are up.
   */
  private changed(): void {
    if (this.changedTimer || this.disposed) return;
    this.changedTimer = setTimeout(
      () => {
        this.changedTimer = undefined;
        this.lastChanged = Date.now();
        this.emit('changed');
      },
      Math.max(0, this.lastChanged + 50 - Date.now()),
    );
  }
}
