// The stage machine's rules for the user's controls and the agents' calls: pause and resume (the
// project or one story: no new agent starts, running agents finish), notes, a criterion ticked,
// the record of an orchestrator tool an agent called, and a help request for stuck work.
import type { Command } from '../model/commands';
import type { StateView } from '../state/types';
import { accept, cutNote, refuse, type DecideContext, type Decision } from './decisions';

/** How many project notes the state keeps; the audit log keeps them all. */
export const KEPT_NOTES = 20;

type Control = Extract<Command, { type: `control.${string}` | 'item.checkCriterion' | 'mcp.call' }>;

export function decideControl(s: StateView, c: Control, ctx: DecideContext): Decision {
  if (c.type === 'mcp.call') {
    // an agent's run, or a session started by hand or by a timer (a story, or none)
    const run = c.runId === undefined ? undefined : s.run(c.runId);
    if (c.runId !== undefined && !run) return refuse(`There is no run ${c.runId}.`);
    const storyId = run?.storyId ?? (c.storyId && c.storyId > 0 ? c.storyId : undefined);
    return accept([], [{ type: 'mcp.called', runId: c.runId, storyId, tool: c.tool, summary: c.summary, ok: c.ok }], {
      id: storyId,
      runId: c.runId,
      reason: `${c.tool}: ${c.summary}`,
    });
  }
  if (c.type === 'control.help') {
    const r = c.request;
    if (!r.key || !r.reason.trim()) return refuse('A help request needs a key and a reason.');
    if (r.storyId !== undefined && !s.item(r.storyId)) return refuse(`There is no story ${r.storyId}.`);
    return accept([], [{ type: 'help.requested', request: { ...r, reason: cutNote(r.reason) } }], { id: r.storyId, reason: `help: ${cutNote(r.reason)}` });
  }
  const item = c.id === undefined ? undefined : s.item(c.id);
  if (c.id !== undefined && !item) return refuse(`There is no story ${c.id}.`);
  switch (c.type) {
    case 'item.checkCriterion': {
      const it = item!;
      if (it.invalid) return refuse(`Story ${c.id} is invalid: ${it.invalid}`);
      if (!Number.isInteger(c.index) || c.index < 0 || c.index >= it.criteria.length)
        return refuse(`Story ${c.id} has no acceptance criterion ${c.index}: it has ${it.criteria.length}, numbered from 0.`);
      if (it.criteria[c.index].done === c.done) return refuse(`Criterion ${c.index} of story ${c.id} is ${c.done ? 'ticked' : 'not ticked'} already.`);
      return accept([{ op: 'item.patch', id: c.id, patch: {}, criterion: { index: c.index, done: c.done } }], [{ type: 'item.changed', id: c.id, source: c.source }], {
        id: c.id,
        runId: c.runId,
        reason: `${c.done ? 'ticked' : 'unticked'} "${it.criteria[c.index].text}"`,
      });
    }
    case 'control.pause': {
      const reason = cutNote(c.reason.trim() || 'paused');
      if (item) {
        if (item.frontMatter.paused === true) return refuse(`Story ${c.id} is paused already.`);
        return accept([{ op: 'item.patch', id: item.id, patch: { paused: true, paused_reason: reason } }], [{ type: 'control.paused', id: item.id, reason, source: c.source }], {
          id: item.id,
          reason,
        });
      }
      const a = s.agentState();
      if (a.paused) return refuse(`The project is paused already (since ${new Date(a.paused.since).toISOString()}: ${a.paused.reason}).`);
      return accept([{ op: 'agents.put', state: { ...a, paused: { since: ctx.now, reason, source: c.source } } }], [{ type: 'control.paused', reason, source: c.source }], {
        reason,
      });
    }
    case 'control.resume': {
      if (item) {
        if (item.frontMatter.paused !== true) return refuse(`Story ${c.id} is not paused.`);
        return accept([{ op: 'item.patch', id: item.id, patch: { paused: undefined, paused_reason: undefined } }], [{ type: 'control.resumed', id: item.id, source: c.source }], {
          id: item.id,
        });
      }
      const a = s.agentState();
      if (!a.paused) return refuse('The project is not paused.');
      const next = { ...a };
      delete (next as { paused?: unknown }).paused;
      return accept([{ op: 'agents.put', state: next }], [{ type: 'control.resumed', source: c.source }], {});
    }
    case 'control.note': {
      const text = cutNote(c.text.trim());
      if (!text) return refuse('A note needs some text.');
      if (item)
        return accept([{ op: 'item.patch', id: item.id, patch: { note: text } }], [{ type: 'control.noted', id: item.id, text, source: c.source }], { id: item.id, reason: text });
      const a = s.agentState();
      const notes = [...(a.notes ?? []), { at: ctx.now, text, source: c.source }].slice(-KEPT_NOTES);
      return accept([{ op: 'agents.put', state: { ...a, notes } }], [{ type: 'control.noted', text, source: c.source }], { reason: text });
    }
  }
}
