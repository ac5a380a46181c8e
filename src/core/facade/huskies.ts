// The facade behind api.ts, one thin method per user action: what a user can do (start, stop, follow up,
// answer, move, create, pause, schedule) as commands to the one writer or requests to the process that
// drives the project, and what a user can see. The longer logic is in schedule.ts and reads.ts.
import { EventEmitter } from 'node:events';
import type { Command, ScheduledTimer, Source, TimerSpec, Trigger, TriggerSpec } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import { NotFoundError, NotInitializedError, NotTrustedError, RefusedError } from '../model/errors';
import type { RunRecord } from '../model/run';
import type { Stage } from '../model/stage';
import type { ItemType, WorkItem } from '../model/workItem';
import { Orchestrator, type OrchestratorOptions } from '../orchestrator';
import { preflight, type Preflight } from '../agents/preflight';
import type { LiveListener } from '../agents/liveHub';
import { buildSnapshot, type Snapshot } from './snapshot';
import { fileAt, type StoryChanges } from '../git/storyDiff';
import type { ProjectStats } from '../stats/projectStats';
import * as reads from './reads';
import * as schedule from './schedule';
import type { Controls } from './schedule';
import { useLauncher } from '../util/launcher';

export type { Controls };

export class Huskies extends EventEmitter {
  readonly o: Orchestrator;
  private preflights: Preflight[] = [];
  private changedTimer?: NodeJS.Timeout;
  private lastChanged = 0;
  private disposed = false;
  private readonly launcher?: { dispose(): void };
  /** A command here, or a request to the process that drives the project. */
  private readonly send: schedule.Send = (c) => schedule.sendCommand(this.o, c);

  constructor(opts: OrchestratorOptions) {
    super();
    this.setMaxListeners(50);
    this.launcher = opts.launcher ? useLauncher(opts.nodePath) : undefined;
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
    return reads.storeView(this.o);
  }
  get registry() {
    return reads.registryView(this.o);
  }
  get hub() {
    return this.o.hub;
  }
  agents() {
    return this.o.standing.agents();
  }
  isInitialized(): boolean {
    return this.o.standing.initialized;
  }

  async start(): Promise<void> {
    await this.o.start();
    void this.runPreflight();
    this.changed();
  }

  setTrusted(trusted: boolean): void {
    this.o.standing.trusted = trusted;
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
    const { why, stackOn } = reads.startCheck(this.o, item);
    if (why) throw new RefusedError(why.startsWith('Story') ? why : `Story ${id} ${why}.`);
    if (opts.agent && !this.o.standing.agents().some((a) => a.name === opts.agent)) throw new RefusedError(`There is no agent named "${opts.agent}" in .huskies/agents.toml.`);
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
    if (!this.o.standing.initialized) throw new NotInitializedError();
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
  pause(id?: number, reason?: string, source: Source = 'user'): Promise<void> {
    return schedule.pause(this.send, id, reason, source);
  }

  /** Lifts a pause of the project (no id) or of one story. */
  resume(id?: number, source: Source = 'user'): Promise<void> {
    return schedule.resume(this.send, id, source);
  }

  /** A note for the project (no id) or a story: kept in the state, the audit log and on the board. */
  note(text: string, id?: number, source: Source = 'user'): Promise<void> {
    return schedule.note(this.send, text, id, source);
  }

  /** The pauses and notes in force: the project's, and each story's (from its front matter). */
  controls(): Controls {
    return schedule.controls(this.o);
  }

  /** Adds a scheduled timer (one-shot at a time, an interval or a cron expression); `at`/`cron` are read in the project's time zone unless the spec names one. */
  addTimer(spec: TimerSpec, source: Source = 'user'): Promise<ScheduledTimer> {
    return schedule.addTimer(this.o, this.send, spec, source);
  }

  /** The scheduled timers, soonest first (the resume timers of rate-limited runs are in the snapshot). */
  timers(): ScheduledTimer[] {
    return schedule.timers(this.o);
  }

  cancelTimer(id: string, source: Source = 'user'): Promise<void> {
    return schedule.cancelTimer(this.send, id, source);
  }

  /** Adds a trigger: an action for every stage change that matches (once: for the first only). */
  addTrigger(spec: TriggerSpec, source: Source = 'user'): Promise<Trigger> {
    return schedule.addTrigger(this.o, this.send, spec, source);
  }

  triggers(): Trigger[] {
    return schedule.triggers(this.o);
  }

  cancelTrigger(id: string, source: Source = 'user'): Promise<void> {
    return schedule.cancelTrigger(this.send, id, source);
  }

  /** Lets a drained agent take work again; false when it was not drained. */
  acknowledgeAgent(name: string, source: Source = 'user'): Promise<boolean> {
    return schedule.acknowledgeAgent(this.send, name, source);
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
    this.preflights = await Promise.all(
      this.o.standing.agents().map((a) => preflight(a, { env, simAgentPath: this.o.opts.simAgentPath, programOverride: this.o.opts.programOverride })),
    );
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
    return reads.projectStats(this.o);
  }

  /** The last `limit` records of a run's transcript before `beforeSeq` (or its end). */
  readTranscript(runId: string, beforeSeq: number | undefined, limit = 500) {
    return reads.readTranscript(this.o, runId, beforeSeq, limit);
  }

  readTranscriptAfter(runId: string, afterSeq: number, limit = 5000) {
    return reads.readTranscriptAfter(this.o, runId, afterSeq, limit);
  }

  /** The files a story changed: its worktree or branch against the merge base, or its merge commit once merged. */
  storyChanges(id: number): Promise<StoryChanges> {
    return reads.storyChanges(this.o, id);
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
    this.launcher?.dispose();
    this.removeAllListeners();
  }

  // ---- inside ----

  private mayRunAgents(): void {
    if (!this.o.standing.trusted) throw new NotTrustedError();
    if (!this.o.standing.initialized) throw new NotInitializedError();
  }

  private budget(): void {
    const stop = this.o.standing.policyContext().budgetStop;
    if (stop) throw new RefusedError(stop);
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
