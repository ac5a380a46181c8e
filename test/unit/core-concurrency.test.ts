// The pool with the real pipeline and policies over fakes: slots are counted once, and what a run
// learns (pid, session) is recorded the moment it is known.
import * as assert from 'node:assert/strict';
import { makeCore, sim } from '../fixtures/core';
import { item } from '../fixtures/memoryState';

describe('core: concurrency and what runs record', () => {
  it('max_coders = 2 with two free agents: two stories started one after the other both run', async () => {
    const c = makeCore({ items: [item(1, 'backlog'), item(2, 'backlog'), item(3, 'backlog')], agents: [sim('a'), sim('b')], project: { maxCoders: 2 }, autoAssign: false });
    await c.request({ type: 'run.enqueue', id: 1, source: 'user', attempt: 1 });
    const h1 = await c.spawner.nth(1);
    await c.request({ type: 'run.enqueue', id: 2, source: 'user', attempt: 1 });
    const h2 = await c.spawner.nth(2);
    assert.notEqual(h1.runId, h2.runId);
    await c.request({ type: 'run.enqueue', id: 3, source: 'user', attempt: 1 });
    await c.settle();
    const running = c.state.activeRuns().filter((r) => r.status === 'running');
    const queued = c.state.activeRuns().filter((r) => r.status === 'queued');
    assert.equal(running.length, 2, 'both slots are used');
    assert.equal(queued.length, 1, 'the third waits');
    assert.equal(c.spawner.handles.length, 2);
    // When one ends, the third takes its slot.
    h1.end({ ok: true, kind: 'success' });
    const h3 = await c.spawner.nth(3);
    assert.equal(c.state.run(h3.runId)!.storyId, 3);
  });

  it('the pid and the session are recorded as soon as they are known, not when the run ends', async () => {
    const c = makeCore({ items: [item(1, 'current')] });
    const h = await c.spawner.nth(1);
    h.signal({ kind: 'started', pid: 4242, startTime: 99 });
    h.signal({ kind: 'session', sessionId: 'sess-1' });
    await c.waitEvent((e): e is Extract<typeof e, { type: 'run.updated' }> => e.type === 'run.updated' && e.run.sessionId === 'sess-1');
    const r = c.state.run(h.runId)!;
    assert.equal(r.status, 'running');
    assert.equal(r.pid, 4242);
    assert.equal(r.pidStart, 99);
    assert.equal(r.sessionId, 'sess-1');
  });

  it('one story never gets two runs, however many events ask for one', async () => {
    const c = makeCore({ items: [item(1, 'current')], project: { maxCoders: 5 } });
    await Promise.all(Array.from({ length: 20 }, () => c.request({ type: 'run.enqueue', id: 1, source: 'orchestrator', attempt: 1 })));
    c.policies.kick();
    await c.settle();
    assert.equal(c.state.runsForStory(1).length, 1);
  });

  it('launches each run at the project’s background_nice (10 unless set)', async () => {
    const c = makeCore({ items: [item(1, 'current'), item(2, 'current')], project: { maxCoders: 1 } });
    assert.equal((await c.spawner.nth(1)).launch!.limits.nice, 10);
    const d = makeCore({ items: [item(1, 'current')], project: { backgroundNice: 0 } });
    assert.equal((await d.spawner.nth(1)).launch!.limits.nice, 0);
  });

  it('a timeout longer than Node can wait is kept by the pool and fires when due, not at once', async () => {
    const days = 30;
    const c = makeCore({ items: [item(1, 'current')], agents: [sim('a', { timeout: days * 86_400 })] });
    const h = await c.spawner.nth(1);
    assert.equal(h.launch!.limits.timeoutMs, undefined, 'not handed to a Node timer that would fire at once');
    c.clock.advance(29 * 86_400_000);
    const stoppedEarly = h.stopped;
    c.clock.advance(86_400_000 + 1);
    assert.equal(stoppedEarly, undefined);
    assert.equal(h.stopped?.kind, 'timeout');
  });
});
