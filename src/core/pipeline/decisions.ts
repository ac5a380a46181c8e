// What every decision returns, and the helpers the rule files share. Pure: no I/O, no clock.
import * as path from 'node:path';
import type { HuskiesEvent } from '../model/events';
import type { RunRecord } from '../model/run';
import type { Stage } from '../model/stage';
import type { ApplyResult, Op } from '../state/types';

export interface DecideContext {
  now: number;
  logsDir: string;
  newRunId(storyId: number, now: number): string;
}

export interface AuditFields {
  id?: number;
  runId?: string;
  from?: Stage | null;
  to?: Stage | null;
  reason?: string;
}

export type Decision = { ok: true; ops: Op[]; events: (r: ApplyResult) => HuskiesEvent[]; audit: AuditFields } | { ok: false; refusal: string };

export const refuse = (refusal: string): Decision => ({ ok: false, refusal });
/** Reasons and questions go into committed front matter: long agent output is cut to a readable size. */
const MAX_NOTE = 4000;
export const cutNote = (s: string) => (s.length > MAX_NOTE ? `${s.slice(0, MAX_NOTE)}… (cut; the run's transcript has it all)` : s);
export const accept = (ops: Op[], events: HuskiesEvent[] | ((r: ApplyResult) => HuskiesEvent[]), audit: AuditFields = {}): Decision => ({
  ok: true,
  ops,
  events: typeof events === 'function' ? events : () => events,
  audit,
});

const LOST_SESSION = /No previous sessions found|Error resuming session|No conversation found|session (?:id )?.*not found|thread .*not found/i;

export function isLostSession(reason: string | undefined): boolean {
  return !!reason && LOST_SESSION.test(reason);
}

export function newRun(
  storyId: number,
  stage: Stage,
  ctx: DecideContext,
  o: { agent?: string; prompt?: string; attempt: number; sessionId?: string; history?: readonly string[]; role?: 'qa' | 'mergemaster' },
): RunRecord {
  const runId = ctx.newRunId(storyId, ctx.now);
  return {
    runId,
    storyId,
    agent: o.agent ?? '',
    runtime: '',
    status: 'queued',
    queuedAt: ctx.now,
    transcript: path.join(ctx.logsDir, `${runId}.jsonl`),
    lastSeq: 0,
    attempt: o.attempt,
    history: o.history,
    stage,
    ...(o.role ? { role: o.role } : {}),
    sessionId: o.sessionId,
    prompt: o.prompt,
  };
}
