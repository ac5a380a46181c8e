// The status bar items: what they show, and that an item is only touched when that changes (each
// assignment is a message to the window, and the state changes up to 20 times a second).
import * as assert from 'node:assert/strict';
import type { RunRecord } from '../../src/core/model/run';
import { agentsLook, LookKeeper, mergeLook, type LookTarget } from '../../src/extension/statusLook';
import { item, run as fixtureRun } from '../fixtures/memoryState';

const run = (storyId: number, extra: Partial<RunRecord> = {}): RunRecord => fixtureRun(storyId, { status: 'running', ...extra });

const NOW = Date.parse('2026-12-03T10:00:00Z');
const snap = (extra: Partial<Parameters<typeof agentsLook>[0]> = {}): Parameters<typeof agentsLook>[0] => ({
  running: 0,
  queued: 0,
  initialized: true,
  runs: [],
  rateLimits: {},
  drained: {},
  maxCoders: 3,
  spentToday: 0,
  ...extra,
});

/** A status bar item that records what is done to it. */
function fakeItem(): LookTarget & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    setText: (t) => calls.push(`text ${t}`),
    setTooltip: (t) => calls.push(`tooltip ${t.split('\n')[0]}`),
    setBackground: (b) => calls.push(`background ${b ?? 'none'}`),
    show: () => calls.push('show'),
    hide: () => calls.push('hide'),
  };
}

describe('status bar: the agents item', () => {
  it('counts running and queued runs, lists the running ones and today’s spending', () => {
    const look = agentsLook(
      snap({ running: 2, queued: 1, runs: [run(4), run(7, { agent: 'coder-2' }), run(9, { status: 'succeeded', endedAt: NOW - 1000, costUsd: 0.25 })] }),
      NOW,
    );
    assert.equal(look.text, '$(pulse) Huskies: 2 running, 1 queued');
    assert.equal(look.tooltip, 'Huskies — 2 running, 1 queued (max 3)\n#4 coder-1\n#7 coder-2\nToday: $0.25\nClick to open the board.');
    assert.equal(look.background, undefined);
  });

  it('warns while an agent is rate-limited or drained, not after the limit is over', () => {
    const limited = agentsLook(snap({ rateLimits: { claude: { until: NOW + 60_000, reason: 'limit' } } }), NOW);
    assert.equal(limited.background, 'statusBarItem.warningBackground');
    assert.match(limited.tooltip, /claude rate-limited until/);
    assert.equal(agentsLook(snap({ rateLimits: { claude: { until: NOW - 1, reason: 'limit' } } }), NOW).background, undefined);
    assert.equal(agentsLook(snap({ drained: { 'coder-1': { since: 1, failures: 2, reason: 'x' } } }), NOW).background, 'statusBarItem.warningBackground');
  });
});

describe('status bar: the merges item', () => {
  it('shows merges in progress and failed, and is hidden when there are none', () => {
    const look = mergeLook({ items: [item(12, 'merge'), item(3, 'merge', { frontMatter: { merge_failure: 'x' } })] });
    assert.equal(look.visible, true);
    assert.equal(look.background, 'statusBarItem.errorBackground');
    assert.match(look.tooltip, /Being merged into the base branch: #12\nMerge failed \(fix up or demote\): #3/);
    assert.equal(mergeLook({ items: [item(4, 'qa')] }).visible, false);
  });
});

describe('status bar: an item is touched only when its look changes', () => {
  it('sets everything once, then nothing while the look stays the same', () => {
    const it = fakeItem();
    const keeper = new LookKeeper(it);
    const look = agentsLook(snap({ running: 1, runs: [run(4)] }), NOW);
    assert.equal(keeper.apply(look), true);
    assert.deepEqual(it.calls, ['text $(pulse) Huskies: 1 running', 'tooltip Huskies — 1 running, 0 queued (max 3)', 'background none', 'show']);
    it.calls.length = 0;
    for (let i = 0; i < 20; i++) assert.equal(keeper.apply(agentsLook(snap({ running: 1, runs: [run(4)] }), NOW)), false);
    assert.deepEqual(it.calls, []);
  });

  it('sends only the part that changed', () => {
    const it = fakeItem();
    const keeper = new LookKeeper(it);
    keeper.apply({ text: 'a', tooltip: 't1', visible: true });
    it.calls.length = 0;
    keeper.apply({ text: 'a', tooltip: 't2', visible: true });
    assert.deepEqual(it.calls, ['tooltip t2']);
    it.calls.length = 0;
    keeper.apply({ text: 'a', tooltip: 't2', background: 'statusBarItem.warningBackground', visible: true });
    assert.deepEqual(it.calls, ['background statusBarItem.warningBackground']);
  });

  it('hides once, and shows again with the new look', () => {
    const it = fakeItem();
    const keeper = new LookKeeper(it);
    keeper.apply({ text: 'm', tooltip: 't', visible: true });
    it.calls.length = 0;
    for (let i = 0; i < 5; i++) keeper.apply({ text: '', tooltip: '', visible: false });
    assert.deepEqual(it.calls, ['hide']);
    it.calls.length = 0;
    keeper.apply({ text: 'm', tooltip: 't', visible: true });
    assert.deepEqual(it.calls, ['show']);
  });

  it('hides an item that was never shown once (it may have been shown before the keeper existed)', () => {
    const it = fakeItem();
    const keeper = new LookKeeper(it);
    keeper.apply({ text: '', tooltip: '', visible: false });
    keeper.apply({ text: '', tooltip: '', visible: false });
    assert.deepEqual(it.calls, ['hide']);
  });
});
