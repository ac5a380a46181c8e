// Stuck work found and raised as help requests: each detection, and the tracker's backoff with the fake clock.
import * as assert from 'node:assert/strict';
import { DEFAULT_PROJECT, type AgentSpec } from '../../src/core/config/config';
import type { RunRecord } from '../../src/core/model/run';
import { findStuck, neverHappens, noAgentForReadyWork, StuckTracker, type HelpFinding } from '../../src/core/policies/stuck';
import type { PolicyContext } from '../../src/core/policies/types';
import { decide } from '../../src/core/pipeline/stageMachine';
import { FakeClock } from '../fixtures/fakeClock';
import { item, MemoryState } from '../fixtures/memoryState';

const coder = (name: string): AgentSpec => ({ name, stage: 'coder', runtime: 'sim', args: [], env: {} });
const MIN = 60_000;

function ctx(clock: FakeClock, extra: Partial<PolicyContext> = {}, project: Partial<PolicyContext['config']['project']> = {}): PolicyContext {
  const agents = extra.agents ?? [coder('c1')];
  return { now: clock.now(), config: { project: { ...DEFAULT_PROJECT, ...project }, agents }, agents, autoAssign: true, ...extra };
}

function run(storyId: number, status: RunRecord['status'], extra: Partial<RunRecord> = {}): RunRecord {
  return { runId: `r${storyId}-${status}`, storyId, agent: 'c1', runtime: 'sim', status, queuedAt: 1, transcript: '', lastSeq: 0, attempt: 1, stage: 'current', ...extra };
}

describe('stuck work: ready work and no agent', () => {
  const clock = new FakeClock();

  it('says so when every coder is drained, offering to acknowledge it', () => {
    const s = new MemoryState([item(1, 'current')]);
    s.agents = { ...s.agents, drained: { c1: { since: 0, failures: 2, reason: 'exit 1' } } };
    const f = noAgentForReadyWork(s, ctx(clock));
    assert.equal(f?.key, 'no-agent');
    assert.match(f!.reason, /Story #1 is ready, but no agent can take it: c1 is drained after 2 failures/);
    assert.deepEqual(f!.actions[0], { kind: 'acknowledge', agent: 'c1' });
  });

  it('says so when every coder is rate-limited, and not when one is free', () => {
    const s = new MemoryState([item(1, 'current')]);
    s.agents = { ...s.agents, rateLimited: { c1: { until: clock.now() + 10 * MIN, reason: '429' } } };
    assert.match(noAgentForReadyWork(s, ctx(clock))!.reason, /c1 is rate-limited until/);
    assert.equal(noAgentForReadyWork(s, ctx(clock, { agents: [coder('c1'), coder('c2')] })), undefined);
  });

  it('names the spent budget', () => {
    const s = new MemoryState([item(1, 'current')]);
    assert.match(noAgentForReadyWork(s, ctx(clock, { budgetStop: 'The daily budget of $5.00 is spent' }))!.reason, /ready, but The daily budget/);
  });

  it('ignores stories that are not ready: blocked, paused, waiting on a dependency, running, or a paused project', () => {
    const s = new MemoryState([
      item(1, 'current', { blocked: true }),
      item(2, 'current', { frontMatter: { paused: true } }),
      item(3, 'current', { dependsOn: [4] }),
      item(4, 'backlog'),
      item(5, 'current'),
    ]);
    s.runMap.set('r5', run(5, 'running'));
    s.agents = { ...s.agents, drained: { c1: { since: 0, failures: 2, reason: 'x' } } };
    assert.equal(noAgentForReadyWork(s, ctx(clock)), undefined);
    s.itemMap.set(6, item(6, 'current'));
    assert.match(noAgentForReadyWork(s, ctx(clock))!.reason, /#6 is ready/);
    s.agents = { ...s.agents, paused: { since: 0, reason: 'lunch', source: 'user' } };
    assert.equal(noAgentForReadyWork(s, ctx(clock)), undefined);
  });
});

describe('stuck work: waits that never end', () => {
  const clock = new FakeClock();

  it('finds a missing dependency, a cycle and a dependency archived without being merged', () => {
    const s = new MemoryState([
      item(1, 'current', { dependsOn: [99] }),
      item(2, 'current', { dependsOn: [3] }),
      item(3, 'current', { dependsOn: [2] }),
      item(4, 'current', { dependsOn: [5] }),
      item(5, 'archived'),
      item(6, 'current', { dependsOn: [7] }),
      item(7, 'archived', { frontMatter: { merged_at: '2026-01-01T00:00:00Z' } }),
    ]);
    const c = ctx(clock);
    assert.match(neverHappens(s.item(1)!, s, c)!.reason, /#99, which does not exist/);
    assert.match(neverHappens(s.item(2)!, s, c)!.reason, /cycle/);
    assert.match(neverHappens(s.item(4)!, s, c)!.reason, /#5, archived without being merged/);
    assert.equal(neverHappens(s.item(6)!, s, c), undefined);
  });

  it('finds a story pinned to an agent that does not exist', () => {
    const s = new MemoryState([item(1, 'current', { agent: 'ghost' })]);
    const f = neverHappens(s.item(1)!, s, ctx(clock));
    assert.equal(f?.key, 'never:1');
    assert.match(f!.reason, /pinned to agent "ghost"/);
  });

  it('finds a story in QA mode agent with no QA agent, offering a review', () => {
    const s = new MemoryState([item(1, 'qa', { frontMatter: { qa: 'agent' } })]);
    const f = neverHappens(s.item(1)!, s, ctx(clock));
    assert.match(f!.reason, /no agent with stage = "qa"/);
    assert.deepEqual(f!.actions[0], { kind: 'review', storyId: 1 });
    const withQa = ctx(clock, { agents: [coder('c1'), { ...coder('q'), stage: 'qa' }] });
    assert.equal(neverHappens(s.item(1)!, s, withQa), undefined);
  });

  it('finds a failed merge that no mergemaster will resolve, offering a fix-up', () => {
    const s = new MemoryState([item(1, 'merge', { frontMatter: { merge_failure: 'conflict in a.txt', merge_failure_kind: 'conflict' } })]);
    const f = neverHappens(s.item(1)!, s, ctx(clock));
    assert.match(f!.reason, /merge failed \(conflict in a.txt\) and no mergemaster/);
    assert.deepEqual(f!.actions[0], { kind: 'fixup', storyId: 1 });
    const withMm = ctx(clock, { agents: [coder('c1'), { ...coder('m'), stage: 'mergemaster' }] });
    assert.equal(neverHappens(s.item(1)!, s, withMm), undefined);
  });

  it('findStuck gathers every finding', () => {
    const s = new MemoryState([item(1, 'current', { agent: 'ghost' }), item(2, 'qa', { frontMatter: { qa: 'agent' } })]);
    assert.deepEqual(
      findStuck(s, ctx(clock)).map((f) => f.key),
      ['never:1', 'never:2'],
    );
  });
});

describe('stuck work: time without progress', () => {
  it('asks for help when nothing moved for stuck_after_minutes while work is open, and stops once something moves', () => {
    const clock = new FakeClock();
    const s = new MemoryState([item(1, 'current')]);
    const t = new StuckTracker(clock.now());
    const timed = () => t.timed(s, ctx(clock, {}, { stuckAfterMinutes: 30 }), () => 0);
    assert.deepEqual(timed(), []);
    clock.advance(29 * MIN);
    assert.deepEqual(timed(), []);
    clock.advance(MIN);
    const f = timed();
    assert.equal(f[0]?.key, 'no-progress');
    assert.match(f[0].reason, /since 2026-01-15T12:00:00.000Z while #1 is open/);
    s.itemMap.set(1, item(1, 'qa'));
    assert.deepEqual(timed(), []);
  });

  it('says nothing while the project is paused or nothing is open', () => {
    const clock = new FakeClock();
    const s = new MemoryState([item(1, 'backlog')]);
    const t = new StuckTracker(clock.now());
    clock.advance(120 * MIN);
    assert.deepEqual(
      t.timed(s, ctx(clock), () => 0),
      [],
    );
    s.itemMap.set(2, item(2, 'current'));
    s.agents = { ...s.agents, paused: { since: 0, reason: 'x', source: 'user' } };
    assert.deepEqual(
      t.timed(s, ctx(clock), () => 0),
      [],
    );
  });

  it('finds a running agent whose output stands still, and forgets it once output comes', () => {
    const clock = new FakeClock();
    const s = new MemoryState([item(1, 'current')]);
    const r = run(1, 'running');
    s.runMap.set(r.runId, r);
    let mark = 5;
    const t = new StuckTracker(clock.now());
    const timed = () => t.timed(s, ctx(clock, {}, { stuckAfterMinutes: 10 }), () => mark);
    timed();
    clock.advance(5 * MIN);
    mark = 6; // output came
    assert.deepEqual(
      timed().filter((f) => f.key.startsWith('silent')),
      [],
    );
    clock.advance(10 * MIN);
    const silent = timed().find((f) => f.key === `silent:${r.runId}`);
    assert.match(silent!.reason, /c1 on #1 has written no output since 2026-01-15T12:05:00.000Z/);
    assert.deepEqual(silent!.actions[0], { kind: 'showOutput', runId: r.runId });
    mark = 7;
    assert.equal(
      timed().find((f) => f.key.startsWith('silent')),
      undefined,
    );
  });
});

describe('stuck work: raising with backoff', () => {
  const f = (reason = 'no agent'): HelpFinding => ({ key: 'no-agent', reason, actions: [{ kind: 'openBoard' }] });

  it('raises after the hold, then again after 5, 10, 20 … minutes, capped at 4 h', () => {
    const clock = new FakeClock();
    const t = new StuckTracker(clock.now(), { holdMs: 30_000 });
    const raisedAt: number[] = [];
    const start = clock.now();
    for (let i = 0; i < 24 * 60 * 2; i++) {
      if (t.update([f()], clock.now()).length) raisedAt.push((clock.now() - start) / 1000);
      clock.advance(30_000);
    }
    assert.deepEqual(raisedAt.slice(0, 5), [30, 330, 930, 2130, 4530]);
    const gaps = raisedAt.slice(1).map((x, i) => x - raisedAt[i]);
    assert.equal(Math.max(...gaps), 4 * 3600);
    assert.equal(gaps[gaps.length - 1], 4 * 3600);
    assert.equal(t.current().length, 1);
    assert.equal(t.current()[0].since, start);
  });

  it('raises at once when the reason changes, and forgets a request whose condition cleared', () => {
    const clock = new FakeClock();
    const t = new StuckTracker(clock.now(), { holdMs: 0 });
    assert.equal(t.update([f('a')], clock.now()).length, 1);
    clock.advance(MIN);
    assert.equal(t.update([f('a')], clock.now()).length, 0);
    const changed = t.update([f('b')], clock.now());
    assert.equal(changed[0]?.reason, 'b');
    clock.advance(MIN);
    assert.deepEqual(t.update([], clock.now()), []);
    assert.deepEqual(t.current(), []);
    assert.equal(t.update([f('b')], clock.now()).length, 1, 'a condition that comes back is raised again');
  });

  it('does not raise a finding that clears within the hold', () => {
    const clock = new FakeClock();
    const t = new StuckTracker(clock.now(), { holdMs: 30_000 });
    assert.deepEqual(t.update([f()], clock.now()), []);
    clock.advance(10_000);
    assert.deepEqual(t.update([], clock.now()), []);
    clock.advance(30_000);
    assert.deepEqual(t.update([f()], clock.now()), []);
    assert.deepEqual(t.current(), []);
  });
});

describe('stuck work: the help request command', () => {
  const dctx = { now: 1, logsDir: '/tmp/none', newRunId: () => 'x' };

  it('is recorded with its event and changes no state', () => {
    const s = new MemoryState([item(1, 'current')]);
    const request = { key: 'never:1', storyId: 1, reason: 'pinned to a ghost', actions: [], since: 1 };
    const d = decide(s, { type: 'control.help', request, source: 'orchestrator' }, dctx);
    assert.ok(d.ok);
    assert.deepEqual(d.ops, []);
    assert.deepEqual(d.events({ seq: 1 }), [{ type: 'help.requested', request }]);
    assert.equal(d.audit.id, 1);
  });

  it('is refused for a story that does not exist or without a reason', () => {
    const s = new MemoryState([]);
    const d = decide(s, { type: 'control.help', request: { key: 'k', storyId: 9, reason: 'x', actions: [], since: 1 }, source: 'orchestrator' }, dctx);
    assert.equal(d.ok, false);
    const e = decide(s, { type: 'control.help', request: { key: 'k', reason: ' ', actions: [], since: 1 }, source: 'orchestrator' }, dctx);
    assert.equal(e.ok, false);
  });
});
