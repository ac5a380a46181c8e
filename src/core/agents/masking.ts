// One masker for everything the orchestrator writes or shows: the secret values of the
// environment and of every agent's env in agents.toml, plus well-known secret shapes.
import type { AgentSpec } from '../config/config';
import { maskDeep, redact, secretValues } from '../util/log';

export interface Masker {
  mask(text: string): string;
  maskDeep<T>(value: T): T;
  /** Every secret value known now. */
  secrets(): string[];
  /** The secrets to mask in a run of this agent. */
  secretsFor(agent: AgentSpec): string[];
}

export function makeMasker(sources: () => { env: NodeJS.ProcessEnv; agents: AgentSpec[] }): Masker {
  const all = (): string[] => {
    const { env, agents } = sources();
    return [...new Set([...secretValues(env), ...agents.flatMap((a) => secretValues(a.env))])];
  };
  return {
    secrets: all,
    mask: (text) => redact(text, all()),
    maskDeep: (value) => maskDeep(value, all()),
    secretsFor: (agent) => [...new Set([...secretValues(sources().env), ...secretValues(agent.env)])],
  };
}
