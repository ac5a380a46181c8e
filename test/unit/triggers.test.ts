// Triggers on stage changes: each condition, once vs persistent, the ephemeral story with the
// triggering story's number, failures kept in the record, and the loop guard.
import * as assert from 'node:assert/strict';
import type { TriggerSpec } from '../../src/core/model/commands';
import { TRIGGER_MAX_FIRINGS } from '../../src/core/pipeline/scheduleRules';
import { Scheduler } from '../../src/core/schedule/scheduler';
import { nullLogger } from '../../src/core/util/log';
import { makeCore } from '../fixtures/core';
import { item } from '../fixtures/memoryState';

function setup(items = [item(1, 'backlog'), item(2, 'backlog', { type: 'bug', frontMatter: { team: 'web', labels: ['ui', 'urgent'] } })]) {
  const core = makeCore({ autoAssign: false, items });
  const sched = new Scheduler({ state: core.state, bus: core.bus, request: core.request, logger: nullLogger, agentsStopped: () => undefined });
  sched.start();
  let n = 0;
  const add = async (spec: TriggerSpec) => {
    const id = `g${++n}`;
    const r = await core.request({ type: 'trigger.add', trigger: { ...spec, id }, source: 'user' });
    assert.ok(r.ok, r.ok ? '' : r.refusal);
    return id;
  };
  const trigger = (id: string) => core.state.triggers().find((t) => t.id === id);
  const move = async (id: number, to: 'current' | 'qa' | 'backlog' | 'done') => {
    const r = await core.request({ type: 'item.move', id, to, source: 'user' });
    assert.ok(r.ok, r.ok ? '' : r.refusal);
    await core.settle();
    await sched.idle;
    await core.settle();
  };
  const firedOn = (id: string) => core.events.filter((e) => e.type === 'trigger.due' && e.trigger.id === id).map((e) => (e.type === 'trigger.due' ? e.storyId : 0));
  return { ...core, sched, add, trigger, move, firedOn };
}

const note = (text: string) => ({ tool: 'add_note', args: { text } });

describe('triggers', () => {
  it('each condition: from, to, type, story, front-matter key and value, label', async () => {
    const c = setup();
    const from = await c.add({ when: { from: 'backlog' }, action: note('from') });
    const to = await c.add({ when: { to: 'qa' }, action: note('to') });
    const type = await c.add({ when: { type: 'bug' }, action: note('type') });
    const story = await c.add({ when: { story: 1 }, action: note('story') });
    const key = await c.add({ when: { key: 'team', value: 'web' }, action: note('key') });
    const keyOther = await c.add({ when: { key: 'team', value: 'api' }, action: note('key2') });
    const label = await c.add({ when: { label: 'urgent' }, action: note('label') });
    await c.move(1, 'current');
    await c.move(2, 'qa');
    assert.deepEqual(c.firedOn(from), [1, 2]);
    assert.deepEqual(c.firedOn(to), [2]);
    assert.deepEqual(c.firedOn(type), [2]);
    assert.deepEqual(c.firedOn(story), [1]);
    assert.deepEqual(c.firedOn(key), [2]);
    assert.deepEqual(c.firedOn(keyOther), []);
    assert.deepEqual(c.firedOn(label), [2]);
    assert.equal(c.trigger(to)!.fired, 1);
    assert.equal(c.trigger(to)!.lastFiredAt, c.clock.now());
  });

  it('once: removed after it did its work; persistent: fires on every match', async () => {
    const c = setup();
    const once = await c.add({ when: { to: 'current' }, action: note('once'), mode: 'once' });
    const always = await c.add({ when: { to: 'current' }, action: note('always') });
    await c.move(1, 'current');
    await c.move(2, 'current');
    assert.equal(c.trigger(once), undefined);
    assert.deepEqual(c.firedOn(once), [1]);
    assert.deepEqual(c.firedOn(always), [1, 2]);
    assert.deepEqual(
      c.state.agentState().notes?.map((n) => n.text),
      ['once', 'always', 'always'],
    );
  });

  it('a prompt makes an ephemeral story that names the triggering story, and starts an agent on it', async () => {
    const c = setup();
    await c.add({ when: { to: 'qa' }, action: { prompt: 'Write release notes' } });
    await c.move(1, 'qa');
    const eph = c.state.items().find((i) => i.frontMatter.ephemeral === true)!;
    assert.equal(eph.name, 'Write release notes (after #1)');
    assert.match(eph.body, /Triggered by story #1/);
    assert.equal(eph.frontMatter.trigger_story, 1);
    assert.ok(c.events.some((e) => e.type === 'run.queued' && e.run.storyId === eph.id));
  });

  it('a failure says why in the record and keeps a once trigger', async () => {
    const c = setup();
    const id = await c.add({ when: { to: 'current' }, action: { tool: 'add_note', args: { story: 99, text: 'x' } }, mode: 'once' });
    await c.move(1, 'current');
    assert.match(c.trigger(id)!.lastError!, /There is no story 99/);
    assert.equal(c.trigger(id)!.disabled, 'fired (once)');
    await c.move(2, 'current');
    assert.deepEqual(c.firedOn(id), [1], 'it does not fire again');
  });

  it('the loop guard stops a trigger that fires on the moves of its own ephemeral stories', async () => {
    const c = setup();
    // Every story that starts makes a new story and starts it: left alone, this would never end.
    const id = await c.add({ when: { to: 'current' }, action: { prompt: 'Follow up' } });
    await c.move(1, 'current');
    await c.settle();
    await c.sched.idle;
    await c.settle();
    const t = c.trigger(id)!;
    assert.match(t.disabled ?? '', /loop guard: it fired on a move of story \d+, which it created itself/);
    assert.equal(t.lastError, t.disabled);
    assert.equal(c.state.items().filter((i) => i.frontMatter.ephemeral === true).length, 1);
    assert.ok(c.events.some((e) => e.type === 'trigger.stopped'));
  });

  it('the loop guard stops a trigger that fires too often in a short window', async () => {
    const items = Array.from({ length: TRIGGER_MAX_FIRINGS + 2 }, (_, i) => item(i + 1, 'backlog'));
    const c = setup(items);
    const id = await c.add({ when: { to: 'current' }, action: note('x') });
    for (const it of items) await c.move(it.id, 'current');
    assert.equal(c.firedOn(id).length, TRIGGER_MAX_FIRINGS);
    assert.match(c.trigger(id)!.disabled ?? '', /fired 6 times within 60 s/);
  });

  it('cancel, and refusals for a trigger without a condition or with a bad action', async () => {
    const c = setup();
    const id = await c.add({ when: { to: 'qa' }, action: note('x') });
    assert.ok((await c.request({ type: 'trigger.cancel', triggerId: id, source: 'user' })).ok);
    assert.equal(c.state.triggers().length, 0);
    const none = await c.request({ type: 'trigger.add', trigger: { id: 'x', when: {}, action: note('x') }, source: 'user' });
    assert.match(none.ok ? '' : none.refusal, /needs a condition/);
    const bad = await c.request({ type: 'trigger.add', trigger: { id: 'y', when: { to: 'qa' }, action: { prompt: ' ' } }, source: 'user' });
    assert.match(bad.ok ? '' : bad.refusal, /prompt needs some text/);
  });
});
