// The move committer over a fake clock and a fake commit: debounced batches, one commit at a time, hand
// moves left alone, failures logged and retried, reasons logged once, the last batch committed at dispose.
import * as assert from 'node:assert/strict';
import type { HuskiesEvent } from '../../src/core/model/events';
import { EventBus } from '../../src/core/pipeline/eventBus';
import { MoveCommitter } from '../../src/core/git/moveCommitter';
import type { WorkCommitResult } from '../../src/core/git/workCommits';
import { nullLogger } from '../../src/core/util/log';
import { checkProjectToml, parseProjectToml } from '../../src/core/config/project';
import { FakeClock } from '../fixtures/fakeClock';
import { item } from '../fixtures/memoryState';

const committed = (ids: number[]): WorkCommitResult => ({
  kind: 'committed',
  commit: 'c0ffee'.padEnd(40, '0'),
  previous: 'b'.repeat(40),
  branch: 'main',
  message: `huskies: ${ids.map((i) => `#${i}`).join('; ')}`,
  ids,
});

function setup(o: { blocked?: () => string | undefined; waitFor?: () => string | undefined } = {}) {
  const bus = new EventBus(nullLogger);
  const clock = new FakeClock();
  const logs: string[] = [];
  const calls: number[][] = [];
  /** What the next commits answer; a function may throw or hold the commit until the test lets it go. */
  const answers: Array<(ids: number[]) => Promise<WorkCommitResult>> = [];
  const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const c = new MoveCommitter({
    bus,
    clock,
    logger,
    debounceMs: 1000,
    blocked: o.blocked ?? (() => undefined),
    waitFor: o.waitFor,
    commit: (ids) => {
      calls.push(ids);
      return (answers.shift() ?? ((i: number[]) => Promise.resolve(committed(i))))(ids);
    },
  });
  c.start();
  const moved = (id: number, source: 'orchestrator' | 'watcher' | 'user' = 'orchestrator'): void =>
    bus.emit({ type: 'item.moved', id, from: 'backlog', to: 'current', source } as HuskiesEvent);
  return { bus, clock, logs, calls, answers, c, moved };
}

describe('MoveCommitter', () => {
  it('commits the stories of several changes in one batch once the changes stop for the debounce time', async () => {
    const t = setup();
    t.moved(3);
    t.clock.advance(600);
    t.bus.emit({ type: 'item.changed', id: 1, source: 'orchestrator' });
    t.bus.emit({ type: 'item.created', item: item(7, 'backlog'), source: 'board' });
    t.bus.emit({ type: 'item.questionAsked', id: 4, runId: 'r', question: 'which?' });
    t.moved(3);
    t.clock.advance(999);
    assert.deepEqual(t.calls, [], 'not before the changes have been quiet for the debounce time');
    t.clock.advance(1);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1, 3, 4, 7]]);
    assert.deepEqual(t.c.waiting(), []);
    assert.match(t.logs.join('\n'), /huskies: #1; #3; #4; #7 \(c0ffee000000 on main\)/);
  });

  it('leaves the changes made by hand alone; the same story moved later by the orchestrator is committed', async () => {
    const t = setup();
    t.moved(5, 'watcher');
    t.bus.emit({ type: 'item.changed', id: 6, source: 'watcher' });
    t.bus.emit({ type: 'item.created', item: item(8, 'backlog'), source: 'watcher' });
    t.clock.advance(5000);
    await t.c.idle();
    assert.deepEqual(t.calls, []);
    t.moved(5, 'user');
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[5]]);
  });

  it('runs one commit at a time: changes during a commit go into the next batch, after it', async () => {
    const t = setup();
    let release!: () => void;
    t.answers.push((ids) => new Promise((resolve) => (release = () => resolve(committed(ids)))));
    t.moved(1);
    t.clock.advance(1000);
    assert.deepEqual(t.calls, [[1]]);
    t.moved(2);
    t.clock.advance(5000);
    assert.deepEqual(t.calls, [[1]], 'no second commit while the first is in flight');
    release();
    await t.c.idle();
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1], [2]]);
  });

  it('logs a failed commit with its reason and tries again with the next change and at dispose', async () => {
    const t = setup();
    t.answers.push(() => Promise.reject(new Error('git update-ref failed: disk full')));
    t.answers.push(() => Promise.reject(new Error('still full')));
    t.moved(1);
    t.clock.advance(1000);
    await t.c.idle();
    assert.match(t.logs.join('\n'), /Committing the story moves of #1 failed: git update-ref failed: disk full/);
    assert.deepEqual(t.c.waiting(), [1]);
    t.clock.advance(60_000);
    assert.equal(t.calls.length, 1, 'no retry loop of its own');
    t.moved(2);
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1], [1, 2]]);
    await t.c.dispose();
    assert.deepEqual(t.calls, [[1], [1, 2], [1, 2]]);
    assert.deepEqual(t.c.waiting(), []);
  });

  it('keeps skipped stories for later and logs the reason once', async () => {
    const t = setup();
    const skipped = (): Promise<WorkCommitResult> =>
      Promise.resolve({ kind: 'skipped', reason: 'story moves are not committed while you are on feature-x; they are committed on main only' });
    t.answers.push(skipped, skipped);
    t.moved(1);
    t.clock.advance(1000);
    await t.c.idle();
    t.moved(2);
    t.clock.advance(1000);
    await t.c.idle();
    t.clock.advance(60_000);
    await t.c.idle();
    assert.equal(t.calls.length, 2, 'no retry loop while skipped');
    assert.equal(t.logs.filter((l) => l.includes('feature-x')).length, 1);
    assert.equal(t.logs[0], 'Story moves are not committed while you are on feature-x; they are committed on main only.');
    t.moved(3);
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1], [1, 2], [1, 2, 3]]);
  });

  it('tries again on its own, ever less often, while the repository is busy', async () => {
    const t = setup();
    const busy = (): Promise<WorkCommitResult> => Promise.resolve({ kind: 'busy', reason: 'another git command holds .git/index.lock' });
    t.answers.push(busy, busy);
    t.moved(1);
    t.clock.advance(1000);
    await t.c.idle();
    t.clock.advance(1000);
    await t.c.idle();
    assert.equal(t.calls.length, 2);
    t.clock.advance(1999);
    await t.c.idle();
    assert.equal(t.calls.length, 2, 'the second wait is twice as long');
    t.clock.advance(1);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1], [1], [1]]);
    assert.deepEqual(t.c.waiting(), []);
  });

  it('waits without committing while told to, then commits', async () => {
    let merging = true;
    const t = setup({ waitFor: () => (merging ? 'a merge is in progress' : undefined) });
    t.moved(1);
    t.clock.advance(10_000);
    await t.c.idle();
    assert.deepEqual(t.calls, []);
    merging = false;
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1]]);
  });

  it('drops what it may not commit, without a word', async () => {
    let why: string | undefined = 'story moves are not committed: commit_moves = false in .huskies/project.toml';
    const t = setup({ blocked: () => why });
    t.moved(1);
    t.clock.advance(1000);
    await t.c.idle();
    t.moved(2);
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, []);
    assert.deepEqual(t.c.waiting(), []);
    assert.deepEqual(t.logs, []);
    why = undefined;
    t.moved(3);
    t.clock.advance(1000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[3]]);
  });

  it('dispose commits the last batch at once and stops listening', async () => {
    const t = setup();
    t.moved(1);
    await t.c.dispose();
    assert.deepEqual(t.calls, [[1]]);
    assert.equal(t.clock.pending(), 0, 'no timer left');
    t.moved(2);
    t.clock.advance(5000);
    await t.c.idle();
    assert.deepEqual(t.calls, [[1]]);
  });

  it('never throws into the bus or out of dispose', async () => {
    const bus = new EventBus(nullLogger);
    const logs: string[] = [];
    const c = new MoveCommitter({
      bus,
      clock: new FakeClock(),
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
      blocked: () => {
        throw new Error('config gone');
      },
      commit: () => Promise.resolve({ kind: 'unchanged' }),
    });
    c.start();
    bus.emit({ type: 'item.changed', id: 1, source: 'orchestrator' });
    await c.dispose();
    assert.match(logs.join('\n'), /Committing the story moves failed: config gone/);
  });
});

describe('config: commit_moves', () => {
  it('is on unless project.toml turns it off; anything but true or false is an error naming the line', () => {
    assert.equal(parseProjectToml('').commitMoves, true);
    assert.equal(parseProjectToml('commit_moves = false\n').commitMoves, false);
    const errors = checkProjectToml('max_coders = 2\ncommit_moves = "no"\n').problems.filter((p) => p.severity === 'error');
    assert.deepEqual(
      errors.map((e) => [e.line, e.key]),
      [[2, 'commit_moves']],
    );
  });
});
