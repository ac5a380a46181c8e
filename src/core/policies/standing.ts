// Where this process stands: trusted or not, a project or not, the agents it may use, and so
// why no agent may start now. Policies, workers and the facade read the context from here.
import type { AgentSpec, ConfigStore } from '../config/config';
import type { StateView } from '../state/types';
import type { Clock } from '../ports/clock';
import type { LockInfo } from '../util/lock';
import type { PolicyContext } from './types';
import { whyStopped } from './stopped';
import { budgetStop } from './budget';

export interface StandingDeps {
  configStore: ConfigStore;
  clock: Clock;
  state: Pick<StateView, 'spentOn'>;
  /** Set when another process drives the project. */
  follower: () => LockInfo | undefined;
  /** Whether this process starts agent programs at all (one-shot CLI commands do not). */
  runAgents: boolean;
  autoAssign: boolean;
}

export class Standing {
  /** Untrusted workspaces never run agents. */
  trusted: boolean;
  /** .huskies/project.toml exists. */
  initialized = false;
  /** The agent used when agents.toml defines none. */
  builtInAgents: AgentSpec[] = [];

  constructor(
    private readonly d: StandingDeps,
    trusted: boolean,
  ) {
    this.trusted = trusted;
  }

  /** The configured agents, or the built-in default when agents.toml defines none. */
  agents(): AgentSpec[] {
    const cs = this.d.configStore;
    // While agents.toml is broken with no good version, nothing falls back to the built-in agent.
    return cs.config.agents.length || cs.agentsUnavailable() ? cs.config.agents : this.builtInAgents;
  }

  /** Why no agent may start now. */
  stopped(): string | undefined {
    return whyStopped({
      trusted: this.trusted,
      initialized: this.initialized,
      follower: this.d.follower(),
      runAgents: this.d.runAgents,
      agentsUnavailable: this.d.configStore.agentsUnavailable(),
    });
  }

  policyContext(): PolicyContext {
    const now = this.d.clock.now();
    const config = this.d.configStore.config;
    return { now, config, agents: this.agents(), stopped: this.stopped(), autoAssign: this.d.autoAssign, budgetStop: budgetStop(config, this.d.state, now) };
  }
}
