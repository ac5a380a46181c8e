// The agents after coding, with the simulated agent on real repositories: a QA agent approves (the story
// lands) or rejects (back to the coder, then blocked); a mergemaster resolves a real conflict in the merge
// worktree (the story lands with both sides), or gives up (the story is blocked with the reason).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitIn, landedSince, waitFor } from '../fixtures/repo';
import { FAST_SIM, huskiesPerTest } from '../fixtures/huskiesRepo';
import type { Huskies } from '../../src/core/api';
import type { TempRepo } from '../fixtures/repo';

const agentsToml = (role: 'qa' | 'mergemaster') => `${FAST_SIM}\n[[agent]]\nname = "${role}-sim"\nruntime = "sim"\nstage = "${role}"\nenv = { HUSKIES_SIM_DELAY_MS = "10" }\n`;

/** Codes story `id`, then lands a clashing version of its first file on main, so its merge conflicts. */
async function clash(repo: TempRepo, o: Huskies, id: number): Promise<{ rel: string }> {
  await o.startAgent(id);
  await waitFor(() => o.store.get(id)?.stage === 'qa', 'coded', 30_000);
  const dir = path.join('huskies-sim', `story-${id}`);
  const file = fs.readdirSync(path.join(o.registry.latest(id)!.worktree!, dir))[0];
  fs.mkdirSync(path.join(repo.dir, dir), { recursive: true });
  fs.writeFileSync(path.join(repo.dir, dir, file), 'the version on main\n');
  gitIn(repo.dir, 'add', dir);
  gitIn(repo.dir, 'commit', '-qm', 'a clashing change on main');
  return { rel: path.join(dir, file) };
}

describe('the QA agent and the mergemaster (integration)', function () {
  this.timeout(120_000);
  const h = huskiesPerTest();

  it('qa: agent — the QA agent approves and the story lands on main', async () => {
    const { repo, o } = await h.open('default_qa = "agent"\n', (r) => r.story(1, 'Greets', { criteria: ['says hello'] }), agentsToml('qa'));
    const before = gitIn(repo.dir, 'rev-parse', 'main').trim();
    await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'done', 'reviewed, merged and done', 60_000);
    const runs = o.registry.forStory(1);
    const review = runs.find((r) => r.role === 'qa')!;
    assert.equal(review.agent, 'qa-sim');
    assert.equal(review.handled, 'coded');
    assert.ok(fs.existsSync(path.join(repo.dir, '.huskies', 'logs', `${review.runId}.verdict.json`)), 'the verdict is kept with the logs');
    assert.ok(!gitIn(repo.dir, 'ls-tree', '-r', '--name-only', 'main').includes('.huskies-verdict.json'), 'the verdict file is never committed');
    assert.deepEqual(landedSince(repo.dir, before), [o.store.get(1)!.frontMatter.merge_commit], 'one squash commit (besides the story moves)');
  });

  it('qa: agent — a rejection goes back to the coder with the reasons; rejected again past max_retries, the story is blocked', async () => {
    const { o } = await h.open('default_qa = "agent"\nmax_retries = 1\n', (r) => r.story(2, 'Greets', { criteria: ['says hello'], extra: 'sim_qa: reject\n' }), agentsToml('qa'));
    await o.startAgent(2);
    await waitFor(() => o.store.get(2)?.blocked === true, 'rejected twice, then blocked', 90_000);
    const item = o.store.get(2)!;
    assert.equal(item.stage, 'current');
    assert.match(item.blockedReason!, /the QA agent rejected it after 2 attempts; last: QA rejected the change:/);
    assert.match(String(item.frontMatter.qa_feedback), /has no tests/);
    const coders = o.registry.forStory(2).filter((r) => !r.role);
    assert.equal(coders.length, 2, 'the coder went again once, in its session');
    assert.match(coders[1].prompt ?? '', /has no tests[\s\S]*Fix what the reviewer found/);
  });

  it('a real conflict: the mergemaster resolves it in the merge worktree and the story lands with both sides', async () => {
    const { repo, o } = await h.open('default_qa = "human"\n', (r) => r.story(3, 'Clashes', { criteria: ['one'] }), agentsToml('mergemaster'));
    const { rel } = await clash(repo, o, 3);
    await o.approve(3);
    await waitFor(() => o.store.get(3)?.stage === 'done', 'resolved by the mergemaster, merged and done', 90_000);
    const mm = o.registry.forStory(3).filter((r) => r.role === 'mergemaster');
    assert.equal(mm.length, 1);
    assert.equal(mm[0].agent, 'mergemaster-sim');
    assert.match(mm[0].worktree!, /\.huskies[/\\]worktrees[/\\]\.merge-3_/);
    const landed = gitIn(repo.dir, 'show', `main:${rel}`);
    assert.match(landed, /the version on main/);
    assert.match(landed, /Done for story 3/);
    assert.ok(!landed.includes('<<<<<<<'), 'no conflict markers landed');
    assert.equal(o.store.get(3)!.frontMatter.mergemaster_attempts, undefined);
    assert.equal(gitIn(repo.dir, 'status', '--porcelain', '--untracked-files=no', '--', rel).trim(), '', 'the checkout is clean');
  });

  it('a mergemaster that cannot resolve it: after mergemaster_attempts the story is blocked with the reason', async () => {
    const { repo, o } = await h.open(
      'default_qa = "human"\nmergemaster_attempts = 1\n',
      (r) => r.story(4, 'Clashes', { criteria: ['one'], extra: 'sim_merge: give_up\n' }),
      agentsToml('mergemaster'),
    );
    const { rel } = await clash(repo, o, 4);
    await o.approve(4);
    await waitFor(() => o.store.get(4)?.blocked === true, 'blocked after the mergemaster gave up', 90_000);
    const item = o.store.get(4)!;
    assert.equal(item.stage, 'merge');
    assert.match(
      item.blockedReason!,
      /the mergemaster could not land it after 1 attempt \(last: the merge is still in progress with conflicts in .*\)\. The merge failed: conflicts/,
    );
    assert.equal(gitIn(repo.dir, 'show', `main:${rel}`), 'the version on main\n', 'main is as it was');
    await o.fixup(4);
    assert.equal(o.store.get(4)!.stage, 'current', 'a fix-up sends it back to its coder');
    assert.equal(o.store.get(4)!.blocked, false);
  });

  it('stack_on_parents: a child starts from its coded parent, waits for it to land, is rebased onto main, then lands on its own', async () => {
    const { repo, o } = await h.open('default_qa = "human"\nstack_on_parents = true\n', (r) => {
      r.story(5, 'Parent', { criteria: ['first'] });
      r.story(6, 'Child', { criteria: ['second'], stage: '2_current', extra: 'depends_on: [5]\n' });
    });
    assert.match(o.snapshot().waits.get(6)!, /waits for #5 to be done/);
    await o.startAgent(5);
    await waitFor(() => o.store.get(6)?.stage === 'qa', 'the child, stacked on the coded parent, is coded', 60_000);
    assert.equal(o.store.get(6)!.frontMatter.stacked_on, 5);
    const childWt = o.registry.latest(6)!.worktree!;
    assert.ok(fs.existsSync(path.join(childWt, 'huskies-sim', 'story-5')), "the child's worktree started from the parent's branch");
    await o.approve(6);
    await waitFor(() => o.snapshot().waits.get(6)?.includes('stacked on #5: merged after #5 lands') === true, 'the child waits for its parent', 30_000);
    const before = gitIn(repo.dir, 'rev-parse', 'main').trim();
    await o.approve(5);
    await waitFor(() => o.store.get(6)?.stage === 'done', 'the parent, then the child, landed', 90_000);
    assert.equal(o.store.get(5)!.stage, 'done');
    assert.match(String(o.store.get(6)!.frontMatter.restacked), /#5 landed; rebased onto main/);
    const landed = landedSince(repo.dir, before);
    assert.deepEqual(landed, [o.store.get(5)!.frontMatter.merge_commit, o.store.get(6)!.frontMatter.merge_commit], 'two squash commits: the parent, then the child');
    const parentFiles = gitIn(repo.dir, 'show', '--name-only', '--format=', landed[0]).trim().split('\n');
    const childFiles = gitIn(repo.dir, 'show', '--name-only', '--format=', landed[1]).trim().split('\n');
    assert.ok(
      parentFiles.every((f) => f.startsWith('huskies-sim/story-5/')),
      `the parent's commit holds its own files: ${parentFiles.join(', ')}`,
    );
    assert.ok(
      childFiles.every((f) => f.startsWith('huskies-sim/story-6/')),
      `the child's commit holds only its own files: ${childFiles.join(', ')}`,
    );
  });
});
