// How the core acts on every ending, with fakes: retries and blocks, stops that stick, waits with
// a visible reason, overloads with backoff, and endings acted on exactly once.
import * as assert from 'node:assert/strict';
import type { HuskiesEvent } from '../../src/core/model/events';
import { whyWaiting } from '../../src/core/policies/waits';
import { MAX_TRANSIENT } from '../../src/core/policies/runEndings';
import { makeCore, sim } from '../fixtures/core';
import { item, run } from '../fixtures/memoryState';

type Ev<T extends HuskiesEvent['type']> = Extract<HuskiesEvent, { type: T }>;
const is =
  <T extends HuskiesEvent['type']>(t: T, pred: (e: Ev<T>) => boolean = () => true) =>
  (e: HuskiesEvent): e is Ev<T> =>
    e.type === t && pred(e as Ev<T>);

describe('core: run endings', () => {
  it('success with commits moves the story to QA and is handled once', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.end({ ok: true, kind: 'success' });
    await c.waitEvent(is('item.moved', (e) => e.to === 'qa'));
    await c.waitEvent(is('run.handled'));
    assert.equal(c.state.item(1)!.stage, 'qa');
    assert.equal(c.state.run(h.runId)!.handled, 'coded');
    const again = await c.request({ type: 'run.ended', runId: h.runId, outcome: { ok: true, kind: 'success' }, facts: { commitsAhead: 1 }, lastSeq: 0 });
    assert.equal(again.ok, false, 'an ending is recorded once');
  });

  it('a stop by the user sticks: the run is not retried and nothing restarts the story on its own', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    await c.request({ type: 'run.stop', id: 1, kind: 'cancelled', reason: 'stopped by the user', byUser: true, source: 'cli' });
    assert.equal(h.stopped?.kind, 'cancelled', 'the process group is stopped');
    await c.waitEvent(is('run.ended'));
    c.policies.kick();
    c.clock.advance(60_000);
    await c.settle();
    assert.equal(c.state.runsForStory(1).length, 1, 'no retry, no restart');
    const r = c.state.run(h.runId)!;
    assert.equal(r.status, 'stopped');
    assert.equal(r.handled, 'stopped-by-user');
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /stopped by you/);
  });

  it('defaults (drain after 2, 3 retries): the waiting retry says why — the agent is drained', async () => {
    const c = makeCore({ items: [item(1, 'current')], project: { drainAfterFailures: 2, maxRetries: 3 } });
    (await c.spawner.nth(1)).end({ ok: false, kind: 'failed', reason: 'tests fail' });
    (await c.spawner.nth(2)).end({ ok: false, kind: 'failed', reason: 'tests fail again' });
    await c.waitEvent(is('agent.failed', (e) => !!e.drain));
    await c.waitEvent(is('run.queued', (e) => e.run.attempt === 3));
    await c.settle();
    assert.equal(c.spawner.handles.length, 2, 'the drained agent takes no work');
    const why = whyWaiting(c.state.item(1)!, c.state, c.ctx());
    assert.match(why!, /no agent can take it: coder-1 is drained after 2 failures/);
    await c.request({ type: 'agent.acknowledge', name: 'coder-1', source: 'user' });
    const h3 = await c.spawner.nth(3);
    h3.end({ ok: false, kind: 'failed', reason: 'third' });
    const h4 = await c.spawner.nth(4);
    h4.end({ ok: false, kind: 'failed', reason: 'fourth' });
    await c.waitEvent(is('item.blocked'));
    assert.match(c.state.item(1)!.blockedReason!, /failed 4 times; last: fourth/);
  });

  it('a story pinned to an agent that does not exist says so', async () => {
    const c = makeCore({ items: [item(1, 'current', { agent: 'ghost' })] });
    await c.waitEvent(is('run.queued'));
    await c.settle();
    assert.equal(c.spawner.handles.length, 0);
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /pinned to agent "ghost", which is not defined/);
  });

  it('depends_on itself, a cycle, or a missing story: each waits with a reason', () => {
    const c = makeCore({
      items: [item(1, 'current', { dependsOn: [1] }), item(2, 'current', { dependsOn: [3] }), item(3, 'current', { dependsOn: [2] }), item(4, 'current', { dependsOn: [99] })],
      autoAssign: false,
    });
    assert.match(whyWaiting(c.state.item(1)!, c.state, c.ctx())!, /depends on itself/);
    assert.match(whyWaiting(c.state.item(2)!, c.state, c.ctx())!, /cycle: #2 → #3 → #2/);
    assert.match(whyWaiting(c.state.item(4)!, c.state, c.ctx())!, /#99, which does not exist/);
  });

  it('a story moved away mid-run takes its agent with it, and starts again when moved back', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.signal({ kind: 'session', sessionId: 's1' });
    h.signal({ kind: 'replied' });
    await c.waitEvent(is('run.updated', (e) => e.run.modelReplied === true));
    await c.request({ type: 'item.move', id: 1, to: 'backlog', source: 'watcher' });
    await c.waitEvent(is('run.ended'));
    assert.equal(h.stopped?.kind, 'cancelled');
    assert.equal(c.state.run(h.runId)!.handled, 'moved-away');
    await c.request({ type: 'item.move', id: 1, to: 'current', source: 'watcher' });
    const h2 = await c.spawner.nth(2);
    assert.equal(c.state.run(h2.runId)!.sessionId, 's1', 'the same session goes on');
  });

  it('a permanent 529 backs off and then blocks the story, instead of waiting forever', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const delays: number[] = [];
    for (let i = 1; i <= MAX_TRANSIENT + 1; i++) {
      const h = await c.spawner.nth(i);
      h.end({ ok: false, kind: 'overloaded', reason: 'API error 529: overloaded_error' });
      if (i <= MAX_TRANSIENT) {
        const w = await c.waitEvent(is('run.waiting', (e) => e.run.runId === h.runId));
        delays.push(w.until - c.clock.now());
        c.clock.advance(w.until - c.clock.now());
        await c.request({ type: 'timer.fire', timerId: `resume-${h.runId}`, source: 'timer' });
      }
    }
    await c.waitEvent(is('item.blocked'));
    assert.match(c.state.item(1)!.blockedReason!, /stayed overloaded for 6 attempts/);
    assert.deepEqual(delays, [60_000, 120_000, 240_000, 480_000, 960_000], 'exponential backoff');
  });

  it('a 401 blocks the story with what to do, and does not retry', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    (await c.spawner.nth(1)).end({ ok: false, kind: 'auth', reason: 'API error 401: invalid x-api-key' });
    await c.waitEvent(is('item.blocked'));
    assert.match(c.state.item(1)!.blockedReason!, /401.*log the program in/);
    await c.settle();
    assert.equal(c.spawner.handles.length, 1);
  });

  it('an orphaned run resumes its session; a lost session starts afresh', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.signal({ kind: 'session', sessionId: 'abc' });
    h.signal({ kind: 'replied' });
    await c.waitEvent(is('run.updated', (e) => e.run.modelReplied === true));
    h.end({ ok: false, kind: 'orphaned', reason: 'host went away' });
    const h2 = await c.spawner.nth(2);
    assert.equal(c.state.run(h2.runId)!.sessionId, 'abc');
    assert.equal(c.state.run(h.runId)!.handled, 'resumed');
    h2.end({ ok: false, kind: 'failed', reason: 'No conversation found with session ID: abc' });
    const h3 = await c.spawner.nth(3);
    assert.equal(c.state.run(h3.runId)!.sessionId, undefined);
    assert.equal(c.state.run(h2.runId)!.handled, 'session-lost');
  });

  it('a question blocks the story; the answer resumes the session', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.signal({ kind: 'session', sessionId: 'q1' });
    await c.waitEvent(is('run.updated', (e) => e.run.sessionId === 'q1'));
    await c.request({ type: 'run.ended', runId: h.runId, outcome: { ok: true, kind: 'success' }, facts: { question: 'Which greeting?' }, lastSeq: 0 });
    await c.waitEvent(is('item.questionAsked'));
    assert.equal(c.state.item(1)!.blocked, true);
    await c.request({ type: 'item.answer', id: 1, answer: 'Hello', source: 'user' });
    const h2 = await c.spawner.nth(2);
    assert.equal(c.state.run(h2.runId)!.sessionId, 'q1');
    assert.match(c.state.run(h2.runId)!.prompt!, /The user answers: Hello/);
  });

  it('a superseded ending is acted on once: a second retry for the same failure is refused', async () => {
    const c = makeCore({ items: [item(1, 'current')], autoAssign: false });
    c.state.runMap.set('r1', run(1, { runId: 'r1', status: 'failed', outcome: 'failed', reason: 'x', endedAt: 5 }));
    const first = await c.request({ type: 'run.enqueue', id: 1, source: 'orchestrator', attempt: 2, supersedes: { runId: 'r1', handled: 'retried' } });
    assert.equal(first.ok, true);
    const h = await c.spawner.nth(1);
    h.end({ ok: false, kind: 'cancelled', reason: 'x' });
    await c.waitEvent(is('run.ended'));
    const second = await c.request({ type: 'run.enqueue', id: 1, source: 'orchestrator', attempt: 2, supersedes: { runId: 'r1', handled: 'retried' } });
    assert.equal(second.ok, false);
  });

  it('a follow-up right after a run ends is taken whether or not the ending was handled yet', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.signal({ kind: 'session', sessionId: 's' });
    h.end({ ok: true, kind: 'success' });
    await c.waitEvent(is('run.handled'));
    const r = await c.request({
      type: 'run.enqueue',
      id: 1,
      source: 'user',
      attempt: 1,
      sessionId: 's',
      prompt: 'more',
      supersedes: { runId: h.runId, handled: 'followed-up', ifUnhandled: true },
    });
    assert.equal(r.ok, true);
    assert.equal(c.state.run(h.runId)!.handled, 'coded', 'the first handling stands');
  });

  it('every applied command leaves one audit line', async () => {
    const c = makeCore({ items: [item(1, 'backlog')], autoAssign: false, agents: [sim('a')] });
    await c.request({ type: 'item.move', id: 1, to: 'current', source: 'cli' });
    await c.request({ type: 'item.block', id: 1, reason: 'waiting for design', source: 'user' });
    await c.request({ type: 'item.unblock', id: 1, source: 'user' });
    const refused = await c.request({ type: 'item.unblock', id: 1, source: 'user' });
    assert.equal(refused.ok, false);
    assert.deepEqual(
      c.audit.map((a) => a.cmd),
      ['item.move', 'item.block', 'item.unblock'],
    );
    assert.equal(c.audit[0].from, 'backlog');
    assert.equal(c.audit[0].to, 'current');
    assert.equal(c.audit[0].source, 'cli');
  });
});
