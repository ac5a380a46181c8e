// The agents after coding: a QA agent's verdict (approve, reject, none), and a mergemaster sent at a
// failed merge, its attempts and the block when they are spent.
import * as assert from 'node:assert/strict';
import type { RunFacts } from '../../src/core/model/commands';
import type { HuskiesEvent } from '../../src/core/model/events';
import type { RunRecord } from '../../src/core/model/run';
import { autoAssign } from '../../src/core/policies/autoAssign';
import { whyWaiting } from '../../src/core/policies/waits';
import { makeCore, sim } from '../fixtures/core';
import { item, run } from '../fixtures/memoryState';

type Ev<T extends HuskiesEvent['type']> = Extract<HuskiesEvent, { type: T }>;
const is =
  <T extends HuskiesEvent['type']>(t: T, pred: (e: Ev<T>) => boolean = () => true) =>
  (e: HuskiesEvent): e is Ev<T> =>
    e.type === t && pred(e as Ev<T>);

const agents = [sim('coder-1'), sim('qa-1', { stage: 'qa' }), sim('mm-1', { stage: 'mergemaster' })];
const coded = (id: number) => run(id, { runId: `c${id}`, status: 'succeeded', outcome: 'success', sessionId: `sess-${id}`, agent: 'coder-1', handled: 'coded', endedAt: 2 });
const success = { ok: true as const, kind: 'success' as const };

describe('core: the QA agent and the mergemaster', () => {
  it('a story in QA with qa: agent gets a QA agent; its approval sends the story to merge', async () => {
    const c = makeCore({
      items: [item(1, 'qa', { frontMatter: { qa: 'agent' } })],
      agents,
      facts: async (r) => (r.role === 'qa' ? { verdict: { ok: true, approve: true, summary: 'QA approved the change.' } } : {}),
    });
    c.state.runMap.set('c1', coded(1));
    c.policies.kick();
    const h = await c.spawner.nth(1);
    const qaRun = c.state.run(h.runId)!;
    assert.equal(qaRun.role, 'qa');
    assert.equal(qaRun.agent, 'qa-1', 'a QA agent, not the coder');
    assert.equal(h.launch!.spec.env.HUSKIES_AGENT_ROLE, 'qa');
    assert.match(h.launch!.spec.args.join(' '), /QA reviewer of story 1/);
    h.end(success);
    await c.waitEvent(is('item.moved', (e) => e.to === 'merge'));
    assert.equal(c.state.item(1)!.stage, 'merge');
    assert.equal(c.state.run(h.runId)!.handled, 'coded');
    await c.settle();
    assert.equal(c.spawner.handles.length, 1, 'one review, no second one');
  });

  it('a rejection sends the story back to its coder, in its session, with the reasons', async () => {
    const c = makeCore({
      items: [item(1, 'qa', { frontMatter: { qa: 'agent' } })],
      agents,
      facts: async (r) => (r.role === 'qa' ? { verdict: { ok: true, approve: false, summary: 'QA rejected the change:\n- no test for the e-mail check' } } : {}),
    });
    c.state.runMap.set('c1', coded(1));
    c.policies.kick();
    (await c.spawner.nth(1)).end(success);
    const h2 = await c.spawner.nth(2);
    const next = c.state.run(h2.runId)!;
    assert.equal(c.state.item(1)!.stage, 'current');
    assert.equal(next.role, undefined, "the coder's run");
    assert.equal(next.agent, 'coder-1');
    assert.equal(next.sessionId, 'sess-1');
    assert.match(next.prompt!, /no test for the e-mail check[\s\S]*Fix what the reviewer found/);
    assert.match(String(c.state.item(1)!.frontMatter.qa_feedback), /QA rejected the change/);
  });

  it('a QA agent that leaves no usable verdict is tried again with the problem, then the story is blocked', async () => {
    const c = makeCore({
      items: [item(1, 'qa', { frontMatter: { qa: 'agent' } })],
      agents,
      project: { maxRetries: 1 },
      facts: async () => ({ verdict: { ok: false, problem: '.huskies-verdict.json: "approve" must be true or false' } }),
    });
    c.state.runMap.set('c1', coded(1));
    c.policies.kick();
    (await c.spawner.nth(1)).end(success);
    const h2 = await c.spawner.nth(2);
    const second = c.state.run(h2.runId)!;
    assert.equal(second.role, 'qa');
    assert.equal(second.attempt, 2);
    assert.match(h2.launch!.spec.args.join(' '), /could not be used:\n1\. \.huskies-verdict\.json: "approve" must be true or false/);
    h2.end(success);
    await c.waitEvent(is('item.blocked'));
    assert.match(c.state.item(1)!.blockedReason!, /the QA agent failed 2 times; last: \.huskies-verdict\.json/);
    assert.equal(c.state.item(1)!.stage, 'qa');
  });

  it('with no QA agent defined nothing starts, and the card says what to add', async () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'agent' } })] });
    await c.settle();
    assert.equal(c.spawner.handles.length, 0);
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /needs an agent with stage = "qa" in \.huskies\/agents\.toml/);
  });

  it('a conflict gets a mergemaster in the merge worktree; its resolution has the merge tried again', async () => {
    const c = makeCore({
      items: [item(1, 'merge', { frontMatter: { merge_failure: 'conflicts with the base branch in a.txt', merge_failure_kind: 'conflict' } })],
      agents,
      facts: async (r) => (r.role === 'mergemaster' ? { merge: { resolved: true, detail: 'committed abc' } } : {}),
    });
    c.state.runMap.set('c1', coded(1));
    c.policies.kick();
    const h = await c.spawner.nth(1);
    const mm = c.state.run(h.runId)!;
    assert.equal(mm.role, 'mergemaster');
    assert.equal(mm.agent, 'mm-1');
    assert.equal(mm.worktree, '/tmp/none/merge/1');
    assert.equal(c.state.item(1)!.frontMatter.mergemaster_attempts, 1);
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx()) ?? 'running', /running/);
    h.end(success);
    await c.waitEvent(is('run.handled', (e) => e.run.runId === h.runId || false));
    await c.settle();
    assert.equal(c.state.item(1)!.frontMatter.merge_failure, undefined, 'the merge is tried again');
    assert.equal(c.state.run(h.runId)!.handled, 'coded');
  });

  it('after the configured attempts the story is blocked with the last reason; unblocking tries the merge again', async () => {
    const facts = async (r: RunRecord): Promise<RunFacts> =>
      r.role === 'mergemaster' ? { merge: { resolved: false, detail: 'the merge is still in progress with conflicts in a.txt' } } : {};
    const c = makeCore({
      items: [item(1, 'merge', { frontMatter: { merge_failure: 'conflicts in a.txt', merge_failure_kind: 'conflict' } })],
      agents,
      project: { mergemasterAttempts: 2 },
      facts,
    });
    c.state.runMap.set('c1', coded(1));
    c.policies.kick();
    (await c.spawner.nth(1)).end(success);
    const h2 = await c.spawner.nth(2);
    assert.equal(c.state.run(h2.runId)!.attempt, 2);
    assert.match(h2.launch!.spec.args.join(' '), /Earlier mergemaster attempts did not resolve it:\n1\. the merge is still in progress/);
    h2.end(success);
    await c.waitEvent(is('item.blocked'));
    const it = c.state.item(1)!;
    assert.match(it.blockedReason!, /the mergemaster could not land it after 2 attempts \(last: the merge is still in progress with conflicts in a\.txt\)/);
    assert.match(it.blockedReason!, /huskies fixup 1/);
    await c.settle();
    assert.equal(c.spawner.handles.length, 2, 'no third attempt');
    assert.equal((await c.request({ type: 'item.unblock', id: 1, source: 'cli' })).ok, true);
    const after = c.state.item(1)!;
    assert.equal(after.frontMatter.merge_failure, undefined, 'unblocked: the merge is tried again');
    assert.equal(after.frontMatter.mergemaster_attempts, undefined, 'with fresh mergemaster attempts');
  });

  it('a branch with nothing to merge gets no mergemaster: it waits for a fix-up', async () => {
    const c = makeCore({ items: [item(1, 'merge', { frontMatter: { merge_failure: 'nothing to merge', merge_failure_kind: 'empty' } })], agents });
    await c.settle();
    assert.equal(c.spawner.handles.length, 0);
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /nothing to merge — fix it up \(huskies fixup 1\)/);
  });

  it('a follow-up to a story in QA is still its coder, not a review', async () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'human' } })], agents });
    c.state.runMap.set('c1', coded(1));
    const r = await c.request({ type: 'run.enqueue', id: 1, source: 'user', agent: 'coder-1', prompt: 'one more thing', attempt: 1, sessionId: 'sess-1' });
    assert.equal(r.ok, true);
    const h = await c.spawner.nth(1);
    assert.equal(c.state.run(h.runId)!.role, undefined);
    assert.equal(h.launch!.spec.env.HUSKIES_AGENT_ROLE, 'coder');
    h.end(success);
    await c.waitEvent(is('run.handled', (e) => e.run.runId === h.runId));
    assert.equal(c.state.item(1)!.stage, 'qa');
  });
});

describe('core: stories stacked on their parents (stack_on_parents)', () => {
  const child = (stage: 'current' | 'merge', fm: Record<string, unknown> = {}) => item(2, stage, { dependsOn: [1], frontMatter: fm });

  it('off (the default): a story waits for its parent to be done', async () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'human' } }), child('current')] });
    await c.settle();
    assert.equal(c.spawner.handles.length, 0);
    assert.match(whyWaiting(c.state.item(2)!, c.state, c.ctx())!, /waits for #1 to be done/);
  });

  it('on: a story whose parent is coded starts from the parent, recorded as stacked_on', async () => {
    const c = makeCore({ items: [item(1, 'qa', { frontMatter: { qa: 'human' } }), child('current')], project: { stackOnParents: true } });
    const h = await c.spawner.nth(1);
    assert.equal(c.state.run(h.runId)!.storyId, 2);
    assert.equal(c.state.item(2)!.frontMatter.stacked_on, 1);
  });

  it('on: a parent still being coded, blocked, or a second open parent keeps the story waiting', async () => {
    for (const items of [
      [item(1, 'current'), child('current')],
      [item(1, 'qa', { blocked: true, frontMatter: { qa: 'human' } }), child('current')],
      [item(1, 'qa', { frontMatter: { qa: 'human' } }), item(3, 'merge'), item(2, 'current', { dependsOn: [1, 3] })],
    ]) {
      const c = makeCore({ items, project: { stackOnParents: true }, autoAssign: false });
      const ctx = { ...c.ctx(), autoAssign: true };
      assert.deepEqual(
        autoAssign(c.state, ctx).filter((x) => 'id' in x && x.id === 2),
        [],
      );
      assert.match(whyWaiting(c.state.item(2)!, c.state, ctx)!, /waits for #/);
    }
  });

  it('the pipeline refuses to stack on a parent that is not coded, or not a parent', async () => {
    const c = makeCore({ items: [item(1, 'current'), child('current'), item(3, 'qa')], project: { stackOnParents: true }, autoAssign: false });
    const r = await c.request({ type: 'run.enqueue', id: 2, source: 'orchestrator', attempt: 1, stackOn: 1 });
    assert.deepEqual(r, { ok: false, refusal: '#1 is not coded (in QA or merge): story 2 cannot start from its branch.' });
    const r3 = await c.request({ type: 'run.enqueue', id: 2, source: 'orchestrator', attempt: 1, stackOn: 3 });
    assert.deepEqual(r3, { ok: false, refusal: 'Story 2 does not depend on #3.' });
  });

  it('a stacked story in merge waits for its parent to land, and says so', async () => {
    const c = makeCore({ items: [item(1, 'merge'), child('merge', { stacked_on: 1 })], project: { stackOnParents: true }, autoAssign: false });
    assert.match(whyWaiting(c.state.item(2)!, c.state, c.ctx())!, /stacked on #1: merged after #1 lands/);
    assert.equal((await c.request({ type: 'item.restacked', id: 2, parent: 1, ok: true, note: '#1 landed; rebased onto main', source: 'orchestrator' })).ok, true);
    assert.equal(c.state.item(2)!.frontMatter.stacked_on, undefined);
    assert.equal(c.state.item(2)!.frontMatter.restacked, '#1 landed; rebased onto main');
  });
});

describe('core: a user moves a story (board drag, huskies move)', () => {
  it('moves that skip the merge or QA, or move a blocked story on, are refused with the reason', async () => {
    const c = makeCore({ items: [item(1, 'qa'), item(2, 'current'), item(3, 'current', { blocked: true, blockedReason: 'why' }), item(4, 'backlog')], autoAssign: false });
    const move = (id: number, to: 'done' | 'merge' | 'qa' | 'current' | 'backlog' | 'archived') => c.request({ type: 'item.move', id, to, source: 'board' });
    const refusal = async (id: number, to: 'done' | 'merge' | 'qa' | 'backlog') => {
      const r = await move(id, to);
      return r.ok ? 'applied' : r.refusal;
    };
    assert.match(await refusal(1, 'done'), /Done means merged: story 1 gets there by its merge/);
    assert.match(await refusal(2, 'merge'), /a story reaches merge from QA/);
    assert.match(await refusal(3, 'qa'), /is blocked: why\. Unblock it first/);
    assert.match(await refusal(4, 'backlog'), /already in backlog/);
    assert.equal((await move(1, 'merge')).ok, true);
    assert.equal((await move(3, 'backlog')).ok, true, 'a blocked story may go back to the backlog');
    assert.equal((await move(4, 'current')).ok, true);
    assert.deepEqual(
      [1, 3, 4].map((id) => c.state.item(id)!.stage),
      ['merge', 'backlog', 'current'],
    );
  });

  it('a fix-up of a story blocked in merge (the mergemaster gave up) unblocks it and sends it to its coder', async () => {
    const c = makeCore({
      items: [item(1, 'merge', { blocked: true, blockedReason: 'the mergemaster could not land it', frontMatter: { merge_failure: 'conflicts', mergemaster_attempts: 2 } })],
      autoAssign: false,
    });
    assert.equal((await c.request({ type: 'item.transition', id: 1, kind: 'fixup', source: 'board' })).ok, true);
    const it = c.state.item(1)!;
    assert.equal(it.stage, 'current');
    assert.equal(it.blocked, false);
    assert.equal(it.frontMatter.merge_failure, undefined);
    assert.equal(it.frontMatter.mergemaster_attempts, undefined);
  });
});

describe('core: pause, resume, notes, criteria', () => {
  it('a paused project starts no agent (running ones finish) and says so; resume starts the queued work', async () => {
    const c = makeCore({ items: [item(1, 'current'), item(2, 'current')], project: { maxCoders: 1 } });
    const h1 = await c.spawner.nth(1);
    assert.equal((await c.request({ type: 'control.pause', reason: 'lunch', source: 'cli' })).ok, true);
    assert.equal(c.state.agentState().paused?.reason, 'lunch');
    h1.end(success);
    await c.settle();
    assert.equal(c.spawner.handles.length, 1, 'no new start while paused');
    assert.equal(h1.stopped, undefined, 'the running agent was not stopped');
    assert.match(whyWaiting(c.state.item(2)!, c.state, c.ctx())!, /the project is paused \(lunch\)/);
    assert.equal((await c.request({ type: 'control.pause', reason: 'again', source: 'cli' })).ok, false);
    assert.equal((await c.request({ type: 'control.resume', source: 'cli' })).ok, true);
    await c.spawner.nth(2);
  });

  it('a paused story is skipped until it is resumed; a note goes on the story or the project', async () => {
    const c = makeCore({ items: [item(1, 'current', { frontMatter: { paused: true } })] });
    await c.settle();
    assert.equal(c.spawner.handles.length, 0);
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /^paused: no agent starts on it until you resume it \(huskies resume 1\)/);
    assert.equal((await c.request({ type: 'control.note', id: 1, text: 'waiting on the API key', source: 'board' })).ok, true);
    assert.equal(c.state.item(1)!.frontMatter.note, 'waiting on the API key');
    assert.equal((await c.request({ type: 'control.note', text: 'release on Friday', source: 'cli' })).ok, true);
    assert.deepEqual(
      c.state.agentState().notes?.map((n) => n.text),
      ['release on Friday'],
    );
    assert.equal((await c.request({ type: 'control.resume', id: 1, source: 'cli' })).ok, true);
    await c.spawner.nth(1);
    assert.ok(
      c.audit.some((a) => a.cmd === 'control.note' && a.reason === 'release on Friday'),
      'notes are in the audit log',
    );
  });

  it('a criterion is ticked by number; a number out of range is refused with the count', async () => {
    const c = makeCore({
      items: [
        item(1, 'current', {
          criteria: [
            { text: 'a', done: false },
            { text: 'b', done: false },
          ],
        }),
      ],
      autoAssign: false,
    });
    assert.equal((await c.request({ type: 'item.checkCriterion', id: 1, index: 1, done: true, source: 'mcp' })).ok, true);
    assert.deepEqual(
      c.state.item(1)!.criteria.map((x) => x.done),
      [false, true],
    );
    const r = await c.request({ type: 'item.checkCriterion', id: 1, index: 2, done: true, source: 'mcp' });
    assert.deepEqual(r, { ok: false, refusal: 'Story 1 has no acceptance criterion 2: it has 2, numbered from 0.' });
  });
});
