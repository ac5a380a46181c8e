// The state the pipeline owns, as a read-only view, and the ops that change it. Files back it
// today (fileStateStore.ts); another store (a shared document for build agents on other
// machines) can implement the same interface without any policy changing.
import type { Drain, RateLimit } from '../model/events';
import type { ScheduledTimer, Timer, Trigger } from '../model/commands';
import type { RunRecord } from '../model/run';
import type { Stage } from '../model/stage';
import type { ItemType, WorkItem } from '../model/workItem';
import type { UsageLine } from '../agents/usageLog';

export interface ProjectNote {
  readonly at: number;
  readonly text: string;
  readonly source: string;
}

export interface AgentStateData {
  readonly rateLimited: Readonly<Record<string, RateLimit>>;
  readonly failures: Readonly<Record<string, number>>;
  readonly drained: Readonly<Record<string, Drain>>;
  /** The whole project is paused: no new agent starts. */
  readonly paused?: { readonly since: number; readonly reason: string; readonly source: string };
  /** The project's latest notes, newest last (a few are kept; the audit log has them all). */
  readonly notes?: readonly ProjectNote[];
}

export const EMPTY_AGENT_STATE: AgentStateData = { rateLimited: {}, failures: {}, drained: {} };

export type Op =
  /** frontMatter: extra keys for the new story (an ephemeral story's `ephemeral`, `timer`, `trigger`). */
  | { op: 'item.create'; name: string; itemType: ItemType; criteria: string[]; description?: string; frontMatter?: Record<string, unknown> }
  | { op: 'item.move'; id: number; to: Stage; patch?: Record<string, unknown> }
  | { op: 'item.patch'; id: number; patch: Record<string, unknown>; criterion?: { index: number; done: boolean } }
  | { op: 'run.put'; run: RunRecord }
  | { op: 'agents.put'; state: AgentStateData }
  | { op: 'timer.put'; timer: Timer }
  | { op: 'timer.remove'; id: string }
  | { op: 'schedule.put'; timer: ScheduledTimer }
  | { op: 'schedule.remove'; id: string }
  | { op: 'trigger.put'; trigger: Trigger }
  | { op: 'trigger.remove'; id: string }
  | { op: 'usage.append'; line: Omit<UsageLine, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'> & { usage?: RunRecord['usage'] } };

export interface ApplyResult {
  seq: number;
  /** The item an item.create op wrote. */
  created?: WorkItem;
  /**
   * Settles when the change is on disk (state files written with group commit); undefined when it
   * already is. The change is in memory, and seen by the next command, as soon as apply resolves.
   */
  durable?: Promise<void>;
}

export interface StateView {
  readonly seq: number;
  item(id: number): WorkItem | undefined;
  items(): WorkItem[];
  itemsById(): ReadonlyMap<number, WorkItem>;
  /** The items in one stage by number, from an index kept until the next scan (a store without one filters items()). */
  itemsInStage?(stage: Stage): readonly WorkItem[];
  run(runId: string): RunRecord | undefined;
  runs(): RunRecord[];
  /** Oldest first. */
  runsForStory(id: number): RunRecord[];
  latestRun(id: number): RunRecord | undefined;
  activeRun(id: number): RunRecord | undefined;
  activeRuns(): RunRecord[];
  agentState(): AgentStateData;
  timers(): readonly Timer[];
  /** The scheduled timers (timers.json, beside the resume timers). */
  scheduled(): readonly ScheduledTimer[];
  /** The triggers on stage changes (triggers.json). */
  triggers(): readonly Trigger[];
  /** Reported cost of the runs that ended on this UTC day (YYYY-MM-DD). */
  spentOn(day: string): number;
}

export interface StateStore extends StateView {
  /** Reads everything from its backing; once, before the pipeline starts. */
  load(): Promise<void>;
  /** Applies ops in order and persists each before returning. Only the pipeline calls this. */
  apply(ops: readonly Op[]): Promise<ApplyResult>;
  onDidApply(listener: (ops: readonly Op[], seq: number) => void): { dispose(): void };
}

/** Active (queued or running) first by story, then the latest. */
export function latestOf(runs: readonly RunRecord[]): RunRecord | undefined {
  return runs[runs.length - 1];
}
