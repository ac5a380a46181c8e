// The facade: the only module src/extension and src/cli import from the core. Everything they
// need — the Huskies class, the types they render, and a few helpers — comes from here.
export { Huskies, type Controls } from './facade/huskies';
export type { Snapshot } from './facade/snapshot';
export type { OrchestratorOptions as HuskiesOptions } from './orchestrator';
export type { HuskiesEvent, Drain, RateLimit } from './model/events';
export type { Command, Source, Timer, ScheduledTimer, TimerSpec, TimerSchedule, Trigger, TriggerSpec, TriggerPredicate, ScheduleAction } from './model/commands';
export { describeAction, describeSchedule } from './schedule/spec';
export { describePredicate } from './pipeline/scheduleRules';
export type { RunRecord, RunStatus } from './model/run';
export type { WorkItem, ItemType, Criterion } from './model/workItem';
export { ITEM_TYPES } from './model/workItem';
export { STAGES, STAGE_TITLES, STAGE_FOLDERS, isStage, type Stage } from './model/stage';
export type { AgentMessage, TranscriptRecord, RunOutcome, Usage } from './model/agentMessage';
export { HuskiesError, RefusedError, NotFoundError, NotTrustedError, NotInitializedError, LeaderUnavailableError } from './model/errors';
export type { AgentSpec, HuskiesConfig } from './config/config';
export type { Preflight } from './agents/preflight';
export type { LiveBatch, LiveListener } from './agents/liveHub';
export type { Logger } from './util/log';
export { consoleLogger, nullLogger, redact, secretValues } from './util/log';
export { maskMessage } from './agents/mask';
export { safeStringify } from './agents/parsers';
export { initProject, type InitResult } from './project';
export { isGitRepo, git } from './git/git';
export { parseNameStatusZ, badRepoPath, isCommitId, type ChangedFile, type ChangeStatus, type StoryChanges } from './git/storyDiff';
export { which } from './agents/runtimes';
export { signalGroup } from './agents/agentProcess';
export { handSession } from './mcp/handoff';
export { claudeMcpConfig } from './agents/runtimes';
