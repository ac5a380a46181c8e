// Merges that meet: the queue's one-at-a-time order per base, a base moved by someone else while a
// merge runs (compare-and-swap, then a rebuilt merge), and the clean-up after a story has landed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupStory, mergeStory } from '../../src/core/git/merge';
import { MergeQueue } from '../../src/core/git/mergeQueue';
import { expectKind, mergeRepos } from './mergeFixture';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('merges that meet', function () {
  this.timeout(90_000);
  const newRepo = mergeRepos();

  it('runs two merges into one base one after the other, the second on top of the first with its gates re-run', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const first = r.story(1, 'first', { 'first.txt': 'first\n', 'a.txt': 'one\ntwo\nthree\nfirst\n' });
    const second = r.story(2, 'second', { 'second.txt': 'second\n', 'a.txt': 'second\none\ntwo\nthree\n' });
    const queue = new MergeQueue();
    let running = 0;
    let most = 0;
    const seen: Array<{ story: string; files: string[]; queued: number }> = [];
    const gates = (story: string) => async (dir: string) => {
      most = Math.max(most, ++running);
      seen.push({
        story,
        files: fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.txt'))
          .sort(),
        queued: queue.pending().length,
      });
      running--;
      return { ok: true, output: '' };
    };
    const a = queue.enqueue({ root: r.dir, branch: first.branch, message: 'Story 1', gates: gates('first') });
    const b = queue.enqueue({ root: r.dir, branch: second.branch, message: 'Story 2', gates: gates('second') });
    const [ra, rb] = [expectKind(await a, 'merged'), expectKind(await b, 'merged')];
    assert.equal(most, 1);
    assert.deepEqual(seen, [
      { story: 'first', files: ['a.txt', 'first.txt'], queued: 2 },
      { story: 'second', files: ['a.txt', 'first.txt', 'second.txt'], queued: 1 },
    ]);
    assert.equal(r.git('rev-parse', `${rb.commit}^`).trim(), ra.commit);
    assert.equal(r.git('rev-parse', `${ra.commit}^`).trim(), old);
    assert.equal(r.rev('main'), rb.commit);
    assert.equal(r.read('a.txt'), 'second\none\ntwo\nthree\nfirst\n');
    assert.equal(r.status(), '');
    assert.deepEqual(queue.pending(), []);
  });

  it('shows what waits, and keeps going after a job that fails', async () => {
    const r = newRepo();
    const good = r.story(3, 'good', { 'good.txt': 'good\n' });
    const queue = new MergeQueue();
    const release = deferred();
    const started = deferred();
    let during: ReturnType<MergeQueue['pending']> = [];
    const blocker = r.story(4, 'blocker', { 'blocker.txt': 'x\n' });
    const held = queue.enqueue({
      root: r.dir,
      branch: blocker.branch,
      message: 'Story 4',
      gates: async () => {
        during = queue.pending();
        started.resolve();
        await release.promise;
        return { ok: false, output: 'red' };
      },
    });
    const bad = queue.enqueue({ root: r.dir, branch: 'huskies/99_missing', message: 'Story 99' });
    const ok = queue.enqueue({ root: r.dir, branch: good.branch, message: 'Story 3' });
    await started.promise;
    release.resolve();
    expectKind(await held, 'gate_failed');
    await assert.rejects(bad, /does not exist/);
    expectKind(await ok, 'merged');
    assert.deepEqual(
      during.map((j) => [j.branch, j.base, j.running]),
      [
        [blocker.branch, 'main', true],
        ['huskies/99_missing', 'main', false],
        [good.branch, 'main', false],
      ],
    );
    assert.equal(r.read('good.txt'), 'good\n');
  });

  it('merges into different bases side by side', async () => {
    const r = newRepo();
    r.git('branch', 'release');
    const onMain = r.story(5, 'main_side', { 'm.txt': 'm\n' });
    const onRelease = r.story(6, 'release_side', { 'r.txt': 'r\n' });
    const queue = new MergeQueue();
    const releaseStarted = deferred();
    // the main merge's gates finish only once the release merge's gates have started: serialized, this never ends
    const m = queue.enqueue({
      root: r.dir,
      branch: onMain.branch,
      message: 'Story 5',
      gates: async () => {
        await releaseStarted.promise;
        return { ok: true, output: '' };
      },
    });
    const rel = queue.enqueue({
      root: r.dir,
      branch: onRelease.branch,
      message: 'Story 6',
      base: 'release',
      gates: async () => {
        releaseStarted.resolve();
        return { ok: true, output: '' };
      },
    });
    expectKind(await m, 'merged');
    expectKind(await rel, 'merged');
    assert.equal(r.show('release', 'r.txt'), 'r\n');
    assert.equal(r.show('main', 'm.txt'), 'm\n');
  });

  it('rebuilds the merge when someone else moves the base while the gates run', async () => {
    for (const checkedOut of [false, true]) {
      const r = newRepo();
      if (!checkedOut) r.git('checkout', '-q', '--detach');
      const { branch } = r.story(7, 'cas', { 'story.txt': 'story\n' });
      let theirs = '';
      const gateRuns: string[][] = [];
      const res = expectKind(
        await mergeStory({
          root: r.dir,
          branch,
          message: 'Story 7',
          base: 'main',
          gates: async (dir) => {
            gateRuns.push(
              fs
                .readdirSync(dir)
                .filter((f) => f.endsWith('.txt'))
                .sort(),
            );
            if (!theirs) theirs = checkedOut ? r.commitIn(r.dir, { 'theirs.txt': 'theirs\n' }, 'user commit') : r.commitTo('main', { 'theirs.txt': 'theirs\n' }, 'pushed');
            return { ok: true, output: '' };
          },
        }),
        'merged',
      );
      assert.deepEqual(gateRuns, [
        ['a.txt', 'story.txt'],
        ['a.txt', 'story.txt', 'theirs.txt'],
      ]);
      assert.equal(res.previous, theirs);
      assert.equal(r.git('rev-parse', 'main^').trim(), theirs);
      assert.equal(r.show('main', 'theirs.txt'), 'theirs\n');
      assert.equal(r.show('main', 'story.txt'), 'story\n');
      if (checkedOut) assert.equal(r.status(), '');
    }
  });

  it('gives up, changing nothing, when the base moves during every attempt', async () => {
    const r = newRepo();
    r.git('checkout', '-q', '--detach');
    const { branch } = r.story(8, 'busy', { 'story.txt': 'story\n' });
    let n = 0;
    let last = '';
    const res = await mergeStory({
      root: r.dir,
      branch,
      message: 'Story 8',
      base: 'main',
      maxAttempts: 2,
      gates: async () => {
        last = r.commitTo('main', { [`other${++n}.txt`]: 'x\n' }, `push ${n}`);
        return { ok: true, output: '' };
      },
    });
    assert.equal(expectKind(res, 'base_moving').attempts, 2);
    assert.equal(r.rev('main'), last);
    assert.throws(() => r.show('main', 'story.txt'));
  });

  it('cleans up a landed story, and keeps what the base does not have', async () => {
    const r = newRepo();
    const landed = r.story(9, 'landed', { 'landed.txt': 'landed\n' });
    expectKind(await mergeStory({ root: r.dir, branch: landed.branch, message: 'Story 9' }), 'merged');
    const done = await cleanupStory({ root: r.dir, worktree: landed.worktree, branch: landed.branch });
    assert.deepEqual(done, { worktreeRemoved: true, branchDeleted: true, kept: [] });
    assert.ok(!fs.existsSync(landed.worktree));
    assert.equal(r.git('branch', '--list', landed.branch).trim(), '');

    const more = r.story(10, 'more', { 'more.txt': 'more\n' });
    expectKind(await mergeStory({ root: r.dir, branch: more.branch, message: 'Story 10' }), 'merged');
    r.commitIn(more.worktree, { 'late.txt': 'after the merge\n' }, 'late work');
    r.write('untracked.txt', 'wip\n', more.worktree);
    const kept = await cleanupStory({ root: r.dir, worktree: more.worktree, branch: more.branch });
    assert.equal(kept.worktreeRemoved, false);
    assert.equal(kept.branchDeleted, false);
    assert.equal(kept.kept.length, 2);
    assert.match(kept.kept[0], /uncommitted work/);
    assert.match(kept.kept[1], /checked out/);
    fs.rmSync(path.join(more.worktree, 'untracked.txt'));
    const second = await cleanupStory({ root: r.dir, worktree: more.worktree, branch: more.branch });
    assert.equal(second.worktreeRemoved, true);
    assert.equal(second.branchDeleted, false);
    assert.match(second.kept[0], /holds changes that main does not have/);
    assert.ok(r.rev(more.branch));

    const kept2 = r.story(11, 'keep', { 'keep.txt': 'keep\n' });
    expectKind(await mergeStory({ root: r.dir, branch: kept2.branch, message: 'Story 11' }), 'merged');
    const keep = await cleanupStory({ root: r.dir, worktree: kept2.worktree, branch: kept2.branch, keepBranch: true });
    assert.deepEqual(keep, { worktreeRemoved: true, branchDeleted: false, kept: [] });
    assert.ok(r.rev(kept2.branch));
    await assert.rejects(cleanupStory({ root: r.dir, worktree: r.dir, branch: kept2.branch }), /The worktree of huskies\/11_keep is/);
  });
});
