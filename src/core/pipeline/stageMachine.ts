// The stage machine: pure. Given the state and one command it returns the ops to apply and the
// events to emit, or a refusal that says why. No I/O, no clock of its own: everything it needs
// comes in, so every rule is a plain unit test. The rules live in itemRules, runRules, agentRules.
import type { Command } from '../model/commands';
import type { StateView } from '../state/types';
import { decideAgent } from './agentRules';
import type { DecideContext, Decision } from './decisions';
import { decideItem, type ItemCommand } from './itemRules';
import { decideControl } from './controlRules';
import { decideRun } from './runRules';
import { decideSchedule, isScheduleCommand } from './scheduleRules';

export type { DecideContext, Decision, AuditFields } from './decisions';

const LOST_SESSION = /No previous sessions found|Error resuming session|No conversation found|session (?:id )?.*not found|thread .*not found/i;

export function isLostSession(reason: string | undefined): boolean {
  return !!reason && LOST_SESSION.test(reason);
}

export function decide(s: StateView, c: Command, ctx: DecideContext): Decision {
  if (c.type.startsWith('control.') || c.type === 'item.checkCriterion' || c.type === 'mcp.call')
    return decideControl(s, c as Extract<Command, { type: `control.${string}` | 'item.checkCriterion' | 'mcp.call' }>, ctx);
  if (isScheduleCommand(c)) return decideSchedule(s, c, ctx);
  if (c.type.startsWith('item.')) return decideItem(s, c as ItemCommand, ctx);
  if (c.type.startsWith('agent.')) return decideAgent(s, c as Extract<Command, { type: `agent.${string}` }>, ctx);
  return decideRun(s, c as Extract<Command, { type: `run.${string}` | 'timer.fire' }>, ctx);
}
