// The MCP service's view of the composed orchestrator.
import type { Orchestrator } from '../orchestrator';
import type { Command } from '../model/commands';
import type { McpDeps } from './types';

export function mcpDeps(o: Orchestrator): McpDeps {
  return {
    state: o.state,
    request: (c: Command) => o.request(c),
    config: () => o.config,
    policyContext: () => o.standing.policyContext(),
    now: () => o.clock.now(),
    logger: o.logger,
    mask: (t) => o.masker.mask(t),
    logsDir: o.logsDir,
  };
}
