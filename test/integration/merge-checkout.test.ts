// mergeStory when the base branch is checked out: a clean checkout follows the merge, a checkout whose
// uncommitted work the merge would touch is left byte for byte as it was and the merge waits on a branch.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MergeResult, mergeStory } from '../../src/core/git/merge';
import { expectKind, gitAt, MergeRepo, mergeRepos } from './mergeFixture';

/** Asserts that the pending merge left main and the user's checkout exactly as they were. */
function assertUntouched(r: MergeRepo, res: Extract<MergeResult, { kind: 'merged_pending' }>, old: string, status: string, files: Record<string, string>): void {
  assert.equal(r.rev('main'), old);
  assert.equal(r.rev('HEAD'), old);
  assert.equal(r.status(), status);
  for (const [rel, text] of Object.entries(files)) assert.equal(r.read(rel), text, `${rel} is byte-identical`);
  assert.deepEqual(r.markersIn(r.dir), []);
  assert.equal(r.git('rev-parse', `${res.ref}^`).trim(), old, 'the waiting commit sits right on main');
  assert.equal(r.rev(res.ref), res.commit);
  assert.equal(res.howTo, `git merge --ff-only ${res.ref}`);
}

describe('mergeStory with the base checked out', function () {
  this.timeout(60_000);
  const newRepo = mergeRepos();

  it('updates a clean main working tree to the merge (the base defaults to its branch)', async () => {
    const r = newRepo();
    const { branch } = r.story(1, 'clean', { 'a.txt': 'one\nTWO\nthree\n', 'new/dir/file.txt': 'new\n' });
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 1' }), 'merged');
    assert.equal(res.base, 'main');
    assert.equal(res.checkout, r.dir);
    assert.equal(r.rev('HEAD'), res.commit);
    assert.equal(r.git('symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    assert.equal(r.read('a.txt'), 'one\nTWO\nthree\n');
    assert.equal(r.read('new/dir/file.txt'), 'new\n');
    assert.equal(r.status(), '');
  });

  it('counts the checkout as updated when the user’s post-merge hook fails after the fast-forward', async () => {
    const r = newRepo();
    const { branch } = r.story(8, 'hook', { 'a.txt': 'hooked\n' });
    fs.writeFileSync(path.join(r.dir, '.git', 'hooks', 'post-merge'), '#!/bin/sh\ntouch post-merge-ran\nexit 1\n', { mode: 0o755 });
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 8' }), 'merged');
    assert.equal(res.checkout, r.dir);
    assert.ok(fs.existsSync(path.join(r.dir, 'post-merge-ran')), 'the user’s own hook ran, as on a pull');
    assert.equal(r.read('a.txt'), 'hooked\n');
    assert.equal(r.rev('HEAD'), res.commit);
  });

  it('leaves an uncommitted change to a file the merge changes alone, and waits on a branch', async () => {
    const r = newRepo();
    const { branch } = r.story(2, 'overlap', { 'a.txt': 'one\nstory\nthree\n' });
    const old = r.rev('main');
    const mine = 'one\nmy own edit, not committed\nthree\r\n\u00e9\n';
    r.write('a.txt', mine);
    r.write('scratch.txt', 'untracked notes\n');
    const status = r.status();
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 2' }), 'merged_pending');
    assertUntouched(r, res, old, status, { 'a.txt': mine, 'scratch.txt': 'untracked notes\n' });
    assert.equal(res.ref, 'huskies/merged/2_overlap');
    assert.match(res.message, /a\.txt/);
    assert.match(res.message, /git merge --ff-only huskies\/merged\/2_overlap/);
    assert.equal(r.show(res.commit, 'a.txt'), 'one\nstory\nthree\n');
    // the way the message gives lands it once the user has put their change aside
    r.git('stash', '-q');
    gitAt(r.dir, ...res.howTo.split(' ').slice(1));
    assert.equal(r.rev('main'), res.commit);
    assert.equal(r.read('a.txt'), 'one\nstory\nthree\n');
  });

  it('updates the checkout around an uncommitted change to a file the merge does not touch, keeping it', async () => {
    const r = newRepo({ 'a.txt': 'one\n', 'b.txt': 'bee\n', 'c.txt': 'sea\n' });
    const { branch } = r.story(3, 'beside', { 'a.txt': 'ONE\n', 'added.txt': 'added\n' });
    r.write('b.txt', 'my unstaged edit\n');
    r.write('c.txt', 'my staged edit\n');
    r.git('add', 'c.txt');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 3' }), 'merged');
    assert.equal(res.checkout, r.dir);
    assert.equal(r.rev('HEAD'), res.commit);
    assert.equal(r.read('a.txt'), 'ONE\n');
    assert.equal(r.read('added.txt'), 'added\n');
    assert.equal(r.read('b.txt'), 'my unstaged edit\n');
    assert.equal(r.read('c.txt'), 'my staged edit\n');
    assert.equal(r.status(), ' M b.txt\nM  c.txt\n');
    assert.equal(r.show('main', 'b.txt'), 'bee\n');
  });

  it('waits when an untracked or ignored file sits where the merge adds one', async () => {
    for (const ignored of [false, true]) {
      const r = newRepo();
      if (ignored) {
        r.write('.gitignore', '.huskies/worktrees/\n.env\n');
        r.git('commit', '-qam', 'ignore .env');
      }
      const name = ignored ? '.env' : 'notes/todo.txt';
      const { branch } = r.story(4, 'adds', { [name]: 'from the story\n' });
      const old = r.rev('main');
      r.write(name, 'the user’s own\n');
      const status = r.status();
      const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 4' }), 'merged_pending');
      assertUntouched(r, res, old, status, { [name]: 'the user’s own\n' });
    }
  });

  it('waits when a file the merge changes is marked assume-unchanged and edited (git refuses, nothing is lost)', async () => {
    const r = newRepo();
    const { branch } = r.story(9, 'hidden', { 'a.txt': 'story\n' });
    const old = r.rev('main');
    r.git('update-index', '--assume-unchanged', 'a.txt');
    r.write('a.txt', 'a local setting git was told to ignore\n');
    const status = r.status();
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 9' }), 'merged_pending');
    assertUntouched(r, res, old, status, { 'a.txt': 'a local setting git was told to ignore\n' });
    assert.match(res.message, /git would not update it/);
  });

  it('waits when an untracked file is where the merge needs a folder', async () => {
    const r = newRepo();
    const { branch } = r.story(5, 'folder', { 'docs/guide.md': 'guide\n' });
    const old = r.rev('main');
    r.write('docs', 'a file called docs\n');
    const status = r.status();
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 5' }), 'merged_pending');
    assertUntouched(r, res, old, status, { docs: 'a file called docs\n' });
  });

  it('updates the base where it is checked out in another worktree, when that one is clean', async () => {
    const r = newRepo();
    r.git('checkout', '-q', '--detach');
    const elsewhere = path.join(r.dir, '.huskies', 'worktrees', 'mine');
    r.git('worktree', 'add', '-q', elsewhere, 'main');
    const { branch } = r.story(6, 'linked', { 'a.txt': 'linked\n' });
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 6', base: 'main' }), 'merged');
    assert.equal(res.checkout, elsewhere);
    assert.equal(r.read('a.txt', elsewhere), 'linked\n');
    assert.equal(r.status(elsewhere), '');
    assert.equal(r.read('a.txt'), 'one\ntwo\nthree\n', 'the detached main tree is not the base’s checkout');
  });

  it('does not move the base while it is being rebased', async () => {
    const r = newRepo();
    const { branch } = r.story(7, 'rebasing', { 'story.txt': 'story\n' });
    r.git('branch', 'other');
    r.commitIn(r.dir, { 'a.txt': 'main side\n' }, 'main edit');
    r.commitTo('other', { 'a.txt': 'other side\n' }, 'other edit');
    assert.throws(() => r.git('rebase', '-q', 'other'));
    const status = r.status();
    const mainTip = r.rev('main');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 7', base: 'main' }), 'merged_pending');
    assert.match(res.message, /rebase of main is in progress/);
    assert.equal(r.rev('main'), mainTip);
    assert.equal(r.status(), status);
    assert.ok(fs.existsSync(path.join(r.dir, '.git', 'rebase-merge')));
  });
});
