// Every change of pipeline state is asked for as one Command and goes through the one writer
// (src/core/pipeline/pipeline.ts). Facts from outside (a file moved by hand, an agent that exited)
// are commands too: recorded, never refused for being inconvenient.
import type { OutcomeKind, RunOutcome } from './agentMessage';
import type { RunDisposition, RunRecord } from './run';
import type { Stage } from './stage';
import type { ItemType, WorkItem } from './workItem';

/** Who asked: shown in the audit log and on the board. */
export type Source = 'user' | 'board' | 'cli' | 'orchestrator' | 'agent' | 'watcher' | 'timer' | 'mcp' | 'startup';

export type TransitionKind = 'start' | 'coded' | 'qa_passed' | 'merged' | 'archive' | 'demote' | 'fixup' | 'qa_failed' | 'abandon';

export interface Timer {
  id: string;
  kind: 'resume';
  storyId: number;
  /** Epoch ms. */
  at: number;
  /** The run to resume (same worktree, same session). */
  runId?: string;
  sessionId?: string;
  agent?: string;
  reason: string;
}

/** Something the user can do about a help request; the surfaces (VS Code, the CLI) map each kind to their own action. */
export type HelpAction =
  | { kind: 'acknowledge'; agent: string }
  | { kind: 'unblock' | 'resume' | 'fixup' | 'review' | 'openStory'; storyId: number }
  | { kind: 'resumeProject' }
  | { kind: 'showOutput'; runId: string }
  | { kind: 'openBoard' };

/** Work that is stuck and needs the user: raised once, then repeated with a growing interval while its reason holds. */
export interface HelpRequest {
  /** Stable while the same condition holds, e.g. `no-agent`, `silent:<runId>`, `never:<storyId>`. */
  key: string;
  storyId?: number;
  reason: string;
  actions: HelpAction[];
  /** Epoch ms when the condition was first seen. */
  since: number;
}

/** What a scheduled timer or a trigger does: call an orchestrator tool (MCP), or start an agent on a new ephemeral story. */
export type ScheduleAction = { tool: string; args: Record<string, unknown> } | { prompt: string; agent?: string };

/** A scheduled timer as asked for: exactly one of `at`, `every`, `cron`. */
export interface TimerSpec {
  /** One-shot: an ISO time, or "HH:MM" (the next such time in the time zone). */
  at?: string;
  /** Recurring: an interval such as "30m", "every 2h", "90s" (at least 60 seconds), or seconds. */
  every?: string | number;
  /** Recurring: a cron expression (5 or 6 fields). */
  cron?: string;
  /** An IANA time zone for `at` and `cron`; the project's (project.toml `timezone`) by default. */
  timezone?: string;
  action: ScheduleAction;
  name?: string;
}

export type TimerSchedule = { kind: 'at'; at: string } | { kind: 'every'; seconds: number } | { kind: 'cron'; cron: string };

/** A scheduled timer as kept in .huskies/timers.json (beside the resume timers). */
export interface ScheduledTimer {
  id: string;
  name?: string;
  schedule: TimerSchedule;
  timezone: string;
  action: ScheduleAction;
  /** Epoch ms of the next firing; absent once a one-shot timer fired. */
  nextAt?: number;
  /** Epoch ms the interval counts from. */
  anchorAt: number;
  createdAt: number;
  source: Source;
  fired: number;
  lastFiredAt?: number;
  lastError?: string;
}

/** Which stage changes (item.moved) a trigger answers; every given field must match. */
export interface TriggerPredicate {
  from?: Stage;
  to?: Stage;
  type?: ItemType;
  story?: number;
  /** A front-matter key, with the value it must have (any value when absent). */
  key?: string;
  value?: string | number | boolean;
  /** A label in the story's `labels` front matter. */
  label?: string;
}

export interface TriggerSpec {
  when: TriggerPredicate;
  action: ScheduleAction;
  /** once: removed after it fired; persistent (the default): fires on every match. */
  mode?: 'once' | 'persistent';
  name?: string;
}

/** A trigger as kept in .huskies/triggers.json. */
export interface Trigger {
  id: string;
  name?: string;
  when: TriggerPredicate;
  action: ScheduleAction;
  mode: 'once' | 'persistent';
  createdAt: number;
  source: Source;
  fired: number;
  /** Recent firing times (epoch ms), for the loop guard. */
  recent: number[];
  lastFiredAt?: number;
  lastError?: string;
  /** Why it no longer fires (the loop guard stopped it, or a once trigger fired). */
  disabled?: string;
}

/** What the pool found out about a run when its program exited. */
export interface RunFacts {
  /** Commits on the story branch since the run's base commit. */
  commitsAhead?: number;
  /** Uncommitted changes left in the worktree. */
  dirty?: boolean;
  /** A question the agent left for the user (.huskies-question.json). */
  question?: string;
  /** The choices it offered with the question, if any ("options" in the same file). */
  questionOptions?: string[];
  /** A QA agent's verdict file, taken out of the worktree and validated. */
  verdict?: { ok: true; approve: boolean; summary: string } | { ok: false; problem: string };
  /** Where a mergemaster left the merge worktree: resolved means a new commit, a clean tree, no merge in progress. */
  merge?: { resolved: boolean; detail: string };
}

/** Why a merge failed: a mergemaster can help with conflicts and failing gates, not with the rest. */
export type MergeFailureKind = 'conflict' | 'gates' | 'empty' | 'error';

/** A change seen on disk that the pipeline did not make. */
export type ExternalChange =
  { kind: 'added'; item: WorkItem } | { kind: 'removed'; item: WorkItem } | { kind: 'moved'; item: WorkItem; from: Stage } | { kind: 'changed'; item: WorkItem };

export type Command =
  | { type: 'item.create'; name: string; itemType: ItemType; criteria: string[]; description?: string; dependsOn?: number[]; source: Source }
  | { type: 'item.transition'; id: number; kind: TransitionKind; source: Source; reason?: string }
  /** A user's explicit move to any stage (`huskies move`, the board). */
  | { type: 'item.move'; id: number; to: Stage; source: Source; reason?: string }
  | { type: 'item.block'; id: number; reason: string; source: Source; runId?: string; handled?: RunDisposition }
  | { type: 'item.unblock'; id: number; source: Source }
  /** An agent's question for the user, with the choices it suggests (kept in front matter as `question_options`). */
  | { type: 'item.ask'; id: number; runId: string; question: string; options?: string[]; source: Source }
  | { type: 'item.answer'; id: number; answer: string; source: Source }
  | { type: 'item.external'; change: ExternalChange }
  /** The user's review verdict on a story in QA: approve sends it to merge; reject back to its coder. */
  | { type: 'item.approve'; id: number; source: Source }
  | { type: 'item.reject'; id: number; feedback: string; source: Source }
  /** The server QA gates ran on a story in QA: pass → merge; fail → back to its coder (retries count), then blocked. */
  | {
      type: 'item.qaResult';
      id: number;
      ok: boolean;
      summary: string;
      output: string;
      maxRetries: number;
      source: Source;
      /** The QA agent's run whose verdict this is (marked handled in the same write). */
      runId?: string;
      by?: 'gates' | 'agent';
    }
  /** A merge finished: merged (on to done, with the commit) or failed (merge_failure with the reason, for a fix-up). */
  | ({ type: 'item.mergeResult'; id: number; source: Source } & (
      { ok: true; commit: string; base: string; pending?: string } | { ok: false; reason: string; kind: MergeFailureKind; files?: string[] }
    ))
  /** A story whose merge failed gets a mergemaster run, or is blocked when `max` attempts were spent. */
  | { type: 'item.mergemaster'; id: number; max: number; source: Source }
  /** A stacked story's parent landed: its branch was rebased onto the base (ok), or could not be, and the merge will combine them. */
  | { type: 'item.restacked'; id: number; parent: number; ok: boolean; note: string; source: Source }
  /** Ticks (or unticks) acceptance criterion `index` (0-based) in the story file. */
  | { type: 'item.checkCriterion'; id: number; index: number; done: boolean; source: Source; runId?: string }
  /** Pause: no new agent starts for the project (no id) or the story; running agents finish. */
  | { type: 'control.pause'; id?: number; reason: string; source: Source }
  | { type: 'control.resume'; id?: number; source: Source }
  /** A note for the project (no id) or a story: in the audit log and on the board. */
  | { type: 'control.note'; id?: number; text: string; source: Source }
  /** An agent's call of an orchestrator tool (MCP), recorded: what it changed is a command of its own. */
  | { type: 'mcp.call'; runId?: string; storyId?: number; tool: string; summary: string; ok: boolean }
  /** Stuck work that needs the user, raised (or raised again): recorded, it changes no state. */
  | { type: 'control.help'; request: HelpRequest; source: Source }
  /** A mergemaster committed a resolution: the merge is tried again. */
  | { type: 'item.mergeRetry'; id: number; runId: string; source: Source }
  /** Archived with a reason, from any stage but archived. */
  | { type: 'item.abandon'; id: number; reason: string; source: Source }
  | {
      type: 'run.enqueue';
      id: number;
      source: Source;
      agent?: string;
      prompt?: string;
      attempt: number;
      sessionId?: string;
      history?: readonly string[];
      reason?: string;
      /** A QA agent's review or a mergemaster's resolution; absent for coding. */
      role?: 'qa' | 'mergemaster';
      /** Start from this parent's branch (stack_on_parents): recorded on the story as `stacked_on`. */
      stackOn?: number;
      /** The ended run this one follows up; it is marked handled in the same write, once. */
      supersedes?: { runId: string; handled: RunDisposition; ifUnhandled?: boolean };
      /** Drop the story's pending resume timers in the same write. */
      clearTimers?: boolean;
    }
  /** The pool takes a queued run: it counts as running from now on. */
  | { type: 'run.launch'; runId: string; agent: string; runtime: string; maxCoders: number }
  | { type: 'run.started'; runId: string; pid: number; pidStart?: number; supervisorPid?: number; worktree?: string; branch?: string; baseCommit?: string }
  | { type: 'run.workspace'; runId: string; worktree: string; branch: string; baseCommit: string }
  | { type: 'run.session'; runId: string; sessionId: string }
  | { type: 'run.replied'; runId: string }
  | { type: 'run.stop'; id: number; kind: OutcomeKind; reason: string; byUser: boolean; source: Source; handled?: RunDisposition }
  | { type: 'run.ended'; runId: string; outcome: RunOutcome; facts: RunFacts; lastSeq: number }
  | { type: 'run.handled'; runId: string; handled: RunDisposition; history?: readonly string[] }
  /** A rate limit or an overload: the agent (or its runtime) waits, and a timer resumes the story. */
  | { type: 'run.wait'; runId: string; limitKey?: string; until: number; reason: string; resumeSession: boolean }
  | { type: 'agent.failure'; name: string; reason: string; threshold: number }
  | { type: 'agent.success'; name: string }
  | { type: 'agent.acknowledge'; name: string; source: Source }
  | { type: 'agent.expireLimits'; now: number }
  | { type: 'timer.fire'; timerId: string; source: Source }
  /** A scheduled timer: `timer` is the spec with its id and time zone filled in. */
  | { type: 'timer.add'; timer: TimerSpec & { id: string; timezone: string }; source: Source }
  | { type: 'timer.cancel'; timerId: string; source: Source }
  /** What a scheduled timer's action came to (a failure is kept in its record). */
  | { type: 'timer.result'; timerId: string; ok: boolean; error?: string; storyId?: number }
  | { type: 'trigger.add'; trigger: TriggerSpec & { id: string }; source: Source }
  | { type: 'trigger.cancel'; triggerId: string; source: Source }
  /** A stage change matched a trigger; the rule applies the loop guard. */
  | { type: 'trigger.fire'; triggerId: string; storyId: number; from: Stage | null; to: Stage | null; source: Source }
  | { type: 'trigger.result'; triggerId: string; ok: boolean; error?: string; storyId?: number }
  /** A new backlog story for a timer's or trigger's prompt (front matter ephemeral: true). */
  | { type: 'schedule.ephemeral'; name: string; prompt: string; origin: { timer: string } | { trigger: string; story: number }; agent?: string; source: Source };

export type CommandType = Command['type'];

export type { RunRecord };
