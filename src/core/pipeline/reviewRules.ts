// The stage machine's rules for a user's verdicts: approve a story in QA (on to merge), reject it
// with feedback (back to its coder, in the same session), abandon a story (archived with a reason).
import { roleOf } from '../model/run';
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { Op, StateView } from '../state/types';
import { accept, cutNote, newRun, refuse, type DecideContext, type Decision } from './decisions';
import { checkTransition } from './stageRules';

type Review = Extract<Command, { type: 'item.approve' | 'item.reject' | 'item.abandon' | 'item.qaResult' }>;

export function decideReview(s: StateView, c: Review, ctx: DecideContext): Decision {
  const item = s.item(c.id);
  if (!item) return refuse(`There is no story ${c.id}.`);
  if (c.type === 'item.abandon') {
    if (item.stage === 'archived') return refuse(`Story ${c.id} is archived already.`);
    if (!c.reason.trim()) return refuse('Say why the story is abandoned.');
    const reason = cutNote(c.reason.trim());
    return accept(
      [{ op: 'item.move', id: c.id, to: 'archived', patch: { archived_reason: reason, blocked: undefined, blocked_reason: undefined } }],
      [{ type: 'item.moved', id: c.id, from: item.stage, to: 'archived', source: c.source, kind: 'abandon', reason }],
      { id: c.id, from: item.stage, to: 'archived', reason },
    );
  }
  if (item.stage !== 'qa') return refuse(`Story ${c.id} is in ${item.stage}; only a story in QA can be ${c.type === 'item.approve' ? 'approved' : 'rejected'}.`);
  if (s.activeRun(c.id)) return refuse(`Story ${c.id} has an agent working on it; wait for it to finish (or stop it) first.`);
  if (c.type === 'item.qaResult') return decideGateResult(s, c, ctx);
  if (c.type === 'item.approve') {
    const why = checkTransition(item, 'qa_passed');
    if (why) return refuse(why);
    return accept(
      [{ op: 'item.move', id: c.id, to: 'merge', patch: { review_hold: undefined, qa_feedback: undefined } }],
      [{ type: 'item.moved', id: c.id, from: 'qa', to: 'merge', source: c.source, kind: 'qa_passed', reason: 'approved' }],
      { id: c.id, from: 'qa', to: 'merge', reason: 'approved' },
    );
  }
  return decideReject(s, c, ctx);
}

function decideReject(s: StateView, c: Extract<Command, { type: 'item.reject' }>, ctx: DecideContext): Decision {
  const item = s.item(c.id)!;
  const feedback = c.feedback.trim();
  if (!feedback) return refuse('A rejection needs feedback for the agent: what is wrong, what to change.');
  const why = checkTransition(item, 'qa_failed');
  if (why) return refuse(why);
  // The coder goes on in the session it coded the story in, with the feedback as its next prompt.
  const coded = [...s.runsForStory(c.id)].reverse().find((r) => r.sessionId && roleOf(r) === 'coder');
  const prompt = `The reviewer rejected your work on this story:\n${feedback}\nFix it in this worktree and commit your work when it is done.`;
  const run = newRun(c.id, 'current', ctx, {
    agent: coded?.agent,
    attempt: 1,
    sessionId: coded?.sessionId,
    prompt: coded?.sessionId ? prompt : undefined,
    history: coded?.sessionId ? undefined : [`Rejected in review: ${feedback}`],
  });
  return accept(
    [
      { op: 'item.move', id: c.id, to: 'current', patch: { qa_feedback: cutNote(feedback) } },
      { op: 'run.put', run },
    ],
    [
      { type: 'item.moved', id: c.id, from: 'qa', to: 'current', source: c.source, kind: 'qa_failed', reason: feedback },
      { type: 'run.queued', run, source: c.source },
    ],
    { id: c.id, from: 'qa', to: 'current', runId: run.runId, reason: feedback },
  );
}

/** The server gates' verdict. A failure goes back to the coder with the output, as a retry; past max_retries the story is blocked. */
function decideGateResult(s: StateView, c: Extract<Command, { type: 'item.qaResult' }>, ctx: DecideContext): Decision {
  const item = s.item(c.id)!;
  // A QA agent's verdict settles its run in the same write.
  const qaRun = c.runId ? s.run(c.runId) : undefined;
  if (c.runId && !qaRun) return refuse(`There is no run ${c.runId}.`);
  if (qaRun?.handled) return refuse(`Run ${qaRun.runId} was already handled (${qaRun.handled}).`);
  const settled = qaRun ? { ...qaRun, handled: 'coded' as const } : undefined;
  const settle: Op[] = settled ? [{ op: 'run.put', run: settled }] : [];
  const handledEv: HuskiesEvent[] = settled ? [{ type: 'run.handled', run: settled }] : [];
  const by = c.by === 'agent' ? 'the QA agent' : 'the QA gates';
  if (c.ok) {
    const why = checkTransition(item, 'qa_passed');
    if (why) return refuse(why);
    return accept(
      [...settle, { op: 'item.move', id: c.id, to: 'merge', patch: { qa_feedback: undefined } }],
      [...handledEv, { type: 'item.moved', id: c.id, from: 'qa', to: 'merge', source: c.source, kind: 'qa_passed', reason: c.summary }],
      { id: c.id, from: 'qa', to: 'merge', reason: c.summary },
    );
  }
  const note = cutNote(c.by === 'agent' ? c.summary : `The QA gates failed: ${c.summary}${c.output ? `\n${c.output}` : ''}`);
  const coded = [...s.runsForStory(c.id)].reverse().find((r) => roleOf(r) === 'coder');
  const attempt = (coded?.attempt ?? 1) + 1;
  if (c.maxRetries <= 0 || attempt > c.maxRetries + 1) {
    const reason = cutNote(`${by} ${c.by === 'agent' ? 'rejected it' : 'failed'} after ${attempt - 1} attempt${attempt === 2 ? '' : 's'}; last: ${c.summary}`);
    return accept(
      [...settle, { op: 'item.move', id: c.id, to: 'current', patch: { qa_feedback: note, blocked: true, blocked_reason: reason } }],
      [
        ...handledEv,
        { type: 'item.moved', id: c.id, from: 'qa', to: 'current', source: c.source, kind: 'qa_failed', reason: c.summary },
        { type: 'item.blocked', id: c.id, reason, source: c.source },
      ],
      { id: c.id, from: 'qa', to: 'current', reason },
    );
  }
  const prompt = `${note}\nFix ${c.by === 'agent' ? 'what the reviewer found' : 'the failures'} in this worktree, run the tests, and commit your work when they pass.`;
  const run = newRun(c.id, 'current', ctx, {
    agent: coded?.agent,
    attempt,
    sessionId: coded?.sessionId,
    prompt: coded?.sessionId ? prompt : undefined,
    history: coded?.sessionId ? coded.history : [...(coded?.history ?? []), note],
  });
  return accept(
    [...settle, { op: 'item.move', id: c.id, to: 'current', patch: { qa_feedback: note } }, { op: 'run.put', run }],
    [
      ...handledEv,
      { type: 'item.moved', id: c.id, from: 'qa', to: 'current', source: c.source, kind: 'qa_failed', reason: c.summary },
      { type: 'run.queued', run, source: c.source },
    ],
    { id: c.id, from: 'qa', to: 'current', runId: run.runId, reason: c.summary },
  );
}
