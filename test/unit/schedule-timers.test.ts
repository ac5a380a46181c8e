// Scheduled timers: the times (ISO, HH:MM, interval, cron, time zones, DST), firing through the
// one writer with a fake clock, catch-up after downtime, re-arming, actions and their records.
import * as assert from 'node:assert/strict';
import type { Command, ScheduledTimer, TimerSpec } from '../../src/core/model/commands';
import { Scheduler } from '../../src/core/schedule/scheduler';
import { nextAfter, parseInterval, parseSchedule } from '../../src/core/schedule/spec';
import { tick } from '../../src/core/schedule/tick';
import { nullLogger } from '../../src/core/util/log';
import { makeCore } from '../fixtures/core';
import { item } from '../fixtures/memoryState';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const MIN = 60_000;

function setup(opts: Parameters<typeof makeCore>[0] = {}) {
  const core = makeCore({ autoAssign: false, ...opts });
  const sched = new Scheduler({ state: core.state, bus: core.bus, request: core.request, logger: nullLogger, agentsStopped: () => undefined });
  sched.start();
  let n = 0;
  const add = async (spec: Omit<TimerSpec, 'timezone'> & { timezone?: string }) => {
    const id = `t${++n}`;
    const r = await core.request({ type: 'timer.add', timer: { ...spec, id, timezone: spec.timezone ?? 'UTC' }, source: 'user' });
    assert.ok(r.ok, r.ok ? '' : r.refusal);
    return id;
  };
  const timer = (id: string): ScheduledTimer | undefined => core.state.scheduled().find((t) => t.id === id);
  /** One tick of the orchestrator at the fake clock's time, and what the actions did. */
  const tickNow = async () => {
    await tick({ state: core.state, now: () => core.clock.now(), request: core.request, owns: () => true, orphaned: async () => undefined, scheduled: (now) => sched.due(now) });
    await sched.idle;
    await core.settle();
  };
  const fired = () => core.events.filter((e) => e.type === 'timer.due');
  return { ...core, sched, add, timer, tickNow, fired };
}

describe('scheduled timers: times', () => {
  it('HH:MM is the next such time in the zone; an ISO time without an offset is wall-clock time there', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0); // 13:00 in Berlin
    assert.equal(iso(nextAfter({ kind: 'at', at: '09:00' }, 'Europe/Berlin', now, now)), '2026-01-16T08:00:00.000Z');
    assert.equal(iso(nextAfter({ kind: 'at', at: '14:30' }, 'Europe/Berlin', now, now)), '2026-01-15T13:30:00.000Z');
    assert.equal(iso(nextAfter({ kind: 'at', at: '2026-07-01T09:00' }, 'Europe/Berlin', now, now)), '2026-07-01T07:00:00.000Z');
    assert.equal(iso(nextAfter({ kind: 'at', at: '2026-07-01T09:00:00Z' }, 'Europe/Berlin', now, now)), '2026-07-01T09:00:00.000Z');
    assert.equal(nextAfter({ kind: 'at', at: '2025-07-01T09:00:00Z' }, 'UTC', now, now), undefined, 'a past time has no next');
  });

  it('a 02:30 daily cron in Europe/Berlin across both DST changes of 2026', () => {
    const s = parseSchedule({ cron: '30 2 * * *', action: { prompt: 'x' } });
    const runs: string[] = [];
    let t = Date.UTC(2026, 2, 27, 12, 0);
    for (let i = 0; i < 3; i++) runs.push(iso((t = nextAfter(s, 'Europe/Berlin', t, 0)!))!);
    // 28 March 02:30 CET; 29 March has no 02:30 (clocks jump 02:00 → 03:00): the first time after the gap; 30 March 02:30 CEST
    assert.deepEqual(runs, ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    const autumn: string[] = [];
    t = Date.UTC(2026, 9, 23, 12, 0);
    for (let i = 0; i < 3; i++) autumn.push(iso((t = nextAfter(s, 'Europe/Berlin', t, 0)!))!);
    // 25 October has 02:30 twice: it fires once
    assert.deepEqual(autumn, ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('intervals: units, a minimum of 60 s, and clear errors for a bad spec', () => {
    assert.equal(parseInterval('every 30m'), 1800);
    assert.equal(parseInterval('2h'), 7200);
    assert.equal(parseInterval(90), 90);
    assert.throws(() => parseInterval('10s'), /shorter than 60 seconds/);
    assert.throws(() => parseInterval('soon'), /not an interval/);
    assert.throws(() => parseSchedule({ at: '09:00', every: '1h', action: { prompt: 'x' } }), /exactly one of "at", "every" or "cron" \(got at and every\)/);
    assert.throws(() => parseSchedule({ cron: 'not a cron', action: { prompt: 'x' } }), /not a cron expression/);
    assert.throws(() => parseSchedule({ at: '25:00', action: { prompt: 'x' } }), /not a time/);
    assert.throws(() => parseSchedule({ at: '09:00', timezone: 'Mars/Base', action: { prompt: 'x' } }), /not a known time zone/);
    assert.throws(() => parseSchedule({ at: '09:00', action: { tool: 'move_story', args: [] as unknown as Record<string, unknown> } }), /must be an object/);
  });
});

describe('scheduled timers: firing', () => {
  it('a one-shot ISO timer fires once at its time; its tool call pauses the story; then it is gone', async () => {
    const c = setup({ items: [item(1, 'backlog')] });
    const id = await c.add({ at: new Date(c.clock.now() + 10 * MIN).toISOString(), action: { tool: 'pause', args: { story: 1, reason: 'at ten' } } });
    c.clock.advance(9 * MIN);
    await c.tickNow();
    assert.equal(c.fired().length, 0);
    c.clock.advance(MIN);
    await c.tickNow();
    assert.equal(c.fired().length, 1);
    assert.equal(c.state.item(1)!.frontMatter.paused, true);
    assert.equal(c.timer(id), undefined, 'done and removed');
    c.clock.advance(60 * MIN);
    await c.tickNow();
    assert.equal(c.fired().length, 1);
    assert.ok(c.audit.some((a) => a.cmd === 'timer.fire') && c.audit.some((a) => a.cmd === 'timer.result'));
  });

  it('an HH:MM timer in a zone fires at that wall-clock time', async () => {
    const c = setup({ items: [item(1, 'backlog')] }); // the clock starts 2026-01-15 12:00 UTC = 13:00 Berlin
    const id = await c.add({ at: '14:30', timezone: 'Europe/Berlin', action: { tool: 'add_note', args: { text: 'tea' } } });
    assert.equal(iso(c.timer(id)!.nextAt), '2026-01-15T13:30:00.000Z');
    c.clock.advance(90 * MIN);
    await c.tickNow();
    assert.equal(c.state.agentState().notes?.at(-1)?.text, 'tea');
  });

  it('a failing action keeps the timer with the reason; an MCP tool needs the MCP dispatch', async () => {
    const c = setup();
    const id = await c.add({ at: new Date(c.clock.now() + MIN).toISOString(), action: { tool: 'add_note', args: { story: 7, text: 'x' } } });
    const id2 = await c.add({ every: '1h', action: { tool: 'deploy', args: {} } });
    c.clock.advance(61 * MIN);
    await c.tickNow();
    assert.match(c.timer(id)!.lastError!, /add_note: There is no story 7/);
    assert.match(c.timer(id2)!.lastError!, /deploy: the orchestrator's MCP tools are not available in this process/);
    assert.ok(c.timer(id2)!.nextAt! > c.clock.now(), 'a recurring timer stays armed');
  });

  it('the MCP dispatch, when offered, carries out tool calls', async () => {
    const c = setup();
    const calls: unknown[] = [];
    c.sched.callTool = async (tool, args) => (calls.push([tool, args]), { ok: tool === 'run_tests', error: 'nope' });
    await c.add({ every: '5m', action: { tool: 'run_tests', args: { story: 1 } } });
    c.clock.advance(5 * MIN);
    await c.tickNow();
    assert.deepEqual(calls, [['run_tests', { story: 1 }]]);
  });

  it('an interval re-arms from its schedule; after downtime it fires once, and the next time is on the schedule', async () => {
    const c = setup();
    const start = c.clock.now();
    const id = await c.add({ every: '30m', action: { tool: 'add_note', args: { text: 'ping' } } });
    c.clock.advance(30 * MIN + 5_000); // a few seconds late
    await c.tickNow();
    assert.equal(c.fired().length, 1);
    assert.equal(c.timer(id)!.nextAt, start + 60 * MIN, 'from the schedule, not from the late firing');
    // Nothing ran for 5 hours: on the next start it fires once, then waits for the next slot.
    c.clock.advance(5 * 60 * MIN);
    await c.tickNow();
    await c.tickNow();
    assert.equal(c.fired().length, 2);
    const due = c.events.filter((e) => e.type === 'timer.due').at(-1);
    assert.equal(due?.type === 'timer.due' && due.late, true);
    assert.equal(c.timer(id)!.nextAt, start + 6 * 60 * MIN);
    assert.equal(c.state.agentState().notes?.length, 2);
  });

  it('a cron timer re-arms to its next time after now', async () => {
    const c = setup();
    const id = await c.add({ cron: '0 9 * * *', timezone: 'Europe/Berlin', action: { tool: 'add_note', args: { text: 'standup' } } });
    assert.equal(iso(c.timer(id)!.nextAt), '2026-01-16T08:00:00.000Z');
    c.clock.advance(3 * 24 * 60 * MIN); // three days down
    await c.tickNow();
    assert.equal(c.fired().length, 1);
    assert.equal(iso(c.timer(id)!.nextAt), '2026-01-19T08:00:00.000Z');
  });

  it('a prompt creates an ephemeral backlog story and starts an agent on it', async () => {
    const c = setup();
    const id = await c.add({ every: '1h', action: { prompt: 'Summarize the open bugs\nin one page', agent: 'coder-1' } });
    c.clock.advance(60 * MIN);
    await c.tickNow();
    const story = c.state.items().find((i) => i.frontMatter.ephemeral === true)!;
    assert.ok(story, 'created');
    assert.equal(story.name, 'Summarize the open bugs');
    assert.equal(story.type, 'story');
    assert.equal(story.frontMatter.timer, id);
    assert.ok(c.events.some((e) => e.type === 'run.queued' && e.run.storyId === story.id && e.run.agent === 'coder-1'));
    assert.equal(c.timer(id)!.lastError, undefined);
  });

  it('cancel removes a timer; bad specs are refused with the reason', async () => {
    const c = setup();
    const id = await c.add({ every: '1h', action: { prompt: 'x' } });
    assert.ok((await c.request({ type: 'timer.cancel', timerId: id, source: 'user' })).ok);
    assert.equal(c.state.scheduled().length, 0);
    const r = await c.request({ type: 'timer.cancel', timerId: id, source: 'user' });
    assert.equal(r.ok ? '' : r.refusal, `There is no scheduled timer ${id}.`);
    const past = await c.request({ type: 'timer.add', timer: { id: 'p', at: '2020-01-01T00:00:00Z', timezone: 'UTC', action: { prompt: 'x' } }, source: 'user' } as Command);
    assert.match(past.ok ? '' : past.refusal, /has passed/);
  });
});
