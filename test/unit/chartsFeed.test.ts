// The host side of the board's charts: a requestCharts is answered with the facade's numbers; boards
// asking at the same time share one read, a fresh answer is reused, a failed read is logged, not thrown.
import * as assert from 'node:assert/strict';
import type { Huskies, ProjectStats } from '../../src/core/api';
import type { HostMessage } from '../../src/protocol/messages';
import { ChartsFeed } from '../../src/extension/chartsFeed';

const stats = (cost: number): ProjectStats => ({
  timezone: 'UTC',
  days: ['2026-03-10'],
  costPerDay: [cost],
  runsPerDay: [1],
  costPerAgent: [{ agent: 'coder-1', costUsd: cost, runs: 1 }],
  donePerDay: [0],
  stageTimes: [],
  skipped: { usage: 0, audit: 0 },
});

function setup(read: () => Promise<ProjectStats>) {
  let reads = 0;
  let now = 1_000_000;
  const told: HostMessage[] = [];
  const logs: string[] = [];
  const orch = {
    stats: () => {
      reads++;
      return read();
    },
  } as unknown as Huskies;
  const feed = new ChartsFeed(
    () => orch,
    (m) => told.push(m),
    (m) => logs.push(m),
    () => now,
  );
  return { feed, told, logs, reads: () => reads, advance: (ms: number) => (now += ms) };
}

describe('charts feed: answering the boards', () => {
  it('answers with the numbers; two boards asking at once share one read; a fresh answer is reused', async () => {
    let cost = 1;
    const { feed, told, reads, advance } = setup(async () => stats(cost));
    await Promise.all([feed.request(), feed.request()]);
    assert.equal(reads(), 1);
    assert.deepEqual(told, [{ type: 'charts', data: stats(1) }], 'one answer, which goes to every board');
    cost = 2;
    advance(500);
    await feed.request();
    assert.equal(reads(), 1, 'reused');
    assert.deepEqual(told[told.length - 1], { type: 'charts', data: stats(1) });
    advance(5_000);
    await feed.request();
    assert.equal(reads(), 2);
    assert.deepEqual(told[told.length - 1], { type: 'charts', data: stats(2) });
  });

  it('logs a failed read and tells the boards nothing', async () => {
    const { feed, told, logs } = setup(() => Promise.reject(new Error('disk on fire')));
    await feed.request();
    assert.deepEqual(told, []);
    assert.match(logs[0], /charts: disk on fire/);
  });

  it('does nothing without an orchestrator', async () => {
    const told: HostMessage[] = [];
    await new ChartsFeed(
      () => undefined,
      (m) => told.push(m),
    ).request();
    assert.deepEqual(told, []);
  });
});
