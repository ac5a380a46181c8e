// How an orchestrator is set up: by the extension (VS Code), the CLI, tests and benchmarks.
import type { LaunchEnv } from './agents/launchEnv';
import type { Clock } from './ports/clock';
import type { Spawner } from './ports/spawner';
import type { Logger } from './util/log';

export interface OrchestratorOptions extends LaunchEnv {
  root: string;
  logger?: Logger;
  clock?: Clock;
  /** Untrusted workspaces never run agents. */
  trusted?: boolean;
  /** Watch .huskies/ for changes made by hand (default true). */
  watch?: boolean;
  /** Start queued and current work automatically (default true). */
  autoAssign?: boolean;
  /** Start no agent program in this process (one-shot CLI commands: a leader starts queued runs). */
  runAgents?: boolean;
  /** Never take the lock or write: only read and show (`huskies status`). */
  readOnly?: boolean;
  /** Grace between TERM and KILL when stopping a run; the lock file's owner ("vscode" or "cli"). */
  graceMs?: number;
  owner?: string;
  /** How agent programs are started (default: under a supervisor that outlives the host). */
  spawner?: Spawner;
  /**
   * Start git and other short-lived programs from a small helper process (util/launcher): for a host
   * with a large memory (an editor's extension host), where each start blocks its event loop.
   */
  launcher?: boolean;
}
