// mergeStory against real temp repositories whose base branch nobody has checked out: squash commits,
// empty stories, conflicts left in the merge worktree and resolved there, gates, bad input, stopping.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MergeError, mergeStory } from '../../src/core/git/merge';
import { expectKind, gitAt, mergeRepos } from './mergeFixture';

describe('mergeStory', function () {
  this.timeout(60_000);
  const newRepo = mergeRepos({ detached: true });

  it('lands a story as one squash commit on the base with the message as given', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(1, 'login', { 'login.ts': 'export const login = 1;\n' }, { 'a.txt': 'one\nTWO\nthree\n', 'login.ts': 'export const login = 2;\n' });
    const message = 'Story 1: Add login\n\n- [x] It works\n';
    const res = expectKind(await mergeStory({ root: r.dir, branch, message, base: 'main' }), 'merged');
    assert.equal(r.rev('main'), res.commit);
    assert.equal(res.previous, old);
    assert.equal(r.git('rev-list', '--count', `${old}..main`).trim(), '1');
    assert.equal(r.git('rev-parse', 'main^').trim(), old);
    assert.equal(r.git('log', '-1', '--format=%B', 'main'), `${message}\n`);
    assert.equal(r.git('log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main').trim(), 'Merge Tester <merge@huskies.invalid>|Merge Tester <merge@huskies.invalid>');
    assert.equal(r.git('rev-parse', 'main^{tree}').trim(), r.git('rev-parse', `${branch}^{tree}`).trim());
    assert.deepEqual(res.filesChanged.sort(), ['a.txt', 'login.ts']);
    assert.equal(res.checkout, undefined);
    assert.ok(!fs.existsSync(path.join(r.dir, '.huskies', 'worktrees', '.merge-1_login')), 'the merge worktree is gone');
    assert.equal(r.git('branch', '--list', 'huskies/merging/*').trim(), '');
  });

  it("leaves the branch's changes to the stories' files (.huskies/work) out of the squash; only those changes are nothing to merge", async () => {
    const r = newRepo({ '.huskies/work/2_current/5_story_x.md': '---\nname: x\n---\n- [ ] one\n' });
    const { branch } = r.story(5, 'ticks', { 'x.ts': 'x\n', '.huskies/work/2_current/5_story_x.md': '---\nname: x\n---\n- [x] one\n' });
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 5', base: 'main' }), 'merged');
    assert.deepEqual(res.filesChanged, ['x.ts']);
    assert.match(r.git('show', 'main:.huskies/work/2_current/5_story_x.md'), /- \[ \] one/, "the base's story file is untouched");
    const only = r.story(6, 'onlyticks', { '.huskies/work/2_current/5_story_x.md': 'edited by an agent\n' });
    assert.equal(expectKind(await mergeStory({ root: r.dir, branch: only.branch, message: 'Story 6', base: 'main' }), 'empty').reason, 'no_changes');
  });

  it('refuses a story with no commits ahead of the base, and makes no commit', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(2, 'nothing');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 2', base: 'main' }), 'empty');
    assert.equal(res.reason, 'no_commits');
    assert.equal(r.rev('main'), old);
  });

  it('refuses a story whose commits change nothing in the end', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(3, 'undo', { 'a.txt': 'changed\n' }, { 'a.txt': 'one\ntwo\nthree\n' });
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 3', base: 'main' }), 'empty');
    assert.equal(res.reason, 'no_changes');
    assert.equal(r.rev('main'), old);
  });

  it('brings the story up to date with a base that moved on, and runs the gates on the combination', async () => {
    const r = newRepo();
    const { branch } = r.story(4, 'feature', { 'feature.txt': 'feature\n' });
    r.commitTo('main', { 'other.txt': 'other\n' }, 'someone else');
    const seen: string[] = [];
    const gates = async (dir: string) => {
      seen.push(fs.readFileSync(path.join(dir, 'feature.txt'), 'utf8') + fs.readFileSync(path.join(dir, 'other.txt'), 'utf8'));
      return { ok: true, output: 'all good' };
    };
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 4', base: 'main', gates }), 'merged');
    assert.deepEqual(seen, ['feature\nother\n']);
    assert.equal(r.show('main', 'feature.txt'), 'feature\n');
    assert.equal(r.show('main', 'other.txt'), 'other\n');
    assert.deepEqual(res.filesChanged, ['feature.txt']);
  });

  it('merges the base in when replaying the story commits one by one conflicts but their sum does not', async () => {
    const r = newRepo();
    // the first commit touches the line the base changes, the second puts it back
    const { branch } = r.story(14, 'detour', { 'a.txt': 'one\ndetour\nthree\n' }, { 'a.txt': 'one\ntwo\nthree\n', 'detour.txt': 'kept\n' });
    const baseTip = r.commitTo('main', { 'a.txt': 'one\nbase\nthree\n' }, 'base edit');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 14', base: 'main' }), 'merged');
    assert.equal(r.git('rev-parse', 'main^').trim(), baseTip);
    assert.equal(r.show('main', 'a.txt'), 'one\nbase\nthree\n');
    assert.equal(r.show('main', 'detour.txt'), 'kept\n');
    assert.deepEqual(res.filesChanged, ['detour.txt']);
  });

  it('is not thrown off by hooks that fail', async () => {
    const r = newRepo();
    const { branch } = r.story(15, 'hooks', { 'a.txt': 'one\nhooked\nthree\n' });
    r.commitTo('main', { 'other.txt': 'other\n' }, 'base edit');
    const hooks = path.join(r.dir, '.git', 'hooks');
    for (const hook of ['post-checkout', 'post-merge', 'pre-rebase', 'post-rewrite', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg']) {
      fs.writeFileSync(path.join(hooks, hook), '#!/bin/sh\necho "hook $0 says no" >&2\nexit 1\n', { mode: 0o755 });
    }
    expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 15', base: 'main' }), 'merged');
    assert.equal(r.show('main', 'a.txt'), 'one\nhooked\nthree\n');
    assert.equal(r.show('main', 'other.txt'), 'other\n');
  });

  it('leaves a real conflict in the merge worktree only, and reports it again until it is resolved', async () => {
    const r = newRepo();
    const { branch, worktree } = r.story(5, 'clash', { 'a.txt': 'one\nstory\nthree\n', 'story.txt': 'mine\n' });
    const baseTip = r.commitTo('main', { 'a.txt': 'one\nbase\nthree\n' }, 'base edit');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 5', base: 'main' }), 'conflict');
    assert.deepEqual(res.files, ['a.txt']);
    assert.equal(res.worktree, path.join(r.dir, '.huskies', 'worktrees', '.merge-5_clash'));
    assert.match(r.read('a.txt', res.worktree), /^<<<<<<< /m);
    assert.equal(r.rev('main'), baseTip);
    assert.deepEqual(r.markersOn('main'), []);
    assert.deepEqual(r.markersIn(r.dir), []);
    assert.deepEqual(r.markersIn(worktree), []);
    assert.equal(r.status(worktree), '');

    const again = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 5', base: 'main' }), 'conflict');
    assert.deepEqual(again.files, ['a.txt']);
    assert.equal(r.rev('main'), baseTip);
  });

  it('merges a conflict that was resolved and committed in the merge worktree', async () => {
    const r = newRepo();
    const { branch } = r.story(6, 'fixme', { 'a.txt': 'one\nstory\nthree\n', 'story.txt': 'mine\n' });
    const baseTip = r.commitTo('main', { 'a.txt': 'one\nbase\nthree\n' }, 'base edit');
    const conflict = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 6', base: 'main' }), 'conflict');
    r.write('a.txt', 'one\nbase and story\nthree\n', conflict.worktree);
    gitAt(conflict.worktree, 'add', 'a.txt');
    gitAt(conflict.worktree, 'commit', '-q', '--no-edit');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 6: resolved', base: 'main' }), 'merged');
    assert.equal(r.git('rev-parse', 'main^').trim(), baseTip);
    assert.equal(r.show('main', 'a.txt'), 'one\nbase and story\nthree\n');
    assert.equal(r.show('main', 'story.txt'), 'mine\n');
    assert.deepEqual(res.filesChanged.sort(), ['a.txt', 'story.txt']);
    assert.deepEqual(r.markersOn('main'), []);
  });

  it('starts over when the story gained commits after a conflict was left for resolution', async () => {
    const r = newRepo();
    const { branch, worktree } = r.story(12, 'fixup', { 'a.txt': 'one\nstory\nthree\n', 'story.txt': 'mine\n' });
    r.commitTo('main', { 'a.txt': 'one\nbase\nthree\n' }, 'base edit');
    expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 12', base: 'main' }), 'conflict');
    r.commitIn(worktree, { 'a.txt': 'one\nbase\nthree\n' }, 'take the base’s line');
    expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 12', base: 'main' }), 'merged');
    assert.equal(r.show('main', 'a.txt'), 'one\nbase\nthree\n');
    assert.equal(r.show('main', 'story.txt'), 'mine\n');
  });

  it('will not land conflict markers that were committed as a resolution', async () => {
    const r = newRepo();
    const { branch } = r.story(7, 'lazy', { 'a.txt': 'one\nstory\nthree\n' });
    const baseTip = r.commitTo('main', { 'a.txt': 'one\nbase\nthree\n' }, 'base edit');
    const conflict = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 7', base: 'main' }), 'conflict');
    gitAt(conflict.worktree, 'commit', '-q', '-a', '--no-edit');
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 7', base: 'main' }), 'conflict');
    assert.deepEqual(res.files, ['a.txt']);
    assert.match(res.message, /Conflict markers/);
    assert.equal(r.rev('main'), baseTip);
  });

  it('keeps the base as it was when the gates fail, and reports their output', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(8, 'broken', { 'broken.txt': 'x\n' });
    let gateDir = '';
    const story = { root: r.dir, branch, message: 'Story 8', base: 'main' };
    const scribble = async (dir: string) => {
      gateDir = dir;
      fs.writeFileSync(path.join(dir, 'a.txt'), 'scribbled by the tests\n');
      return { ok: false, output: '1 test failed' };
    };
    const res = expectKind(await mergeStory({ ...story, gates: scribble }), 'gate_failed');
    assert.equal(res.output, '1 test failed');
    assert.equal(res.worktree, gateDir);
    assert.equal(r.rev('main'), old);
    assert.equal(r.status(gateDir), '', 'what the gates changed is put back');
    // and a second try, with gates that pass now, lands it
    expectKind(await mergeStory({ ...story, gates: async () => ({ ok: true, output: '' }) }), 'merged');
    assert.equal(r.show('main', 'broken.txt'), 'x\n');
    assert.equal(r.show('main', 'a.txt'), 'one\ntwo\nthree\n');
  });

  it('is not blocked by what gates that were cut off left in the merge worktree', async () => {
    const r = newRepo();
    const { branch } = r.story(13, 'cutoff', { 'cut.txt': 'cut\n' });
    const story = { root: r.dir, branch, message: 'Story 13', base: 'main' };
    const res = expectKind(await mergeStory({ ...story, gates: async () => ({ ok: false, output: 'red' }) }), 'gate_failed');
    // as if the process had died while the gates ran: their flag still there, a tracked file changed
    const gitDir = path.resolve(res.worktree, gitAt(res.worktree, 'rev-parse', '--git-dir').trim());
    fs.writeFileSync(path.join(gitDir, 'HUSKIES_GATES_RUNNING'), 'x\n');
    r.write('a.txt', 'half-written by a build\n', res.worktree);
    expectKind(await mergeStory(story), 'merged');
    assert.equal(r.show('main', 'a.txt'), 'one\ntwo\nthree\n');
    assert.equal(r.show('main', 'cut.txt'), 'cut\n');
  });

  it('counts gates that throw as failed', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(9, 'throws', { 'b.txt': 'b\n' });
    const gates = () => Promise.reject(new Error('npm not found'));
    const res = expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 9', base: 'main', gates }), 'gate_failed');
    assert.match(res.output, /npm not found/);
    assert.equal(r.rev('main'), old);
  });

  it('stops when its signal aborts, leaving the base unchanged', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(10, 'stop', { 'c.txt': 'c\n' });
    const ctl = new AbortController();
    const res = await mergeStory({
      root: r.dir,
      branch,
      message: 'Story 10',
      base: 'main',
      signal: ctl.signal,
      gates: async (_dir, signal) => {
        ctl.abort();
        return { ok: signal.aborted, output: '' };
      },
    });
    expectKind(res, 'aborted');
    assert.equal(r.rev('main'), old);
  });

  it('stops at its time limit, leaving the base unchanged', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(16, 'slow', { 'slow.txt': 'slow\n' });
    // gates that end only when told to stop
    const gates = (_dir: string, signal: AbortSignal) =>
      new Promise<{ ok: boolean; output: string }>((resolve) => signal.addEventListener('abort', () => resolve({ ok: true, output: '' })));
    expectKind(await mergeStory({ root: r.dir, branch, message: 'Story 16', base: 'main', timeoutMs: 50, gates }), 'aborted');
    assert.equal(r.rev('main'), old);
  });

  it('rejects bad input and a repository without an identity before changing anything', async () => {
    const r = newRepo();
    const old = r.rev('main');
    const { branch } = r.story(11, 'input', { 'd.txt': 'd\n' });
    const rejects = (p: Promise<unknown>, code: string) => assert.rejects(p, (e: unknown) => e instanceof MergeError && e.code === code);
    await rejects(mergeStory({ root: r.dir, branch: 'main', message: 'x', base: 'main' }), 'bad_input');
    await rejects(mergeStory({ root: r.dir, branch: 'huskies/11_input; rm -rf /', message: 'x', base: 'main' }), 'bad_input');
    await rejects(mergeStory({ root: r.dir, branch, message: '  \n', base: 'main' }), 'bad_input');
    await rejects(mergeStory({ root: r.dir, branch, message: 'x', base: '--force' }), 'bad_input');
    await rejects(mergeStory({ root: r.dir, branch, message: 'x', base: 'nope' }), 'no_base');
    await rejects(mergeStory({ root: r.dir, branch: 'huskies/12_missing', message: 'x', base: 'main' }), 'no_branch');
    await rejects(mergeStory({ root: r.dir, branch, message: 'x' }), 'no_base'); // the main tree is detached
    r.git('config', '--unset', 'user.name');
    await rejects(mergeStory({ root: r.dir, branch, message: 'x', base: 'main' }), 'no_identity');
    assert.equal(r.rev('main'), old);
  });
});
