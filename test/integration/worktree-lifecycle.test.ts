// Story worktrees around git in real temp repositories: the components' setup and teardown, and the
// sweep that removes only what the base branch already has and reports the rest.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAfter } from '../../src/core/agents/transcript';
import type { ComponentSpec } from '../../src/core/config/types';
import { ensureWorktree, removeWorktree } from '../../src/core/git/git';
import { pruneAndReport, setupWorktree, teardownWorktree, type PruneFinding, type StoryPresence } from '../../src/core/git/worktreeLifecycle';
import { gitIn, gitRepoDir } from '../fixtures/repo';

const comp = (c: Partial<ComponentSpec> & { name: string }): ComponentSpec => ({ path: '.', setup: [], teardown: [], test: [], ...c });
const identity = (t: string) => t;

describe('worktree lifecycle', function () {
  this.timeout(60_000);
  let root: string;

  beforeEach(() => {
    root = gitRepoDir('huskies-wt-life-');
    fs.writeFileSync(path.join(root, '.gitignore'), '.huskies/worktrees/\n.huskies/logs/\n');
    gitIn(root, 'add', '.gitignore');
    gitIn(root, 'commit', '-qm', 'ignore runtime folders');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const transcript = () => path.join(root, '.huskies', 'logs', 'setup.jsonl');
  const commitIn = (dir: string, file: string) => {
    fs.writeFileSync(path.join(dir, file), `${file}\n`);
    gitIn(dir, 'add', file);
    gitIn(dir, 'commit', '-qm', `add ${file}`);
  };
  const hasBranch = (b: string) => gitIn(root, 'branch', '--list', b).trim() !== '';

  describe('setup and teardown', () => {
    it('runs each component setup in its folder when a worktree is made, with the commands in the transcript', async () => {
      const wt = await ensureWorktree(root, { id: 1, slug: 'setup' });
      fs.mkdirSync(path.join(wt.dir, 'api'));
      const r = await setupWorktree({
        dir: wt.dir,
        components: [comp({ name: 'api', path: 'api', setup: ['echo api > ready.txt'] }), comp({ name: 'web', setup: ['pwd > web.txt'] })],
        mask: identity,
        transcript: transcript(),
      });
      assert.equal(r.ok, true, r.summary);
      assert.match(r.summary, /^all 2 setup commands passed in /);
      assert.equal(fs.readFileSync(path.join(wt.dir, 'api', 'ready.txt'), 'utf8'), 'api\n');
      assert.equal(fs.readFileSync(path.join(wt.dir, 'web.txt'), 'utf8'), `${wt.dir}\n`);
      const notices = (await readAfter(transcript(), 0)).flatMap((x) => (x.msg.kind === 'notice' ? [x.msg.message] : []));
      assert.ok(notices.some((m) => m.startsWith('$ echo api > ready.txt')));
    });

    it('a failing setup stops there and says which command failed', async () => {
      const wt = await ensureWorktree(root, { id: 2, slug: 'badsetup' });
      const r = await setupWorktree({
        dir: wt.dir,
        components: [comp({ name: 'app', setup: ['echo "npm ERR! missing" >&2; exit 4', 'touch after'] })],
        mask: identity,
        transcript: transcript(),
      });
      assert.equal(r.ok, false);
      assert.match(r.summary, /^`echo "npm ERR! missing" >&2; exit 4` failed: exit 4 after .*; 1 later setup command was not run$/);
      assert.match(r.outputTail, /npm ERR! missing/);
      assert.equal(fs.existsSync(path.join(wt.dir, 'after')), false);
    });

    it('with no setup configured it passes and runs nothing', async () => {
      const r = await setupWorktree({ dir: root, components: [comp({ name: 'app', test: ['false'] })], mask: identity, transcript: transcript() });
      assert.deepEqual([r.ok, r.results, r.summary], [true, [], 'no setup command is configured']);
    });

    it('teardown runs every command even after a failure, reports the failure, and the removal goes ahead', async () => {
      const wt = await ensureWorktree(root, { id: 3, slug: 'teardown' });
      const marks = fs.mkdtempSync(path.join(root, '.huskies', 'marks-'));
      const r = await teardownWorktree({
        dir: wt.dir,
        components: [comp({ name: 'db', teardown: ['echo cannot stop >&2; false', `touch ${marks}/t1`] }), comp({ name: 'web', teardown: [`touch ${marks}/t2`] })],
        mask: identity,
        transcript: transcript(),
      });
      assert.equal(r.ok, false);
      assert.equal(r.results.length, 3);
      assert.match(r.summary, /^`echo cannot stop >&2; false` failed: exit 1 after [^;]*$/);
      assert.ok(fs.existsSync(path.join(marks, 't1')) && fs.existsSync(path.join(marks, 't2')));
      await removeWorktree(root, wt.dir);
      assert.equal(fs.existsSync(wt.dir), false);
    });

    it('teardown of a worktree that is already gone reports it and does not throw', async () => {
      const r = await teardownWorktree({
        dir: path.join(root, '.huskies', 'worktrees', '9_gone'),
        components: [comp({ name: 'db', teardown: ['true'] })],
        mask: identity,
        transcript: transcript(),
      });
      assert.equal(r.ok, false);
      assert.match(r.summary, /is gone: 1 teardown command\(s\) could not run/);
    });
  });

  describe('pruneAndReport', () => {
    const byStory = (fs_: PruneFinding[], id: number) => {
      const f = fs_.find((x) => x.story === id);
      assert.ok(f, `no finding for story ${id}: ${JSON.stringify(fs_)}`);
      return f;
    };

    it('removes what has landed, keeps active stories, and reports unmerged, dirty and stray things without touching them', async () => {
      const merged = await ensureWorktree(root, { id: 1, slug: 'merged' });
      commitIn(merged.dir, 'one.txt');
      gitIn(root, 'merge', '-q', '--no-ff', '-m', 'merge 1', merged.branch);

      const unmerged = await ensureWorktree(root, { id: 2, slug: 'unmerged' });
      commitIn(unmerged.dir, 'two.txt');
      commitIn(unmerged.dir, 'two-b.txt');

      const active = await ensureWorktree(root, { id: 3, slug: 'active' });
      commitIn(active.dir, 'three.txt');

      const goneEmpty = await ensureWorktree(root, { id: 4, slug: 'gone_empty' });
      fs.rmSync(goneEmpty.dir, { recursive: true, force: true }); // removed by hand: git still lists it until pruned

      const squashed = await ensureWorktree(root, { id: 5, slug: 'squashed' });
      commitIn(squashed.dir, 'five.txt');
      commitIn(squashed.dir, 'five-b.txt');
      gitIn(root, 'merge', '-q', '--squash', squashed.branch);
      gitIn(root, 'commit', '-qm', 'squash 5');

      const dirty = await ensureWorktree(root, { id: 6, slug: 'dirty' });
      fs.writeFileSync(path.join(dirty.dir, 'notes.txt'), 'work in progress\n');

      const goneUnmerged = await ensureWorktree(root, { id: 7, slug: 'gone_unmerged' });
      commitIn(goneUnmerged.dir, 'seven.txt');

      const wtRoot = path.join(root, '.huskies', 'worktrees');
      fs.mkdirSync(path.join(wtRoot, '8_empty'));
      fs.mkdirSync(path.join(wtRoot, 'notes'));
      fs.writeFileSync(path.join(wtRoot, 'notes', 'keep.md'), 'mine\n');
      gitIn(root, 'branch', 'huskies/scratchpad');
      gitIn(root, 'branch', 'feature/x');

      const presence: Record<number, StoryPresence> = { 1: 'finished', 2: 'finished', 3: 'active', 4: 'missing', 5: 'finished', 6: 'finished', 7: 'missing', 8: 'missing' };
      const tornDown: string[] = [];
      const findings = await pruneAndReport(root, {
        presence: (id) => presence[id] ?? 'missing',
        teardown: async (dir) => void tornDown.push(dir),
      });

      const f1 = byStory(findings, 1);
      assert.deepEqual([f1.action, f1.unmergedCommits, f1.registered], ['removed', 0, true]);
      assert.equal(fs.existsSync(merged.dir), false);
      assert.equal(hasBranch(merged.branch), false);

      const f2 = byStory(findings, 2);
      assert.deepEqual([f2.action, f2.unmergedCommits, f2.dir], ['report', 2, unmerged.dir]);
      assert.match(f2.message, /Story 2 is done, but huskies\/2_unmerged \(2 commits\) holds changes that main does not have: left alone/);
      assert.ok(fs.existsSync(path.join(unmerged.dir, 'two.txt')));
      assert.ok(hasBranch(unmerged.branch));

      assert.deepEqual([byStory(findings, 3).action, byStory(findings, 3).message], ['kept', 'Story 3 is still in the pipeline.']);
      assert.ok(fs.existsSync(active.dir) && hasBranch(active.branch));

      const f4 = byStory(findings, 4);
      assert.deepEqual([f4.action, f4.registered, f4.dir], ['removed', false, undefined]);
      assert.equal(hasBranch(goneEmpty.branch), false);

      assert.equal(byStory(findings, 5).action, 'removed');
      assert.equal(hasBranch(squashed.branch), false);

      const f6 = byStory(findings, 6);
      assert.equal(f6.action, 'report');
      assert.match(f6.message, /has uncommitted changes: left alone/);
      assert.equal(fs.readFileSync(path.join(dirty.dir, 'notes.txt'), 'utf8'), 'work in progress\n');

      const f7 = byStory(findings, 7);
      assert.deepEqual([f7.action, f7.unmergedCommits], ['report', 1]);
      assert.match(f7.message, /has no story file any more, but/);
      assert.ok(hasBranch(goneUnmerged.branch) && fs.existsSync(goneUnmerged.dir));

      assert.equal(byStory(findings, 8).action, 'removed');
      assert.equal(fs.existsSync(path.join(wtRoot, '8_empty')), false);

      const stray = findings.find((f) => f.dir === path.join(wtRoot, 'notes'));
      assert.deepEqual([stray?.action, stray?.message], ['report', `${path.join(wtRoot, 'notes')} is not a story worktree: left alone.`]);
      assert.equal(fs.readFileSync(path.join(wtRoot, 'notes', 'keep.md'), 'utf8'), 'mine\n');
      assert.deepEqual(
        findings.filter((f) => f.branch === 'huskies/scratchpad').map((f) => f.action),
        ['report'],
      );
      assert.ok(hasBranch('huskies/scratchpad') && hasBranch('feature/x'));
      assert.ok(!findings.some((f) => f.branch === 'feature/x' || f.branch === 'main'));

      assert.deepEqual(tornDown.sort(), [merged.dir, squashed.dir].sort());
      assert.ok(!gitIn(root, 'worktree', 'list', '--porcelain').includes('4_gone_empty'));
    });

    it('keeps a landed branch with keepBranches but still removes its worktree', async () => {
      const wt = await ensureWorktree(root, { id: 1, slug: 'kept' });
      commitIn(wt.dir, 'one.txt');
      gitIn(root, 'merge', '-q', '--ff-only', wt.branch);
      const [f] = await pruneAndReport(root, { presence: () => 'finished', keepBranches: true });
      assert.equal(f.action, 'removed');
      assert.equal(fs.existsSync(wt.dir), false);
      assert.ok(hasBranch(wt.branch));
      const [again] = await pruneAndReport(root, { presence: () => 'finished', keepBranches: true });
      assert.deepEqual([again.action, again.message], ['kept', 'Story 1 is done; huskies/1_kept is kept (keep_branches).']);
    });

    it('leaves a branch checked out outside .huskies/worktrees alone', async () => {
      gitIn(root, 'branch', 'huskies/4_elsewhere');
      const other = fs.mkdtempSync(path.join(path.dirname(root), 'huskies-wt-other-'));
      fs.rmdirSync(other);
      gitIn(root, 'worktree', 'add', '-q', other, 'huskies/4_elsewhere');
      try {
        const [f] = await pruneAndReport(root, { presence: () => 'finished' });
        assert.equal(f.action, 'kept');
        assert.match(f.message, /checked out in /);
        assert.ok(hasBranch('huskies/4_elsewhere') && fs.existsSync(other));
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    });

    it('compares with the configured base branch', async () => {
      gitIn(root, 'branch', 'release');
      const wt = await ensureWorktree(root, { id: 1, slug: 'onmain' });
      commitIn(wt.dir, 'one.txt');
      gitIn(root, 'merge', '-q', '--ff-only', wt.branch);
      const [f] = await pruneAndReport(root, { presence: () => 'finished', baseBranch: 'release' });
      assert.deepEqual([f.action, f.unmergedCommits], ['report', 1]);
      assert.match(f.message, /that release does not have/);
    });
  });
});
