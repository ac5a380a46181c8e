// The agents strip: one row per agent with its state, problem, rate limit and drain.
import type { AgentView } from '../src/protocol/messages';
import { agentProgram } from './cardText';
import { countdown, el, formatClock, formatCost } from './dom';
import type { Slot } from './slots';
import { makeButton } from './elements';

function isRateLimited(a: AgentView, now: number): boolean {
  return a.rateLimitedUntil !== undefined && a.rateLimitedUntil > now;
}

/** The one condition the agent's marker shows, worst first. */
export function agentState(a: AgentView, now: number): string {
  if (!a.ok) return 'error';
  if (a.drained !== undefined) return 'drained';
  if (isRateLimited(a, now)) return 'limited';
  return a.running > 0 ? 'running' : 'idle';
}

export function needsAttention(a: AgentView, now: number): boolean {
  const s = agentState(a, now);
  return s === 'error' || s === 'drained' || s === 'limited';
}

export const AGENT_SLOTS: Slot<AgentView>[] = [
  {
    sig: (a) => JSON.stringify([a.name, a.runtime, a.program, a.running, a.costUsd, a.ok ? a.status : '']),
    build: (a) => {
      const head = el('div', 'agent-head');
      const dot = el('span', 'agent-dot');
      dot.setAttribute('aria-hidden', 'true');
      const name = el('span', 'agent-name', a.name);
      const program = agentProgram(a);
      name.title = a.ok && a.status ? `${a.name} (${program}): ${a.status}` : `${a.name} (${program})`;
      head.append(dot, name, el('span', 'agent-runtime', program));
      if (a.running > 0) head.append(el('span', 'agent-running badge', `${a.running} running`));
      const cost = el('span', 'agent-cost', formatCost(a.costUsd));
      cost.title = `Cost of ${a.name}`;
      head.append(cost);
      return head;
    },
  },
  {
    sig: (a) => (a.ok ? '' : a.status),
    build: (a) => {
      if (a.ok) return null;
      const line = el('div', 'agent-problem');
      const marker = el('span', 'agent-marker', '!');
      marker.setAttribute('aria-hidden', 'true');
      line.append(marker, el('span', 'agent-problem-text', a.status || 'not ready'));
      return line;
    },
  },
  {
    sig: (a, ctx) => (isRateLimited(a, ctx.now) ? String(a.rateLimitedUntil) : ''),
    build: (a, ctx) => {
      if (!isRateLimited(a, ctx.now)) return null;
      const line = el('div', 'agent-limited', `rate-limited until ${formatClock(a.rateLimitedUntil!, ctx.now)} (`);
      line.append(countdown('limit-in', a.rateLimitedUntil!, ctx.now, { coarse: true, prefix: 'in ', done: 'lifting now' }), ')');
      return line;
    },
  },
  {
    sig: (a) => (a.drained === undefined ? '' : JSON.stringify([a.drained])),
    build: (a) => {
      if (a.drained === undefined) return null;
      const line = el('div', 'agent-drained');
      line.append(el('span', 'agent-drained-text', `drained: ${a.drained || 'no reason given'}`));
      line.append(makeButton('Acknowledge', { action: 'acknowledge', appearance: 'secondary', title: `Let ${a.name} take work again` }));
      return line;
    },
  },
];
