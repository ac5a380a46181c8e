// The state store backed by files: work items are the markdown files under .huskies/work/
// (WorkStore), runs, timers (resume and scheduled), triggers and agent state are JSON files written atomically the moment they
// change, token usage is an append-only log. Only the pipeline calls apply().
import * as path from 'node:path';
import type { ScheduledTimer, Timer, Trigger } from '../model/commands';
import type { RunRecord } from '../model/run';
import { isActive } from '../model/run';
import type { Stage } from '../model/stage';
import type { WorkItem } from '../model/workItem';
import { WorkStore } from '../store/workStore';
import { UsageLog } from '../agents/usageLog';
import { agentStateSchema, readJsonList, readJsonObject, runSchema, scheduledTimerSchema, timerSchema, triggerSchema, GroupWrite } from './jsonFiles';
import { EMPTY_AGENT_STATE, type AgentStateData, type ApplyResult, type Op, type StateStore } from './types';

const KEEP_ENDED = 500;

export interface FileStateOptions {
  /** Masks secrets in every string of a record before it is written. */
  mask?: <T>(value: T) => T;
}

export class FileStateStore implements StateStore {
  readonly work: WorkStore;
  readonly runsFile: string;
  readonly timersFile: string;
  readonly agentsFile: string;
  readonly triggersFile: string;
  readonly usage: UsageLog;
  private runMap = new Map<string, RunRecord>();
  private byStory = new Map<number, RunRecord[]>();
  private timerList: Timer[] = [];
  private scheduledList: ScheduledTimer[] = [];
  private triggerList: Trigger[] = [];
  private agents: AgentStateData = EMPTY_AGENT_STATE;
  private listeners = new Set<(ops: readonly Op[], seq: number) => void>();
  private problems: string[] = [];
  private mask: <T>(value: T) => T;
  private readonly files: { runs: GroupWrite; timers: GroupWrite; triggers: GroupWrite; agents: GroupWrite };
  seq = 0;

  constructor(
    readonly root: string,
    opts: FileStateOptions = {},
  ) {
    this.work = new WorkStore(root);
    const dir = this.work.huskiesDir;
    this.runsFile = path.join(dir, 'runs.json');
    this.timersFile = path.join(dir, 'timers.json');
    this.agentsFile = path.join(dir, 'agents_state.json');
    this.triggersFile = path.join(dir, 'triggers.json');
    this.usage = new UsageLog(path.join(dir, 'token_usage.jsonl'));
    this.mask = opts.mask ?? (<T>(v: T) => v);
    this.files = {
      runs: new GroupWrite(this.runsFile, () => ({ version: 1, runs: this.runs() })),
      timers: new GroupWrite(this.timersFile, () => ({ version: 1, timers: this.timerList, scheduled: this.scheduledList })),
      triggers: new GroupWrite(this.triggersFile, () => ({ version: 1, triggers: this.triggerList })),
      agents: new GroupWrite(this.agentsFile, () => this.agents),
    };
  }

  /** Problems found while loading the JSON state files (shown, never fatal). */
  loadProblems(): string[] {
    return this.problems;
  }

  async load(): Promise<void> {
    const runs = readJsonList(this.runsFile, 'runs', runSchema);
    const timers = readJsonList(this.timersFile, 'timers', timerSchema);
    const scheduled = readJsonList(this.timersFile, 'scheduled', scheduledTimerSchema, true);
    const triggers = readJsonList(this.triggersFile, 'triggers', triggerSchema);
    const agents = readJsonObject(this.agentsFile, agentStateSchema, { rateLimited: {}, failures: {}, drained: {} });
    this.problems = [...runs.problems, ...timers.problems, ...scheduled.problems, ...triggers.problems, ...agents.problems];
    this.runMap = new Map(runs.value.map((r) => [r.runId, r as unknown as RunRecord]));
    this.reindex();
    this.timerList = timers.value;
    this.scheduledList = scheduled.value as ScheduledTimer[];
    this.triggerList = triggers.value as Trigger[];
    this.agents = agents.value;
    this.usage.load();
    await this.work.scan();
  }

  // ---- the view ----

  item(id: number): WorkItem | undefined {
    return this.work.get(id);
  }
  items(): WorkItem[] {
    return this.work.all();
  }
  itemsById(): ReadonlyMap<number, WorkItem> {
    return this.work.itemsById();
  }
  itemsInStage(stage: Stage): readonly WorkItem[] {
    return this.work.inStage(stage);
  }
  run(runId: string): RunRecord | undefined {
    return this.runMap.get(runId);
  }
  runs(): RunRecord[] {
    return [...this.runMap.values()];
  }
  runsForStory(id: number): RunRecord[] {
    return this.byStory.get(id) ?? [];
  }
  latestRun(id: number): RunRecord | undefined {
    const l = this.byStory.get(id);
    return l?.[l.length - 1];
  }
  activeRun(id: number): RunRecord | undefined {
    return this.byStory.get(id)?.find(isActive);
  }
  activeRuns(): RunRecord[] {
    return this.runs().filter(isActive);
  }
  agentState(): AgentStateData {
    return this.agents;
  }
  timers(): readonly Timer[] {
    return this.timerList;
  }
  scheduled(): readonly ScheduledTimer[] {
    return this.scheduledList;
  }
  triggers(): readonly Trigger[] {
    return this.triggerList;
  }
  spentOn(day: string): number {
    return this.usage.spentOn(day);
  }

  onDidApply(listener: (ops: readonly Op[], seq: number) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  // ---- the one way in ----

  async apply(ops: readonly Op[]): Promise<ApplyResult> {
    let created: WorkItem | undefined;
    let runsDirty = false;
    let timersDirty = false;
    let agentsDirty = false;
    let triggersDirty = false;
    for (const op of ops) {
      switch (op.op) {
        case 'item.create':
          created = await this.work.create({ name: op.name, type: op.itemType, criteria: op.criteria, description: op.description });
          if (op.frontMatter) await this.work.patch(created.id, this.mask(op.frontMatter));
          await this.work.scan();
          if (op.frontMatter) created = this.work.get(created.id) ?? created;
          break;
        case 'item.move':
          await this.work.move(op.id, op.to, op.patch ? this.mask(op.patch) : undefined);
          break;
        case 'item.patch':
          await this.work.patch(op.id, this.mask(op.patch), op.criterion);
          break;
        case 'run.put':
          this.runMap.set(op.run.runId, this.mask(op.run));
          runsDirty = true;
          break;
        case 'agents.put':
          this.agents = this.mask(op.state);
          agentsDirty = true;
          break;
        case 'timer.put':
          this.timerList = [...this.timerList.filter((t) => t.id !== op.timer.id), this.mask(op.timer)];
          timersDirty = true;
          break;
        case 'timer.remove':
          this.timerList = this.timerList.filter((t) => t.id !== op.id);
          timersDirty = true;
          break;
        case 'schedule.put':
          this.scheduledList = [...this.scheduledList.filter((t) => t.id !== op.timer.id), this.mask(op.timer)];
          timersDirty = true;
          break;
        case 'schedule.remove':
          this.scheduledList = this.scheduledList.filter((t) => t.id !== op.id);
          timersDirty = true;
          break;
        case 'trigger.put':
          this.triggerList = [...this.triggerList.filter((t) => t.id !== op.trigger.id), this.mask(op.trigger)];
          triggersDirty = true;
          break;
        case 'trigger.remove':
          this.triggerList = this.triggerList.filter((t) => t.id !== op.id);
          triggersDirty = true;
          break;
        case 'usage.append':
          this.usage.append(op.line);
          break;
      }
    }
    // The JSON files are written with group commit: changes applied while a write is under way go
    // to disk together in the next one. `durable` says when this change is on disk.
    const writes: Promise<void>[] = [];
    if (runsDirty) {
      this.trimEnded();
      this.reindex();
      writes.push(this.files.runs.save());
    }
    if (timersDirty) writes.push(this.files.timers.save());
    if (triggersDirty) writes.push(this.files.triggers.save());
    if (agentsDirty) writes.push(this.files.agents.save());
    this.seq++;
    for (const l of this.listeners) l(ops, this.seq);
    return { seq: this.seq, created, durable: writes.length ? Promise.all(writes).then(() => undefined) : undefined };
  }

  private trimEnded(): void {
    if (this.runMap.size <= KEEP_ENDED) return;
    const ended = this.runs()
      .filter((r) => !isActive(r))
      .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
    for (const r of ended.slice(KEEP_ENDED)) this.runMap.delete(r.runId);
  }

  private reindex(): void {
    const m = new Map<number, RunRecord[]>();
    for (const r of this.runMap.values()) {
      let l = m.get(r.storyId);
      if (!l) m.set(r.storyId, (l = []));
      l.push(r);
    }
    for (const l of m.values()) l.sort((a, b) => a.queuedAt - b.queuedAt || a.runId.localeCompare(b.runId));
    this.byStory = m;
  }
}
