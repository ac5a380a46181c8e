// The port through which the core starts agent programs. The real one runs each agent under a
// small supervisor process that outlives the host; tests pass a fake.
import type { RuntimeName } from '../config/config';
import type { LaunchSpec, ProcessLimits } from '../agents/agentProcess';
import type { OutcomeKind, RunOutcome, TranscriptRecord, Usage } from '../model/agentMessage';

/** Everything needed to run one agent program on one story. */
export interface AgentLaunch {
  runId: string;
  runtime: RuntimeName;
  /** The program's own name for reasons, e.g. "Claude Code" or "The simulated agent". */
  label: string;
  spec: LaunchSpec;
  limits: ProcessLimits;
  /** Usage of earlier runs in the same session (Codex reports usage cumulated over its thread). */
  previousUsage?: Usage;
  /** Absolute path of the run's transcript (JSONL, appended to). */
  transcript: string;
  /** The seq of the last record already in the transcript (0 for a new one). */
  fromSeq: number;
  /** Masked out of everything written or published. */
  secrets: string[];
}

/** What a run reports while it goes: each is persisted by the core the moment it arrives. */
export type RunSignal =
  /** The agent program runs: its pid is also its process group id. startTime guards against pid reuse. */
  | { kind: 'started'; pid: number; startTime?: number; supervisorPid?: number }
  | { kind: 'session'; sessionId: string }
  /** The model answered at least once: there is a conversation worth resuming. */
  | { kind: 'replied' }
  /**
   * Records already appended to the transcript, in order. `upTo`: the newest seq written, when the
   * records were not read one by one (nobody follows the run live, so they stay on disk only).
   */
  | { kind: 'records'; records: TranscriptRecord[]; upTo?: number };

export interface RunHandle {
  readonly runId: string;
  onSignal(listener: (s: RunSignal) => void): { dispose(): void };
  /** Stops the run's whole process group (TERM, then KILL after the grace period). */
  stop(kind: OutcomeKind, reason: string): void;
  /** Resolves once, with how the run ended. */
  readonly done: Promise<RunOutcome>;
  /** The host goes away: a supervised run goes on (and can be re-attached); an in-process one is stopped. */
  detach(): Promise<void>;
}

export type AttachResult = { state: 'live'; handle: RunHandle } | { state: 'ended'; outcome: RunOutcome; lastSeq: number } | { state: 'unknown' };

export interface Spawner {
  launch(launch: AgentLaunch): RunHandle;
  /** A run started by an earlier host: re-attach to it, read how it ended, or learn that nothing is known. */
  attach(runId: string, transcript: string, fromSeq: number): Promise<AttachResult>;
  /** Kills whatever is left of a run that will not be re-attached (checked against pid reuse). */
  reap(runId: string, transcript: string): Promise<void>;
}
