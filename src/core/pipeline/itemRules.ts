// The stage machine's rules for work items: stage moves, blocks, questions and answers, review
// verdicts, and facts seen on disk.
import type { Command } from '../model/commands';
import type { Op, StateView } from '../state/types';
import { accept, cutNote, newRun, refuse, type DecideContext, type Decision } from './decisions';
import { checkTransition, targetOf, userMoveRefusal } from './stageRules';
import { decideReview } from './reviewRules';
import { MERGE_KEYS_CLEARED, decideMerge } from './mergeRules';

export type ItemCommand = Exclude<Extract<Command, { type: `item.${string}` }>, { type: 'item.checkCriterion' }>;

export function decideItem(s: StateView, c: ItemCommand, ctx: DecideContext): Decision {
  switch (c.type) {
    case 'item.approve':
    case 'item.reject':
    case 'item.abandon':
    case 'item.qaResult':
      return decideReview(s, c, ctx);
    case 'item.mergeResult':
    case 'item.mergemaster':
    case 'item.mergeRetry':
      return decideMerge(s, c, ctx);
    case 'item.restacked': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      if (item.frontMatter.stacked_on !== c.parent) return refuse(`Story ${c.id} is not stacked on #${c.parent}.`);
      return accept([{ op: 'item.patch', id: c.id, patch: { stacked_on: undefined, restacked: cutNote(c.note) } }], [{ type: 'item.changed', id: c.id, source: c.source }], {
        id: c.id,
        reason: c.note,
      });
    }
    case 'item.create': {
      const missing = (c.dependsOn ?? []).filter((d) => !s.item(d));
      if (missing.length) return refuse(`depends_on names ${missing.map((d) => `#${d}`).join(', ')}, which ${missing.length === 1 ? 'does' : 'do'} not exist.`);
      const frontMatter = c.dependsOn?.length ? { depends_on: [...new Set(c.dependsOn)] } : undefined;
      return accept(
        [{ op: 'item.create', name: c.name, itemType: c.itemType, criteria: c.criteria, description: c.description, frontMatter }],
        (r) => (r.created ? [{ type: 'item.created', item: r.created, source: c.source }] : []),
        { to: 'backlog', reason: c.name },
      );
    }
    case 'item.transition': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      const why = checkTransition(item, c.kind);
      if (why) return refuse(why);
      const to = targetOf(c.kind);
      // Out of merge, a merge failure is history: the fix-up (or demote) starts a new attempt.
      const unblock = c.kind === 'fixup' && item.blocked ? { blocked: undefined, blocked_reason: undefined } : {};
      const patch = item.stage === 'merge' ? { ...MERGE_KEYS_CLEARED, ...unblock } : undefined;
      return accept([{ op: 'item.move', id: c.id, to, patch }], [{ type: 'item.moved', id: c.id, from: item.stage, to, source: c.source, kind: c.kind, reason: c.reason }], {
        id: c.id,
        from: item.stage,
        to,
        reason: c.reason,
      });
    }
    case 'item.move': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      const why = userMoveRefusal(item, c.to);
      if (why) return refuse(why);
      const patch = item.stage === 'merge' ? { ...MERGE_KEYS_CLEARED } : undefined;
      return accept([{ op: 'item.move', id: c.id, to: c.to, patch }], [{ type: 'item.moved', id: c.id, from: item.stage, to: c.to, source: c.source, reason: c.reason }], {
        id: c.id,
        from: item.stage,
        to: c.to,
        reason: c.reason,
      });
    }
    case 'item.block': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      const ops: Op[] = [{ op: 'item.patch', id: c.id, patch: { blocked: true, blocked_reason: cutNote(c.reason) } }];
      const run = c.runId ? s.run(c.runId) : undefined;
      if (run && c.handled) {
        if (run.handled) return refuse(`Run ${run.runId} was already handled (${run.handled}).`);
        ops.push({ op: 'run.put', run: { ...run, handled: c.handled } });
      }
      return accept(ops, [{ type: 'item.blocked', id: c.id, reason: c.reason, source: c.source }], { id: c.id, runId: c.runId, reason: c.reason });
    }
    case 'item.unblock': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      if (!item.blocked) return refuse(`Story ${c.id} is not blocked.`);
      // Unblocked in merge: the merge is tried again (with a resolution committed by hand, if any), with fresh mergemaster attempts.
      const again = item.stage === 'merge' ? MERGE_KEYS_CLEARED : {};
      return accept(
        [{ op: 'item.patch', id: c.id, patch: { blocked: undefined, blocked_reason: undefined, question: undefined, question_options: undefined, ...again } }],
        [{ type: 'item.unblocked', id: c.id, source: c.source }],
        { id: c.id },
      );
    }
    case 'item.ask': {
      const item = s.item(c.id);
      const run = s.run(c.runId);
      if (!item) return refuse(`There is no story ${c.id}.`);
      if (!run) return refuse(`There is no run ${c.runId}.`);
      if (run.handled) return refuse(`Run ${run.runId} was already handled (${run.handled}).`);
      // The choices the agent suggests, each cut like the question; absent (the key removed) when none.
      const options = c.options?.length ? c.options.map((o) => cutNote(o)) : undefined;
      const ops: Op[] = [
        {
          op: 'item.patch',
          id: c.id,
          patch: {
            blocked: true,
            blocked_reason: cutNote(`Question from ${run.agent || 'the agent'}: ${c.question}`),
            question: cutNote(c.question),
            question_options: options,
          },
        },
        { op: 'run.put', run: { ...run, handled: 'question', outcome: 'question', reason: `asked: ${c.question}` } },
      ];
      return accept(ops, [{ type: 'item.questionAsked', id: c.id, runId: c.runId, question: c.question, ...(options ? { options } : {}) }], {
        id: c.id,
        runId: c.runId,
        reason: c.question,
      });
    }
    case 'item.answer': {
      const item = s.item(c.id);
      if (!item) return refuse(`There is no story ${c.id}.`);
      const question = typeof item.frontMatter.question === 'string' ? item.frontMatter.question : undefined;
      if (!question) return refuse(`Story ${c.id} has no open question.`);
      if (s.activeRun(c.id)) return refuse(`Story ${c.id} already has an agent running or queued.`);
      const last = s.latestRun(c.id);
      const qa = `You asked: "${question}"\nThe user answers: ${c.answer}`;
      const resume = last?.sessionId && last.modelReplied !== false ? last.sessionId : undefined;
      const run = newRun(c.id, item.stage, ctx, {
        agent: last?.agent,
        role: last?.role,
        attempt: last?.attempt ?? 1,
        sessionId: resume,
        prompt: resume ? `${qa}\nGo on with the story.` : undefined,
        history: resume ? undefined : [...(last?.history ?? []), qa],
      });
      return accept(
        [
          { op: 'item.patch', id: c.id, patch: { blocked: undefined, blocked_reason: undefined, question: undefined, question_options: undefined } },
          { op: 'run.put', run },
        ],
        [
          { type: 'item.answered', id: c.id, answer: c.answer, source: c.source },
          { type: 'run.queued', run, source: c.source },
        ],
        { id: c.id, runId: run.runId, reason: c.answer },
      );
    }
    case 'item.external': {
      const ch = c.change;
      const id = ch.item.id;
      if (ch.kind === 'changed') return accept([], [{ type: 'item.changed', id, source: 'watcher' }], { id });
      const from = ch.kind === 'added' ? null : ch.kind === 'removed' ? ch.item.stage : ch.from;
      const to = ch.kind === 'removed' ? null : ch.item.stage;
      return accept([], [{ type: 'item.moved', id, from, to, source: 'watcher', reason: 'by hand' }], { id, from, to });
    }
  }
}
