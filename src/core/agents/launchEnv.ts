// What the host tells the launch of every agent: where the simulated agent and the supervisor
// are, which Node runs them, program overrides, the base environment and the user's git
// identity (so commits work even where a program's shell hides the global git config).
import type { AgentSpec } from '../config/config';
import type { Spawner } from '../ports/spawner';
import type { Logger } from '../util/log';
import { cachedGitIdentity } from '../git/identity';
import { which, type LaunchContext } from './runtimes';
import { InProcessSpawner } from './inProcessSpawner';
import { SupervisedSpawner } from './supervisor/spawner';
import { maskMessage } from './mask';

export interface LaunchEnv {
  /** dist/sim-agent.js */
  simAgentPath: string;
  /** dist/supervisor.js; without it agents run inside this process and stop with it. */
  supervisorPath?: string;
  /** Node binary for the sim agent and the supervisor; defaults to this process's. */
  nodePath?: string;
  /** Override programs by runtime, e.g. { claude: '/opt/claude' } from a setting. */
  programOverride?: Partial<Record<string, string>>;
  env?: NodeJS.ProcessEnv;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export async function launchContext(root: string, o: LaunchEnv): Promise<Omit<LaunchContext, 'prompt' | 'worktree' | 'storyId' | 'storyFile' | 'resumeSessionId'>> {
  return {
    simAgentPath: o.simAgentPath,
    nodePath: o.nodePath ?? process.execPath,
    programOverride: o.programOverride as LaunchContext['programOverride'],
    baseEnv: o.env ?? process.env,
    isRoot,
    gitIdentity: await cachedGitIdentity(root),
  };
}

/** The agent used when agents.toml defines none: Claude Code when it is installed, else the simulated agent. */
export function builtInAgents(o: LaunchEnv): AgentSpec[] {
  const claude = which(o.programOverride?.claude ?? 'claude', o.env ?? process.env);
  return [
    { name: 'coder-1', stage: 'coder', runtime: claude ? 'claude' : 'sim', args: [], env: {}, builtIn: true, ...(claude && o.programOverride?.claude ? { program: claude } : {}) },
  ];
}

export function defaultSpawner(o: LaunchEnv, logger: Logger, wantsRecords?: (runId: string) => boolean): Spawner {
  if (o.supervisorPath) return new SupervisedSpawner({ supervisorPath: o.supervisorPath, nodePath: o.nodePath ?? process.execPath, mask: maskMessage, logger, wantsRecords });
  return new InProcessSpawner({ mask: maskMessage });
}
