// The typed shape of project.toml and agents.toml, and the problem records that every check
// reports: file, line, key and whether the file stays usable (warning) or not (error).

export const RUNTIMES = ['claude', 'codex', 'gemini', 'command', 'sim'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
export const AGENT_STAGES = ['coder', 'qa', 'mergemaster'] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];
export const QA_MODES = ['server', 'agent', 'human'] as const;
export type QaMode = (typeof QA_MODES)[number];

export interface ComponentSpec {
  name: string;
  path: string;
  setup: string[];
  teardown: string[];
  /** Commands that test this component (shell command lines, run in order). */
  test: string[];
}

export interface ProjectConfig {
  defaultQa: QaMode;
  defaultCoderModel: string;
  maxCoders: number;
  maxRetries: number;
  baseBranch?: string;
  rateLimitNotifications: boolean;
  timezone: string;
  components: ComponentSpec[];
  /** Stop new starts once today's spend reaches this (USD). */
  dailyBudgetUsd?: number;
  /** Consecutive failures after which an agent is drained. */
  drainAfterFailures: number;
  /** Concurrent runs per runtime, e.g. { claude = 2 }. */
  maxPerRuntime: Partial<Record<RuntimeName, number>>;
  /** Commands of the server QA gate (shell command lines, run in order); unset: the components' tests. */
  qaCommand?: string[];
  /** Times a mergemaster agent may try a failed merge before the item is blocked (`mergemaster_attempts` or `merge_retries`). */
  mergemasterAttempts: number;
  /** Hours an item stays in 5_done before it is archived. */
  archiveAfterHours: number;
  /** Minutes without progress (no story moved, no run ended, or a running agent silent) before the user is asked for help. */
  stuckAfterMinutes: number;
  /** Keep a story's branch after it is merged. */
  keepBranches: boolean;
  /** Commit the orchestrator's story moves and front-matter changes on the base branch as `huskies:` commits. */
  commitMoves: boolean;
  /** Start a story's branch from the branches of the stories it depends on. */
  stackOnParents: boolean;
  /**
   * The nice value agents, their supervisors and gate commands run at (0–19): below the editor's
   * priority, so that it stays quick while they work. 0: the editor's own priority.
   */
  backgroundNice: number;
}

export interface AgentSpec {
  name: string;
  stage: AgentStage;
  runtime: RuntimeName;
  /** Program path override; for runtime "command", the program to run. */
  program?: string;
  args: string[];
  env: Record<string, string>;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  prompt?: string;
  systemPrompt?: string;
  /** Seconds without output before the run is stopped. */
  inactivityTimeout?: number;
  /** Wall-clock seconds before the run is stopped. */
  timeout?: number;
  maxConcurrent?: number;
  /** Whether this agent came from the built-in default rather than agents.toml. */
  builtIn?: boolean;
}

export interface HuskiesConfig {
  project: ProjectConfig;
  agents: AgentSpec[];
}

/** Flags the orchestrator relies on to read the program's output; agents.toml may not set them. */
export const PROTOCOL_FLAGS: Record<RuntimeName, string[]> = {
  claude: ['--', '-p', '--print', '--output-format', '--verbose', '--input-format', '--resume', '-r', '--continue', '-c', '--session-id', '--fork-session'],
  codex: ['--', 'exec', 'e', 'resume', '--json', '--experimental-json', '-C', '--cd'],
  gemini: ['-p', '--prompt', '-o', '--output-format', '--resume', '-r', '--session-id'],
  command: [],
  sim: ['--'],
};

export type Severity = 'error' | 'warning';

/** One finding in a config file. An error makes the file unusable; a warning does not. */
export interface ConfigProblem {
  /** As shown to the user, e.g. `.huskies/project.toml`. */
  file: string;
  /** 1-based; absent when the problem is about the whole file (e.g. it cannot be read). */
  line?: number;
  /** Set for TOML syntax errors, where the column is known. */
  column?: number;
  /** The key concerned, as written in its table (e.g. `max_coders`, `env`, `max_per_runtime.claude`). */
  key?: string;
  severity: Severity;
  message: string;
}

/** `<file>:<line>[:<column>]: <message>`, the form compilers use, so editors can link it. */
export function formatProblem(p: ConfigProblem): string {
  const at = p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  return `${p.file}${at}: ${p.message}`;
}

/** Result of checking one file: `value` is set exactly when there is no error. */
export interface ConfigCheck<T> {
  value?: T;
  problems: ConfigProblem[];
}

export class ConfigError extends Error {
  /** The formatted errors, one per line of the message. */
  readonly problems: string[];
  readonly details: ConfigProblem[];

  constructor(problems: readonly (string | ConfigProblem)[]) {
    const details = problems.map((p): ConfigProblem => (typeof p === 'string' ? { file: '', severity: 'error', message: p } : p));
    const text = problems.map((p) => (typeof p === 'string' ? p : formatProblem(p)));
    super(text.join('\n'));
    this.problems = text;
    this.details = details;
  }
}

/** The value of a check, or a ConfigError with its errors (warnings do not count). */
export function valueOrThrow<T>(check: ConfigCheck<T>): T {
  if (check.value === undefined) throw new ConfigError(check.problems.filter((p) => p.severity === 'error'));
  return check.value;
}
