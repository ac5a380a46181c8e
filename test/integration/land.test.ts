// The whole pipeline with the simulated agent: backlog → current → QA (approved) → merge → done,
// one squash commit on the base branch, the worktree and branch cleaned up; a conflict leaves the
// story in merge with the reason, and a fix-up sends it back to its coder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitIn, landedSince, waitFor } from '../fixtures/repo';
import { huskiesPerTest } from '../fixtures/huskiesRepo';

describe('landing the work (integration)', function () {
  this.timeout(90_000);
  const h = huskiesPerTest();

  it('an approved story is squash-merged onto the base branch and its worktree and branch are removed', async () => {
    const { repo, o } = await h.open('default_qa = "human"\n', (r) => r.story(1, 'Add greeting', { criteria: ['says hello', 'says goodbye'] }));
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'coded', 30_000);
    assert.match(o.snapshot().waits.get(1)!, /waiting for your review/);
    const before = gitIn(repo.dir, 'rev-parse', 'main').trim();
    await o.approve(1);
    await waitFor(() => o.store.get(1)?.stage === 'done', 'merged and done', 60_000);
    const item = o.store.get(1)!;
    const squash = String(item.frontMatter.merge_commit);
    assert.deepEqual(landedSince(repo.dir, before), [squash], 'one squash commit on top of the old base (besides the story moves)');
    assert.match(gitIn(repo.dir, 'log', '-1', '--format=%B', squash), /^#1 Add greeting\n\n- \[ \] says hello\n- \[ \] says goodbye/);
    assert.ok(gitIn(repo.dir, 'ls-tree', '-r', '--name-only', 'main').includes('huskies-sim/story-1/'), 'the agent’s files are on main');
    await waitFor(() => gitIn(repo.dir, 'status', '--porcelain', '--untracked-files=no').trim() === '', 'the checkout is clean, story moves committed');
    const wt = o.registry.get(run.runId)!.worktree!;
    await waitFor(() => !fs.existsSync(wt), 'the worktree is removed');
    await waitFor(() => !gitIn(repo.dir, 'branch', '--list', 'huskies/*').trim(), 'the story branch is deleted');
  });

  it('a conflict with the base leaves the story in merge with the files named; a fix-up sends it back to current', async () => {
    const { repo, o } = await h.open('default_qa = "human"\n', (r) => r.story(2, 'Clashes', { criteria: ['one'] }));
    await o.startAgent(2);
    await waitFor(() => o.store.get(2)?.stage === 'qa', 'coded', 30_000);
    // Meanwhile the same file lands on main with other content.
    const clash = path.join('huskies-sim', 'story-2');
    fs.mkdirSync(path.join(repo.dir, clash), { recursive: true });
    const file = fs.readdirSync(path.join(o.registry.latest(2)!.worktree!, clash))[0];
    fs.writeFileSync(path.join(repo.dir, clash, file), 'something else entirely\n');
    gitIn(repo.dir, 'add', clash);
    gitIn(repo.dir, 'commit', '-qm', 'a change on main');
    await o.approve(2);
    await waitFor(() => o.store.get(2)?.frontMatter.merge_failure !== undefined, 'the merge fails', 60_000);
    const item = o.store.get(2)!;
    assert.equal(item.stage, 'merge');
    assert.match(String(item.frontMatter.merge_failure), new RegExp(`conflicts with the base branch in .*${file}`));
    assert.match(o.snapshot().waits.get(2)!, /the merge failed: .*fix it up/);
    assert.ok(!fs.readFileSync(path.join(repo.dir, clash, file), 'utf8').includes('<<<<<<<'), 'no conflict markers in the checkout');
    await o.fixup(2);
    assert.equal(o.store.get(2)!.stage, 'current');
    assert.equal(o.store.get(2)!.frontMatter.merge_failure, undefined);
  });
});
