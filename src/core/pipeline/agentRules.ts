// The stage machine's rules for agents: failures in a row (drain), acknowledgement, rate limits.
import type { Command } from '../model/commands';
import type { StateView } from '../state/types';
import { accept, refuse, type DecideContext, type Decision } from './decisions';

export function decideAgent(s: StateView, c: Extract<Command, { type: `agent.${string}` }>, ctx: DecideContext): Decision {
  switch (c.type) {
    case 'agent.failure': {
      const a = s.agentState();
      const failures = (a.failures[c.name] ?? 0) + 1;
      const drain = failures >= c.threshold && !a.drained[c.name] ? { since: ctx.now, failures, reason: c.reason } : undefined;
      const state = { ...a, failures: { ...a.failures, [c.name]: failures }, drained: drain ? { ...a.drained, [c.name]: drain } : a.drained };
      return accept([{ op: 'agents.put', state }], [{ type: 'agent.failed', name: c.name, failures, drain }], { reason: `${c.name}: ${c.reason}` });
    }
    case 'agent.success': {
      const a = s.agentState();
      if (!a.failures[c.name]) return refuse('No failures to reset.');
      return accept([{ op: 'agents.put', state: { ...a, failures: { ...a.failures, [c.name]: 0 } } }], [{ type: 'agent.succeeded', name: c.name }], { reason: c.name });
    }
    case 'agent.acknowledge': {
      const a = s.agentState();
      if (!a.drained[c.name]) return refuse(`${c.name} was not drained.`);
      const drained = { ...a.drained };
      delete drained[c.name];
      return accept([{ op: 'agents.put', state: { ...a, drained, failures: { ...a.failures, [c.name]: 0 } } }], [{ type: 'agent.acknowledged', name: c.name }], { reason: c.name });
    }
    case 'agent.expireLimits': {
      const a = s.agentState();
      const keys = Object.entries(a.rateLimited)
        .filter(([, r]) => r.until <= c.now)
        .map(([k]) => k);
      if (!keys.length) return refuse('Nothing expired.');
      const rateLimited = { ...a.rateLimited };
      for (const k of keys) delete rateLimited[k];
      return accept([{ op: 'agents.put', state: { ...a, rateLimited } }], [{ type: 'agent.limitsExpired', keys }], { reason: keys.join(', ') });
    }
  }
}
