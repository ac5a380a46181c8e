// A policy reacts to one event, given the state, with commands for the pipeline. Policies never
// call each other and never write: the pipeline decides whether their commands apply.
import type { AgentSpec, HuskiesConfig } from '../config/config';
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { StateView } from '../state/types';

export interface PolicyContext {
  now: number;
  config: HuskiesConfig;
  /** The agents in use (agents.toml's, or the built-in default). */
  agents: AgentSpec[];
  /** Why no agent may start now (untrusted workspace, another orchestrator leads, config unusable…). */
  stopped?: string;
  /** Whether stories in current start on their own (off for one-shot CLI commands). */
  autoAssign: boolean;
  /** Why new starts wait (the daily budget is spent). */
  budgetStop?: string;
}

export type Policy = (e: HuskiesEvent, s: StateView, ctx: PolicyContext) => Command[];
