// The messages between the extension host and its webviews (board and agent output),
// shared by both sides. Every message from a webview is validated with parseWebviewMessage:
// the webview is not trusted.
import type { AgentMessage, TranscriptRecord } from '../core/model/agentMessage';
import type { Stage } from '../core/model/stage';

export type { AgentMessage, TranscriptRecord, Stage };

/** A story card as the board shows it. */
export interface CardView {
  id: number;
  type: string;
  name: string;
  stage: Stage;
  fileName: string;
  criteriaDone: number;
  criteriaTotal: number;
  agent?: string;
  blocked: boolean;
  blockedReason?: string;
  invalid?: string;
  /** The latest run on this story, if any. */
  run?: RunView;
  costUsd?: number;
  /** An agent's open question (the story is blocked until it is answered). */
  question?: string;
  /** The answers the agent suggests (front matter question_options): buttons, answered by index. */
  questionOptions?: string[];
  /**
   * The agent the story's next run waits for is rate-limited: which, until when (epoch ms), and the
   * other agents of the same role that could take it now (for "Use another agent").
   */
  agentLimit?: { agent: string; until: number; others: string[] };
  /** Epoch ms when a rate-limit resume timer fires for this story. */
  resumeAt?: number;
  /** Why the story is not moving (waits for a dependency, a drained agent, a free slot…). */
  waiting?: string;
  /** Started from this parent's branch (stack_on_parents), which has not landed yet. */
  stackedOn?: number;
  /** The story has changes to review: a branch (or worktree) while in progress, its merge commit once done. */
  reviewable?: boolean;
  /** The story's worktree folder exists (as far as its runs tell): it can be opened in a window. */
  hasWorktree?: boolean;
  /** The last merge attempt failed: why (merge_failure in its front matter). */
  mergeFailure?: string;
  /** A human is asked to approve or reject it (qa: human, review_hold, or no gates to run). */
  needsReview?: boolean;
  /** Number of agent runs on the story so far. */
  runCount?: number;
  /** Paused (no new agent starts on it): the reason given, or "paused". */
  paused?: string;
  /** The story's note (front matter `note`). */
  note?: string;
}

/** A help request for stuck work: what is wrong, and the buttons that resolve it (sent back by index). */
export interface HelpView {
  key: string;
  storyId?: number;
  reason: string;
  since: number;
  actions: string[];
}

/** The project's pause and its latest notes, newest last. */
export interface ProjectView {
  paused?: { since: number; reason: string };
  notes: { at: number; text: string; source: string }[];
}

/** A scheduled timer as the board lists it. */
export interface TimerView {
  id: string;
  name?: string;
  schedule: string;
  action: string;
  nextAt?: number;
  fired: number;
  lastError?: string;
}

/** A trigger as the board lists it. */
export interface TriggerView {
  id: string;
  name?: string;
  when: string;
  action: string;
  mode: string;
  fired: number;
  lastError?: string;
  disabled?: string;
}

/** Everything a user can do with a card, on its buttons, its context menu or a command. */
export const CARD_ACTIONS = [
  'start',
  'stop',
  'answer',
  'approve',
  'reject',
  'unblock',
  'fixup',
  'followup',
  'otherAgent',
  'review',
  'output',
  'runs',
  'worktree',
  'move',
  'pause',
  'resume',
  'note',
  'demote',
  'abandon',
] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

/** The actions shown as buttons on the card itself; the context menu offers every action that applies. */
export const CARD_BUTTONS: ReadonlySet<CardAction> = new Set<CardAction>(['start', 'stop', 'approve', 'reject', 'unblock', 'fixup', 'followup', 'review', 'output']);

function isActiveRun(run: RunView | undefined): boolean {
  return run !== undefined && (run.status === 'running' || run.status === 'queued');
}

/** Which actions apply to a card in its stage and state, in menu order. Shared by the board and the host. */
export function cardActions(c: CardView): CardAction[] {
  const active = isActiveRun(c.run);
  const ended = c.run !== undefined && !active;
  const a: CardAction[] = [];
  // A blocked or invalid story offers no Start: it is unblocked (or fixed) first.
  // Nor does an open question: the answer resumes the agent that asked.
  if (!active && !c.blocked && !c.invalid && !c.question && (c.stage === 'backlog' || c.stage === 'current')) a.push('start');
  if (active) a.push('stop');
  // An open question is answered instead of unblocked: the answer resumes the agent.
  if (c.question) a.push('answer');
  if (c.stage === 'qa' && !active && !c.blocked && !c.invalid) a.push('approve', 'reject');
  if (c.blocked && !c.question) a.push('unblock');
  // Also once the mergemaster gave up and the story is blocked: a fix-up is one of the ways on.
  if (c.stage === 'merge' && c.mergeFailure !== undefined && !active && !c.invalid) a.push('fixup');
  if (ended && !c.question && (c.stage === 'current' || c.stage === 'qa')) a.push('followup');
  // The next run waits for a rate-limited agent while another one is free.
  if (c.agentLimit && c.agentLimit.others.length > 0 && c.run?.status !== 'running' && !c.blocked && !c.invalid && c.paused === undefined) a.push('otherAgent');
  if (c.reviewable && (c.stage === 'current' || c.stage === 'qa' || c.stage === 'merge' || c.stage === 'done')) a.push('review');
  if (c.run) a.push('output');
  if ((c.runCount ?? (c.run ? 1 : 0)) > 0) a.push('runs');
  if (c.hasWorktree && c.stage !== 'done' && c.stage !== 'archived') a.push('worktree');
  if (c.stage !== 'archived' && !c.invalid) a.push('move');
  const open = c.stage === 'backlog' || c.stage === 'current' || c.stage === 'qa' || c.stage === 'merge';
  if (c.paused !== undefined) a.push('resume');
  else if (open && !c.invalid) a.push('pause');
  if (c.stage !== 'archived' && !c.invalid) a.push('note');
  if (c.stage === 'current' || c.stage === 'qa' || c.stage === 'merge') a.push('demote');
  if (c.stage !== 'archived') a.push('abandon');
  return a;
}

/** The context key a card sets (in data-vscode-context) for an action, read by the menus' when clauses. */
export function actionContextKey(a: CardAction): string {
  return `huskies${a.charAt(0).toUpperCase()}${a.slice(1)}`;
}

export interface AgentView {
  name: string;
  runtime: string;
  /** The program it runs, by name (Claude Code, Codex, Gemini CLI, the command's name, simulated agent). */
  program?: string;
  running: number;
  /** Preflight: program found, logged in. */
  ok: boolean;
  status: string;
  rateLimitedUntil?: number;
  drained?: string;
  costUsd: number;
}

export interface RunView {
  runId: string;
  storyId: number;
  agent: string;
  runtime: string;
  /** The program that ran (see programName); absent while queued. */
  program?: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'stopped';
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  /** How it ended (rate_limited, overloaded… are waits, not failures). */
  outcome?: string;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
  lastSeq: number;
}

export interface BoardState {
  projectName: string;
  /** False when the folder has no .huskies/ project yet. */
  initialized: boolean;
  trusted: boolean;
  cards: CardView[];
  running: number;
  queued: number;
  maxCoders: number;
  /** Configuration problems, shown on the board: file, line, key and what is wrong. */
  problems: string[];
  agents: AgentView[];
  spentToday: number;
  /** Why new agents do not start, when they do not. */
  paused?: string;
  /** Stuck work that needs the user. */
  help?: HelpView[];
  project?: ProjectView;
  timers?: TimerView[];
  triggers?: TriggerView[];
  /** Stories per stage, counting the stages whose cards were not sent (a board gets only the stages it shows). */
  counts?: Partial<Record<Stage, number>>;
}

/** BoardState without its cards: the fields a delta replaces whole when they change. */
export type BoardFields = Omit<BoardState, 'cards'>;

/**
 * What changed between two board states sent to one webview (see src/protocol/boardDelta.ts).
 * A replica's cards are grouped by stage; within a stage they keep the host's order.
 */
export interface BoardDelta {
  /** Cards new to the board or changed, whole. */
  upsert?: CardView[];
  /** Ids of cards no longer sent: deleted, or moved to a stage the board does not show. */
  remove?: number[];
  /** The full id order of each stage whose order is not the one the replica derives by itself. */
  order?: Partial<Record<Stage, number[]>>;
  /** Top-level fields that changed, whole. */
  set?: Partial<BoardFields>;
  /** Top-level fields that are no longer set. */
  unset?: (keyof BoardFields)[];
}

/** The board's charts: the project's cost and throughput over its last days (from token_usage.jsonl and audit.log). */
export interface ChartsView {
  /** The zone the days are counted in (project.toml `timezone`). */
  timezone: string;
  /** YYYY-MM-DD, oldest first; the per-day lists line up with it. */
  days: string[];
  costPerDay: number[];
  runsPerDay: number[];
  /** Within the same days, the most expensive agent first. */
  costPerAgent: { agent: string; costUsd: number; runs: number }[];
  donePerDay: number[];
  /** Time in each stage, for the stays that ended within the days, in pipeline order. */
  stageTimes: { stage: Stage; count: number; medianMs: number; meanMs: number }[];
  /** Log lines that could not be read. */
  skipped: { usage: number; audit: number };
}

// ---- host → webview ----
export type HostMessage =
  /** The board replica's base: every later delta applies to it, in seq order (seq of the first delta = seq + 1). */
  | { type: 'boardSnapshot'; seq: number; state: BoardState }
  | { type: 'boardDelta'; seq: number; delta: BoardDelta }
  | { type: 'output'; run: RunView; records: TranscriptRecord[]; hasOlder: boolean; story?: { id: number; name: string } }
  /** Live records in seq order; `run` when the run's header changed too (one message instead of two). */
  | { type: 'outputAppend'; runId: string; records: TranscriptRecord[]; run?: RunView }
  | { type: 'outputRun'; run: RunView }
  | { type: 'outputOlder'; runId: string; records: TranscriptRecord[]; hasOlder: boolean }
  | { type: 'outputEmpty'; message: string }
  /** A drag (or Move to…) the pipeline refused: the card goes back and says why. */
  | { type: 'moveRefused'; storyId: number; to: Stage; reason: string }
  /** The answer to requestCharts. */
  | { type: 'charts'; data: ChartsView };

// ---- webview → host ----
export type WebviewMessage =
  /**
   * The page is listening. An output page that painted the first page its document carried says which
   * run and up to which seq it shows: the host goes on from there instead of sending the page again.
   */
  | { type: 'ready'; shows?: { runId: string; lastSeq: number } }
  /** The stages whose cards this board shows (expanded sections): the host sends only their cards, and counts for all. */
  | { type: 'boardView'; stages: Stage[] }
  /** The board saw a gap in the delta sequence: it asks for a fresh snapshot. */
  | { type: 'resync' }
  /** The board's Charts section is open: it asks for the numbers (every few seconds at most). */
  | { type: 'requestCharts' }
  | { type: 'startAgent'; storyId: number }
  | { type: 'stopAgent'; storyId: number }
  | { type: 'openOutput'; storyId: number }
  | { type: 'openStory'; storyId: number }
  | { type: 'newStory' }
  | { type: 'initProject' }
  | { type: 'loadOlder'; runId: string; beforeSeq: number }
  /** The output panel paged far back and wants the live tail again: the host answers with a fresh `output`. */
  | { type: 'jumpToLatest'; runId: string }
  | { type: 'followUp'; storyId: number }
  | { type: 'answer'; storyId: number }
  /** One of the answers the agent suggested, by its index in the card's questionOptions: the host looks the text up. */
  | { type: 'answerOption'; storyId: number; index: number }
  | { type: 'approve'; storyId: number }
  | { type: 'reject'; storyId: number }
  | { type: 'unblock'; storyId: number }
  | { type: 'acknowledgeAgent'; agent: string }
  /** A card dropped on another stage's column. */
  | { type: 'moveStory'; storyId: number; to: Stage }
  /** A card action without a message of its own (review, runs, worktree, fix-up, demote, abandon, move…). */
  | { type: 'cardAction'; storyId: number; action: CardAction }
  /** A button of a help request: the host looks the request up by key and does its action number `index`. */
  | { type: 'helpAction'; key: string; index: number }
  /** The project bar: pause, resume, add a note. */
  | { type: 'projectControl'; action: ProjectControl }
  | { type: 'addSchedule'; kind: ScheduleKind }
  | { type: 'cancelSchedule'; kind: ScheduleKind; id: string };

export const PROJECT_CONTROLS = ['pause', 'resume', 'note'] as const;
export type ProjectControl = (typeof PROJECT_CONTROLS)[number];
export type ScheduleKind = 'timer' | 'trigger';
const HELP_KEY = /^[A-Za-z0-9:_.-]{1,200}$/;
const SCHEDULE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const isScheduleKind = (v: unknown): v is ScheduleKind => v === 'timer' || v === 'trigger';

const RUN_ID = /^[A-Za-z0-9_.-]{1,128}$/;

const STAGE_NAMES: readonly string[] = ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] satisfies Stage[];

function isStageName(v: unknown): v is Stage {
  return typeof v === 'string' && STAGE_NAMES.includes(v);
}

function isCardAction(v: unknown): v is CardAction {
  return typeof v === 'string' && (CARD_ACTIONS as readonly string[]).includes(v);
}

function isStoryId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e9;
}

function isShows(v: unknown): v is { runId: string; lastSeq: number } {
  if (typeof v !== 'object' || v === null) return false;
  const { runId, lastSeq } = v as Record<string, unknown>;
  return typeof runId === 'string' && RUN_ID.test(runId) && typeof lastSeq === 'number' && Number.isInteger(lastSeq) && lastSeq >= 0;
}

/** Returns the message when it is well-formed, otherwise undefined. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return isShows(m.shows) ? { type: 'ready', shows: { runId: m.shows.runId, lastSeq: m.shows.lastSeq } } : { type: 'ready' };
    case 'resync':
    case 'requestCharts':
    case 'newStory':
    case 'initProject':
      return { type: m.type };
    case 'startAgent':
    case 'stopAgent':
    case 'openOutput':
    case 'openStory':
    case 'followUp':
    case 'answer':
    case 'approve':
    case 'reject':
    case 'unblock':
      return isStoryId(m.storyId) ? { type: m.type, storyId: m.storyId } : undefined;
    case 'boardView':
      return Array.isArray(m.stages) && m.stages.length <= STAGE_NAMES.length && Array.from(m.stages as unknown[]).every(isStageName)
        ? { type: 'boardView', stages: [...new Set<Stage>(m.stages)] }
        : undefined;
    case 'answerOption':
      return isStoryId(m.storyId) && typeof m.index === 'number' && Number.isInteger(m.index) && m.index >= 0 && m.index < 10
        ? { type: 'answerOption', storyId: m.storyId, index: m.index }
        : undefined;
    case 'acknowledgeAgent':
      return typeof m.agent === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(m.agent) ? { type: 'acknowledgeAgent', agent: m.agent } : undefined;
    case 'moveStory':
      return isStoryId(m.storyId) && isStageName(m.to) ? { type: 'moveStory', storyId: m.storyId, to: m.to } : undefined;
    case 'cardAction':
      return isStoryId(m.storyId) && isCardAction(m.action) ? { type: 'cardAction', storyId: m.storyId, action: m.action } : undefined;
    case 'helpAction':
      return typeof m.key === 'string' && HELP_KEY.test(m.key) && typeof m.index === 'number' && Number.isInteger(m.index) && m.index >= 0 && m.index < 20
        ? { type: 'helpAction', key: m.key, index: m.index }
        : undefined;
    case 'projectControl':
      return (PROJECT_CONTROLS as readonly unknown[]).includes(m.action) ? { type: 'projectControl', action: m.action as ProjectControl } : undefined;
    case 'addSchedule':
      return isScheduleKind(m.kind) ? { type: 'addSchedule', kind: m.kind } : undefined;
    case 'cancelSchedule':
      return isScheduleKind(m.kind) && typeof m.id === 'string' && SCHEDULE_ID.test(m.id) ? { type: 'cancelSchedule', kind: m.kind, id: m.id } : undefined;
    case 'jumpToLatest':
      return typeof m.runId === 'string' && RUN_ID.test(m.runId) ? { type: 'jumpToLatest', runId: m.runId } : undefined;
    case 'loadOlder':
      return typeof m.runId === 'string' && RUN_ID.test(m.runId) && typeof m.beforeSeq === 'number' && Number.isInteger(m.beforeSeq) && m.beforeSeq >= 0
        ? { type: 'loadOlder', runId: m.runId, beforeSeq: m.beforeSeq }
        : undefined;
    default:
      return undefined;
  }
}
