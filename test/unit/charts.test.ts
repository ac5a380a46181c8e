// The board's charts without a DOM: which bars each chart has, a nice axis maximum, where each bar
// goes (zero, negative and not-a-number values included) and the texts shown in tooltips.
import * as assert from 'node:assert/strict';
import type { ChartsView } from '../../src/protocol/messages';
import { chartSpecs, dayLabel, formatSpan, formatUsd, layoutBars, niceMax, tickValues, timeUnit, type Box } from '../../webview/chartScale';

const box: Box = { width: 110, height: 60, left: 10, right: 0, top: 0, bottom: 10, gap: 0 };
const d = (value: number, label = 'x') => ({ label, value, text: `${label}=${value}` });

describe('charts: scale and bars', () => {
  it('rounds the axis maximum up to a nice number', () => {
    assert.equal(niceMax(0), 1);
    assert.equal(niceMax(-3), 1);
    assert.equal(niceMax(NaN), 1);
    assert.equal(niceMax(0.7), 1);
    assert.equal(niceMax(1), 1);
    assert.equal(niceMax(1.01), 2);
    assert.equal(niceMax(2.2), 2.5);
    assert.equal(niceMax(3), 5);
    assert.equal(niceMax(7.5), 10);
    assert.equal(niceMax(0.013), 0.02);
    assert.equal(niceMax(1234), 2000);
    assert.deepEqual(tickValues(10, 4), [0, 2.5, 5, 7.5, 10]);
  });

  it('lays out vertical bars: one slot each, heights in proportion, zero and bad values flat', () => {
    const l = layoutBars([d(5), d(10), d(0), d(NaN), d(-2)], 'vertical', box);
    assert.equal(l.max, 10);
    const plotH = 50;
    assert.deepEqual(
      l.bars.map((b) => [b.x, b.width, b.height, b.y]),
      [
        [10, 20, plotH / 2, plotH / 2],
        [30, 20, plotH, 0],
        [50, 20, 0, plotH],
        [70, 20, 0, plotH],
        [90, 20, 0, plotH],
      ],
    );
    assert.deepEqual(
      l.ticks.map((t) => t.at),
      [50, 37.5, 25, 12.5, 0],
      'ticks from the bottom (0) to the top (max)',
    );
  });

  it('lays out horizontal bars: one row each, widths in proportion, with a gap', () => {
    const l = layoutBars([d(1, 'a'), d(4, 'b')], 'horizontal', { ...box, gap: 0.5 });
    assert.equal(l.max, 5);
    assert.deepEqual(
      l.bars.map((b) => [b.datum.label, b.x, b.y, b.width, b.height]),
      [
        ['a', 10, 6.25, 20, 12.5],
        ['b', 10, 31.25, 80, 12.5],
      ],
    );
    assert.deepEqual(
      l.ticks.map((t) => t.at),
      [10, 35, 60, 85, 110],
    );
  });

  it('counts get whole-number ticks', () => {
    const ticks = (top: number) => layoutBars([d(top)], 'vertical', box, true).ticks.map((t) => t.value);
    assert.deepEqual(ticks(0), [0, 1]);
    assert.deepEqual(ticks(3), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(ticks(7), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(ticks(21), [0, 5, 10, 15, 20, 25]);
    assert.ok([3, 7, 12, 21, 150].every((top) => ticks(top).every(Number.isInteger)));
  });

  it('lays out nothing for no data', () => {
    assert.deepEqual(layoutBars([], 'vertical', box).bars, []);
  });

  it('formats costs, spans and days', () => {
    assert.deepEqual([formatUsd(0), formatUsd(0.004), formatUsd(1.5), formatUsd(123.4)], ['$0', '<$0.01', '$1.50', '$123']);
    assert.deepEqual([formatSpan(40_000), formatSpan(12 * 60_000), formatSpan(3.5 * 3_600_000), formatSpan(50 * 3_600_000)], ['40s', '12m', '3.5h', '2.1d']);
    assert.equal(dayLabel('2026-03-09'), 'Mar 9');
    assert.equal(dayLabel('garbage'), 'garbage');
  });
});

describe('charts: from the host numbers to the four charts', () => {
  const view: ChartsView = {
    timezone: 'Europe/Berlin',
    days: ['2026-03-08', '2026-03-09', '2026-03-10'],
    costPerDay: [0, 1.25, 0.5],
    runsPerDay: [0, 2, 1],
    costPerAgent: [
      { agent: 'coder-1', costUsd: 1.5, runs: 2 },
      { agent: 'qa', costUsd: 0.25, runs: 1 },
    ],
    donePerDay: [1, 0, 2],
    stageTimes: [
      { stage: 'current', count: 3, medianMs: 2 * 3_600_000, meanMs: 3 * 3_600_000 },
      { stage: 'qa', count: 1, medianMs: 60_000, meanMs: 60_000 },
      { stage: 'done', count: 4, medianMs: 4 * 3_600_000, meanMs: 4 * 3_600_000 },
    ],
    skipped: { usage: 0, audit: 1 },
  };

  it('has a bar per day, per agent and per stage a story works through (not done), with exact values in the tooltips', () => {
    const [cost, agents, done, stages] = chartSpecs(view);
    assert.deepEqual([cost.key, agents.key, done.key, stages.key], ['costPerDay', 'costPerAgent', 'donePerDay', 'stageTime']);
    assert.deepEqual(
      cost.data.map((x) => [x.label, x.value]),
      [
        ['Mar 8', 0],
        ['Mar 9', 1.25],
        ['Mar 10', 0.5],
      ],
    );
    assert.equal(cost.data[1].text, '2026-03-09: $1.2500 (2 runs)');
    assert.match(cost.summary, /\$1\.75 in all, 3 runs/);
    assert.match(cost.summary, /Europe\/Berlin/);
    assert.deepEqual(
      agents.data.map((x) => x.text),
      ['coder-1: $1.5000 (2 runs)', 'qa: $0.2500 (1 run)'],
    );
    assert.deepEqual(
      done.data.map((x) => x.value),
      [1, 0, 2],
    );
    assert.match(done.summary, /3 in all/);
    assert.equal(done.data[0].text, '2026-03-08: 1 story done');
    assert.deepEqual(
      stages.data.map((x) => [x.label, x.value, x.text]),
      [
        ['Current', 2, 'Current: median 2h, mean 3h (3 stays)'],
        ['QA', 1 / 60, 'QA: median 1m, mean 1m (1 stay)'],
      ],
    );
  });

  it('counts time in hours, minutes or seconds, whichever keeps the axis round', () => {
    assert.deepEqual(timeUnit(5 * 3_600_000), { ms: 3_600_000, suffix: 'h' });
    assert.deepEqual(timeUnit(90 * 60_000), { ms: 60_000, suffix: 'm' });
    assert.deepEqual(timeUnit(30_000), { ms: 1000, suffix: 's' });
    const stages = chartSpecs(view)[3];
    assert.equal(stages.tick(2.5), '2.5h');
  });

  it('says so when there is nothing to show', () => {
    const empty = chartSpecs({ ...view, costPerAgent: [], stageTimes: view.stageTimes.filter((t) => t.stage === 'done') });
    assert.match(empty[1].summary, /^No agent cost/);
    assert.match(empty[3].summary, /^No story left a stage/);
    assert.deepEqual(empty[1].data, []);
  });
});
