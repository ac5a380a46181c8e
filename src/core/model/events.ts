// One typed event per change the pipeline applied. Subscribers (policies, the pool, the
// extension, the CLI) react to these and never to each other.
import type { RunOutcome } from './agentMessage';
import type { HelpRequest, RunFacts, ScheduledTimer, Source, Timer, Trigger, TransitionKind } from './commands';
import type { RunRecord } from './run';
import type { Stage } from './stage';
import type { WorkItem } from './workItem';

export interface Drain {
  since: number;
  failures: number;
  reason: string;
}

/** Long work the progress indicators show: a story's worktree being made (and set up), its QA gates, its merge. */
export type WorkKind = 'worktree' | 'gates' | 'merge';

export interface RateLimit {
  until: number;
  reason: string;
}

export type HuskiesEvent =
  | { type: 'item.created'; item: WorkItem; source: Source }
  /** A stage change: from null is a new file, to null a removed one. */
  | { type: 'item.moved'; id: number; from: Stage | null; to: Stage | null; source: Source; kind?: TransitionKind; reason?: string }
  | { type: 'item.changed'; id: number; source: Source }
  | { type: 'item.blocked'; id: number; reason: string; source: Source }
  | { type: 'item.unblocked'; id: number; source: Source }
  | { type: 'item.questionAsked'; id: number; runId: string; question: string; options?: string[] }
  | { type: 'item.answered'; id: number; answer: string; source: Source }
  | { type: 'run.queued'; run: RunRecord; source: Source }
  | { type: 'run.launched'; run: RunRecord }
  | { type: 'run.updated'; run: RunRecord }
  | { type: 'run.stopRequested'; run: RunRecord }
  | { type: 'run.ended'; run: RunRecord; outcome: RunOutcome; facts: RunFacts }
  | { type: 'run.handled'; run: RunRecord }
  | { type: 'run.waiting'; run: RunRecord; key?: string; until: number; reason: string }
  | { type: 'agent.failed'; name: string; failures: number; drain?: Drain }
  | { type: 'agent.succeeded'; name: string }
  | { type: 'agent.acknowledged'; name: string }
  | { type: 'agent.limitsExpired'; keys: string[] }
  | { type: 'control.paused'; id?: number; reason: string; source: Source }
  | { type: 'control.resumed'; id?: number; source: Source }
  | { type: 'control.noted'; id?: number; text: string; source: Source }
  | { type: 'help.requested'; request: HelpRequest }
  | { type: 'mcp.called'; runId?: string; storyId?: number; tool: string; summary: string; ok: boolean }
  | { type: 'timer.fired'; timer: Timer; run?: RunRecord; skipped?: string }
  | { type: 'timer.added'; timer: ScheduledTimer; source: Source }
  | { type: 'timer.cancelled'; timer: ScheduledTimer; source: Source }
  /** A scheduled timer came due (late: it was due while nothing ran); its action follows. */
  | { type: 'timer.due'; timer: ScheduledTimer; late: boolean }
  | { type: 'timer.finished'; timer: ScheduledTimer; ok: boolean; error?: string; storyId?: number }
  | { type: 'trigger.added'; trigger: Trigger; source: Source }
  | { type: 'trigger.cancelled'; trigger: Trigger; source: Source }
  /** A trigger matched a stage change of story `storyId`; its action follows. */
  | { type: 'trigger.due'; trigger: Trigger; storyId: number }
  | { type: 'trigger.finished'; trigger: Trigger; ok: boolean; error?: string; storyId?: number }
  /** The loop guard stopped a trigger. */
  | { type: 'trigger.stopped'; trigger: Trigger; reason: string }
  /** A notice, not a change: long work on story `id` starts, reaches a step, or ends (every start has one end, also on failure). */
  | { type: 'work.progress'; kind: WorkKind; id: number; phase: 'start' | 'step' | 'end'; message?: string; ok?: boolean };

export type EventType = HuskiesEvent['type'];
