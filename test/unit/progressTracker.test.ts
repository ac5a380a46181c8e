// Progress indicators from the core's work.progress notices, with a fake withProgress and fake
// timers: starts paired with ends, concurrent work, quick work never shown, steps as messages,
// a notification for work the user asked for, and nothing left spinning after dispose.
import * as assert from 'node:assert/strict';
import { ProgressTracker, progressTitle, type ProgressNotice, type ShowOptions } from '../../src/extension/progressTracker';

interface Shown {
  opts: ShowOptions;
  messages: (string | undefined)[];
  done: boolean;
}

function fake(opts: { delayMs?: number; lateTask?: boolean } = {}) {
  const shown: Shown[] = [];
  const late: (() => void)[] = [];
  const timers = new Map<number, () => void>();
  let next = 0;
  const tracker = new ProgressTracker(
    (o, task) => {
      const s: Shown = { opts: o, messages: [], done: false };
      shown.push(s);
      const run = () => void task({ report: (v) => s.messages.push(v.message) }).then(() => (s.done = true));
      if (opts.lateTask) late.push(run);
      else run();
    },
    {
      delayMs: opts.delayMs ?? 0,
      setTimer: (fn) => (timers.set(++next, fn), next),
      clearTimer: (h) => timers.delete(h as number),
    },
  );
  const fire = () => {
    const fns = [...timers.values()];
    timers.clear();
    fns.forEach((f) => f());
  };
  const settle = () => new Promise((r) => setImmediate(r));
  const n = (kind: string, id: number, phase: ProgressNotice['phase'], extra: Partial<ProgressNotice> = {}) => tracker.notice({ kind, id, phase, ...extra });
  return { tracker, shown, timers, fire, settle, n, late };
}

describe('progress tracker: indicators for long work', () => {
  it('shows work from its start to its end, with a title that says what and which story', async () => {
    const { tracker, shown, settle, n } = fake();
    n('merge', 12, 'start');
    assert.equal(shown.length, 1);
    assert.deepEqual(shown[0].opts, { title: 'Huskies: merging #12…', notify: false });
    assert.deepEqual(tracker.active(), ['merge:12']);
    n('merge', 12, 'end', { ok: true });
    await settle();
    assert.equal(shown[0].done, true);
    assert.deepEqual(tracker.active(), []);
  });

  it('keeps concurrent work apart: each ends with its own end', async () => {
    const { shown, settle, n } = fake();
    n('gates', 3, 'start');
    n('merge', 3, 'start');
    n('gates', 4, 'start');
    n('gates', 3, 'end', { ok: false });
    await settle();
    assert.deepEqual(
      shown.map((s) => [s.opts.title, s.done]),
      [
        [progressTitle('gates', 3), true],
        [progressTitle('merge', 3), false],
        [progressTitle('gates', 4), false],
      ],
    );
    n('merge', 3, 'end');
    n('gates', 4, 'end');
    await settle();
    assert.ok(shown.every((s) => s.done));
  });

  it('the same work started twice ends after its second end; an end with no start is ignored', async () => {
    const { tracker, shown, settle, n } = fake();
    n('worktree', 5, 'end');
    assert.equal(shown.length, 0);
    n('worktree', 5, 'start');
    n('worktree', 5, 'start');
    assert.equal(shown.length, 1, 'one indicator');
    n('worktree', 5, 'end');
    await settle();
    assert.equal(shown[0].done, false);
    n('worktree', 5, 'end');
    await settle();
    assert.equal(shown[0].done, true);
    assert.deepEqual(tracker.active(), []);
  });

  it('shows work only once it lasted the delay: quick work never appears', async () => {
    const { shown, timers, fire, settle, n } = fake({ delayMs: 300 });
    n('worktree', 1, 'start');
    n('worktree', 1, 'end');
    assert.equal(timers.size, 0, 'the timer is cleared');
    n('worktree', 2, 'start');
    n('worktree', 2, 'step', { message: 'running setup' });
    assert.equal(shown.length, 0);
    fire();
    assert.equal(shown.length, 1);
    assert.equal(shown[0].opts.title, progressTitle('worktree', 2));
    assert.deepEqual(shown[0].messages, ['running setup'], 'a step before it was shown is its first message');
    n('worktree', 2, 'step', { message: 'almost' });
    assert.deepEqual(shown[0].messages, ['running setup', 'almost']);
    n('worktree', 2, 'end');
    await settle();
    assert.equal(shown[0].done, true);
  });

  it('shows work the user asked for as a notification, at once, only the next time', () => {
    const { shown, n, tracker } = fake({ delayMs: 300 });
    tracker.expectNotify('merge', 9);
    n('merge', 9, 'start');
    assert.deepEqual(shown[0].opts, { title: progressTitle('merge', 9), notify: true });
    n('merge', 9, 'end');
    n('merge', 9, 'start');
    assert.equal(shown.length, 1, 'the second merge waits for the delay like any other');
  });

  it('ends every indicator on dispose, when the ends never come, and shows nothing after', async () => {
    const { tracker, shown, timers, fire, settle, n } = fake({ delayMs: 300 });
    n('merge', 1, 'start');
    n('gates', 2, 'start');
    fire();
    n('worktree', 3, 'start'); // not shown yet
    tracker.dispose();
    assert.equal(timers.size, 0);
    await settle();
    assert.deepEqual(
      shown.map((s) => s.done),
      [true, true],
    );
    n('merge', 4, 'start');
    fire();
    assert.equal(shown.length, 2);
    assert.deepEqual(tracker.active(), []);
  });

  it('ends at once an indicator whose task starts after its work ended', async () => {
    const { shown, settle, n, late } = fake({ lateTask: true });
    n('merge', 1, 'start');
    n('merge', 1, 'end');
    late.forEach((run) => run());
    await settle();
    assert.equal(shown[0].done, true);
  });
});
