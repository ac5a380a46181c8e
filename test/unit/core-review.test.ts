// A user's verdicts on stories in QA, abandon, and done → archived after the retention period.
import * as assert from 'node:assert/strict';
import type { HuskiesEvent } from '../../src/core/model/events';
import { dueForArchive } from '../../src/core/policies/archive';
import { whyWaiting } from '../../src/core/policies/waits';
import { makeCore } from '../fixtures/core';
import { item, run } from '../fixtures/memoryState';

type Ev<T extends HuskiesEvent['type']> = Extract<HuskiesEvent, { type: T }>;
const is =
  <T extends HuskiesEvent['type']>(t: T, pred: (e: Ev<T>) => boolean = () => true) =>
  (e: HuskiesEvent): e is Ev<T> =>
    e.type === t && pred(e as Ev<T>);

describe('core: review verdicts, abandon, archive', () => {
  it('approve moves a story in QA to merge; a story elsewhere is refused with the reason', async () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { review_hold: true } }), item(2, 'current')], autoAssign: false });
    assert.equal((await c.request({ type: 'item.approve', id: 1, source: 'cli' })).ok, true);
    assert.equal(c.state.item(1)!.stage, 'merge');
    assert.equal(c.state.item(1)!.frontMatter.review_hold, undefined, 'the hold is released by the approval');
    const r = await c.request({ type: 'item.approve', id: 2, source: 'cli' });
    assert.deepEqual(r, { ok: false, refusal: 'Story 2 is in current; only a story in QA can be approved.' });
  });

  it('reject sends the story back to current and its coder resumes the session with the feedback', async () => {
    const c = makeCore({ items: [item(1, 'qa')] });
    c.state.runMap.set('r1', run(1, { runId: 'r1', status: 'succeeded', outcome: 'success', sessionId: 'sess-c', agent: 'coder-1', handled: 'coded', endedAt: 3 }));
    const r = await c.request({ type: 'item.reject', id: 1, feedback: 'The greeting must be in French.', source: 'board' });
    assert.equal(r.ok, true);
    assert.equal(c.state.item(1)!.stage, 'current');
    assert.equal(c.state.item(1)!.frontMatter.qa_feedback, 'The greeting must be in French.');
    const h = await c.spawner.nth(1);
    const next = c.state.run(h.runId)!;
    assert.equal(next.sessionId, 'sess-c');
    assert.match(next.prompt!, /rejected your work[\s\S]*in French/);
    assert.equal((await c.request({ type: 'item.reject', id: 1, feedback: '  ', source: 'cli' })).ok, false);
  });

  it('abandon archives from any stage with the reason and stops the agent', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    assert.equal((await c.request({ type: 'item.abandon', id: 1, reason: 'superseded by #7', source: 'cli' })).ok, true);
    await c.waitEvent(is('run.ended'));
    assert.equal(h.stopped?.kind, 'cancelled');
    assert.equal(c.state.item(1)!.stage, 'archived');
    assert.equal(c.state.item(1)!.frontMatter.archived_reason, 'superseded by #7');
  });

  it('done stories are archived once the retention has passed since merged_at, or since the file changed', () => {
    const now = Date.UTC(2026, 5, 1, 12);
    const c = makeCore({
      items: [
        item(1, 'done', { frontMatter: { merged_at: new Date(now - 5 * 3600_000).toISOString() } }),
        item(2, 'done', { frontMatter: { merged_at: new Date(now - 3 * 3600_000).toISOString() } }),
        item(3, 'done', { mtimeMs: now - 10 * 3600_000 }),
        item(4, 'current', { mtimeMs: 0 }),
      ],
      autoAssign: false,
    });
    const due = dueForArchive(c.state, c.config, now).map((x) => (x.type === 'item.transition' ? x.id : -1));
    assert.deepEqual(due, [1, 3]);
  });

  it('a story in QA or merge says what it waits for', () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'human' } }), item(2, 'qa', { frontMatter: { review_hold: true } }), item(3, 'merge')], autoAssign: false });
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /waiting for your review: approve or reject it \(huskies approve 1/);
    assert.match(whyWaiting(c.state.item(2)!, c.state, c.ctx())!, /held for review \(review_hold\)/);
    assert.match(whyWaiting(c.state.item(3)!, c.state, c.ctx())!, /being merged into the base branch/);
  });

  it('qa: server with no test command configured waits for a person rather than passing untested work', () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'server' } })], autoAssign: false });
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /has no test command to run \(add qa_command/);
  });
});
