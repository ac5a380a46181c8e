// A story's changes against a real git repository: the branch against its merge base (renames with
// the old path, deletions, names with spaces and non-ASCII characters), the worktree's uncommitted and
// untracked files, a merged story's merge commit, and file contents at a commit, bounded and checked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkItem } from '../../src/core/api';
import { fileAt, storyChanges } from '../../src/core/git/storyDiff';
import { gitIn, gitRepoDir, landedSince, waitFor } from '../fixtures/repo';
import { huskiesPerTest } from '../fixtures/huskiesRepo';

function item(id: number, slug: string, extra: Partial<WorkItem> = {}): WorkItem {
  return {
    id,
    type: 'story',
    slug,
    stage: 'current',
    fileName: `${id}_story_${slug}.md`,
    path: `/nowhere/${id}.md`,
    name: slug,
    frontMatter: {},
    body: '',
    criteria: [],
    dependsOn: [],
    blocked: false,
    mtimeMs: 0,
    ...extra,
  };
}

const byPath = (files: { path: string }[]) => [...files].sort((a, b) => a.path.localeCompare(b.path));

describe('story changes (integration)', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => {
    dir = gitRepoDir('huskies-diff-');
    fs.writeFileSync(path.join(dir, 'old name.txt'), 'one\ntwo\nthree\nfour\nfive\n');
    fs.writeFileSync(path.join(dir, 'gone.txt'), 'bye\n');
    fs.writeFileSync(path.join(dir, 'edit.txt'), 'before\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'base files');
  });
  afterEach(() => {
    gitIn(dir, 'worktree', 'prune');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The story branch with a rename, a deletion, an edit and an added file with a unicode name; main moves on meanwhile. */
  function storyBranch(): string {
    gitIn(dir, 'checkout', '-q', '-b', 'huskies/7_rename_things');
    gitIn(dir, 'mv', 'old name.txt', 'new näme ✓.txt');
    gitIn(dir, 'rm', '-q', 'gone.txt');
    fs.writeFileSync(path.join(dir, 'edit.txt'), 'after\n');
    fs.mkdirSync(path.join(dir, 'dir with space'));
    fs.writeFileSync(path.join(dir, 'dir with space', 'ünï cödé.md'), '# hi\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'story work');
    const tip = gitIn(dir, 'rev-parse', 'HEAD').trim();
    gitIn(dir, 'checkout', '-q', 'main');
    fs.writeFileSync(path.join(dir, 'main-only.txt'), 'not the story\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'main moves on');
    return tip;
  }

  it('lists the branch changes against the merge base: renames with the old path, deletions, unicode and spaces; main’s own commits are not the story’s', async () => {
    const tip = storyBranch();
    const base = gitIn(dir, 'merge-base', 'main', tip).trim();
    const c = await storyChanges(dir, item(7, 'rename_things'), { baseBranch: 'main' });
    assert.equal(c.branch, 'huskies/7_rename_things');
    assert.equal(c.head, tip);
    assert.equal(c.base, base);
    assert.equal(c.merged, false);
    assert.equal(c.worktree, undefined);
    assert.deepEqual(byPath(c.files), [
      { status: 'added', path: 'dir with space/ünï cödé.md' },
      { status: 'modified', path: 'edit.txt' },
      { status: 'deleted', path: 'gone.txt' },
      { status: 'renamed', path: 'new näme ✓.txt', oldPath: 'old name.txt' },
    ]);
    assert.equal(await fileAt(dir, base, 'edit.txt'), 'before\n');
    assert.equal(await fileAt(dir, tip, 'edit.txt'), 'after\n');
    assert.equal(await fileAt(dir, tip, 'dir with space/ünï cödé.md'), '# hi\n');
    assert.equal(await fileAt(dir, base, 'dir with space/ünï cödé.md'), undefined, 'not there before: the left side is empty');
  });

  it('a story with a worktree shows its uncommitted and untracked work too, and names the worktree', async () => {
    const wt = path.join(dir, '.huskies', 'worktrees', '8_live');
    gitIn(dir, 'worktree', 'add', '-q', '-b', 'huskies/8_live', wt, 'main');
    fs.writeFileSync(path.join(wt, 'edit.txt'), 'uncommitted\n');
    fs.writeFileSync(path.join(wt, 'new file.txt'), 'untracked\n');
    const c = await storyChanges(dir, item(8, 'live'), { baseBranch: 'main' });
    assert.equal(c.worktree, wt);
    assert.deepEqual(byPath(c.files), [
      { status: 'modified', path: 'edit.txt' },
      { status: 'added', path: 'new file.txt' },
    ]);
  });

  it('a run’s recorded branch wins over the computed name', async () => {
    gitIn(dir, 'branch', 'custom/branch');
    gitIn(dir, 'checkout', '-q', 'custom/branch');
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'x');
    gitIn(dir, 'checkout', '-q', 'main');
    const run = {
      runId: 'r1',
      storyId: 9,
      agent: 'a',
      runtime: 'sim',
      status: 'succeeded',
      queuedAt: 1,
      transcript: '',
      lastSeq: 0,
      attempt: 1,
      stage: 'current',
      branch: 'custom/branch',
    } as const;
    const c = await storyChanges(dir, item(9, 'other'), { baseBranch: 'main', runs: [run] });
    assert.equal(c.branch, 'custom/branch');
    assert.deepEqual(c.files, [{ status: 'added', path: 'x.txt' }]);
  });

  it('a merged story shows its merge commit against the parent', async () => {
    fs.writeFileSync(path.join(dir, 'edit.txt'), 'merged\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'squash of #5');
    const commit = gitIn(dir, 'rev-parse', 'HEAD').trim();
    const c = await storyChanges(dir, item(5, 'done_one', { stage: 'done', frontMatter: { merge_commit: commit } }));
    assert.equal(c.merged, true);
    assert.equal(c.head, commit);
    assert.equal(c.base, gitIn(dir, 'rev-parse', 'HEAD~1').trim());
    assert.deepEqual(c.files, [{ status: 'modified', path: 'edit.txt' }]);
  });

  it('says clearly when there is nothing to show: no branch yet, a base branch that does not exist, an unknown merge commit', async () => {
    await assert.rejects(storyChanges(dir, item(3, 'nothing'), { baseBranch: 'main' }), /Story 3 has no branch huskies\/3_nothing yet/);
    gitIn(dir, 'branch', 'huskies/3_nothing');
    await assert.rejects(storyChanges(dir, item(3, 'nothing'), { baseBranch: 'trunk' }), /base branch trunk .*does not exist/);
    await assert.rejects(storyChanges(dir, item(4, 'x', { stage: 'done', frontMatter: { merge_commit: 'a'.repeat(40) } })), /merge commit aaaaaaaaaa .*is not in this repository/);
  });

  it('fileAt refuses anything but a commit id and a plain relative path, and bounds the size', async () => {
    const head = gitIn(dir, 'rev-parse', 'HEAD').trim();
    for (const bad of ['../etc/passwd', '/etc/passwd', 'a/../../b', './edit.txt', '.git/config', 'a\\b', '', 'x\0y'])
      await assert.rejects(fileAt(dir, head, bad), /Cannot read a file/, JSON.stringify(bad));
    for (const bad of ['HEAD', 'main', '--output=/tmp/x', `${head}:edit.txt`, 'HEAD~1']) await assert.rejects(fileAt(dir, bad, 'edit.txt'), /is not a commit id/, bad);
    assert.match((await fileAt(dir, head, 'old name.txt', 10))!, /is 24 bytes .*too large to show/);
    assert.equal(await fileAt(dir, head, 'old name.txt', 24), 'one\ntwo\nthree\nfour\nfive\n');
    assert.equal(await fileAt(dir, head, 'no such file'), undefined);
    fs.writeFileSync(path.join(dir, 'bin.dat'), Buffer.from([1, 0, 2, 3]));
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-qm', 'binary');
    assert.match((await fileAt(dir, gitIn(dir, 'rev-parse', 'HEAD').trim(), 'bin.dat'))!, /binary file of 4 bytes/);
  });

  describe('through the facade, with the simulated agent', () => {
    const h = huskiesPerTest();
    it('storyChanges follows a story from its worktree to its merge commit', async () => {
      const { repo, o } = await h.open('default_qa = "human"\n', (r) => r.story(1, 'Add greeting', { criteria: ['says hello'] }));
      await assert.rejects(o.storyChanges(1), /Story 1 has no branch/);
      await assert.rejects(o.storyChanges(99), /There is no story 99/);
      await o.startAgent(1);
      await waitFor(() => o.store.get(1)?.stage === 'qa', 'coded', 30_000);
      const inQa = await o.storyChanges(1);
      assert.ok(inQa.worktree && fs.existsSync(inQa.worktree), 'the worktree is named');
      assert.ok(inQa.files.length > 0 && inQa.files.every((f) => f.path.startsWith('huskies-sim/story-1/')), JSON.stringify(inQa.files));
      const f = inQa.files[0].path;
      assert.equal(await o.fileAt(inQa.base, f), undefined, 'added by the story');
      assert.equal(await o.fileAt(inQa.head, f), fs.readFileSync(path.join(inQa.worktree!, f), 'utf8'));
      await o.approve(1);
      await waitFor(() => o.store.get(1)?.stage === 'done', 'merged', 60_000);
      const done = await o.storyChanges(1);
      assert.equal(done.merged, true);
      assert.equal(done.head, o.store.get(1)!.frontMatter.merge_commit);
      assert.ok(landedSince(repo.dir, `${done.head}~1`).includes(done.head), 'the merge commit is on main');
      assert.deepEqual(
        done.files.map((x) => x.path),
        inQa.files.map((x) => x.path),
      );
    });
  });
});
