// The orchestrator's story moves reach git as `huskies:` commits on the base branch, touching only the
// stories' files: the user's staged and unstaged work stays exactly as it was, another branch gets nothing,
// a base branch that moves meanwhile loses no commit, and a story moved by hand first leaves nothing behind.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies } from '../../src/core/api';
import { commitStoryFiles } from '../../src/core/git/workCommits';
import { ensureSimBuilt, gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';
import { FAST_SIM } from '../fixtures/huskiesRepo';

const BACKLOG_1 = '.huskies/work/1_backlog/1_story_add_greeting.md';

/** Subjects and files of the commits on `ref` since `since`, newest first. */
function commitsSince(dir: string, since: string, ref = 'main'): Array<{ subject: string; files: string[] }> {
  const shas = gitIn(dir, 'rev-list', `${since}..${ref}`).trim().split('\n').filter(Boolean);
  return shas.map((sha) => ({
    subject: gitIn(dir, 'log', '-1', '--format=%s', sha).trim(),
    files: gitIn(dir, 'show', '--name-only', '--format=', '--no-renames', sha).trim().split('\n').filter(Boolean),
  }));
}

const status = (dir: string) => gitIn(dir, 'status', '--porcelain').trim();

describe('story moves reach git as huskies: commits (integration)', function () {
  this.timeout(90_000);
  let repo: TempRepo | undefined;
  let h: Huskies | undefined;
  let logs: string[] = [];
  before(() => ensureSimBuilt());
  afterEach(async () => {
    await h?.dispose();
    repo?.cleanup();
    h = undefined;
    repo = undefined;
    logs = [];
  });

  /** A repository whose stories are committed, with Huskies started on it. */
  async function open(projectToml: string, stories: (r: TempRepo) => void, opts: { autoAssign?: boolean; before?: (dir: string) => void } = {}) {
    repo = await makeRepo({ agentsToml: FAST_SIM, projectToml });
    stories(repo);
    gitIn(repo.dir, 'add', '.huskies/work');
    gitIn(repo.dir, 'commit', '-qm', 'the stories');
    opts.before?.(repo.dir);
    const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    h = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300, autoAssign: opts.autoAssign, logger });
    await h.start();
    return { repo, h, dir: repo.dir, start: gitIn(repo.dir, 'rev-parse', 'main').trim() };
  }

  it('a story taken from backlog to done leaves a clean checkout, its moves in huskies: commits that touch only .huskies/work', async () => {
    const { dir, h, start } = await open('default_qa = "human"\n', (r) => r.story(1, 'Add greeting', { criteria: ['says hello'] }));
    await h.startAgent(1);
    await waitFor(() => h.store.get(1)?.stage === 'qa', 'coded', 30_000);
    await waitFor(() => status(dir) === '', 'the moves to QA committed', 20_000);
    const coded = commitsSince(dir, start);
    assert.ok(coded.length >= 1 && coded.every((c) => c.subject.startsWith('huskies: #1 ')), coded.map((c) => c.subject).join(' | '));
    assert.match(coded[0].subject, /→ qa$/);
    assert.match(coded[coded.length - 1].subject, /^huskies: #1 backlog → /);
    await h.approve(1);
    await waitFor(() => h.store.get(1)?.stage === 'done', 'merged and done', 60_000);
    await waitFor(() => status(dir) === '' && commitsSince(dir, start)[0]?.subject.startsWith('huskies:'), 'the move to done committed', 20_000);
    const commits = commitsSince(dir, start);
    const moves = commits.filter((c) => c.subject.startsWith('huskies:'));
    for (const m of moves) assert.ok(m.files.every((f) => f.startsWith('.huskies/work/')) && m.files.length > 0, `${m.subject} touches only story files: ${m.files.join(', ')}`);
    assert.match(moves[0].subject, /^huskies: #1 (qa|merge) → done$/);
    assert.equal(commits[1].subject, '#1 Add greeting', 'the squash merge comes right before the move to done');
    assert.deepEqual(
      gitIn(dir, 'ls-tree', '-r', '--name-only', 'main', '.huskies/work')
        .trim()
        .split('\n')
        .filter((f) => f.endsWith('.md')),
      ['.huskies/work/5_done/1_story_add_greeting.md'],
    );
    assert.equal(fs.readFileSync(path.join(dir, '.huskies/work/5_done/1_story_add_greeting.md'), 'utf8'), gitIn(dir, 'show', 'main:.huskies/work/5_done/1_story_add_greeting.md'));
  });

  it('the user’s staged and unstaged changes, in and out of .huskies, stay exactly as they were', async () => {
    const { dir, h, start } = await open(
      '',
      (r) => {
        r.story(1, 'Add greeting');
        r.story(2, 'Other story');
        r.write('src/a.txt', 'one\n');
        r.write('src/b.txt', 'two\n');
      },
      { autoAssign: false },
    );
    // staged: a change, a new file and a change in .huskies; unstaged: another change and an edit to story 2
    fs.writeFileSync(path.join(dir, 'src/a.txt'), 'one, staged\n');
    fs.writeFileSync(path.join(dir, 'src/new.txt'), 'new and staged\n');
    fs.appendFileSync(path.join(dir, '.huskies/project.toml'), '# a staged note\n');
    gitIn(dir, 'add', 'src/a.txt', 'src/new.txt', '.huskies/project.toml');
    fs.writeFileSync(path.join(dir, 'src/a.txt'), 'one, staged, then edited\n');
    fs.writeFileSync(path.join(dir, 'src/b.txt'), 'two, unstaged\n');
    fs.appendFileSync(path.join(dir, '.huskies/work/1_backlog/2_story_other_story.md'), '\nAn unstaged note.\n');
    fs.writeFileSync(path.join(dir, 'untracked.txt'), 'mine\n');
    const before = { unstaged: gitIn(dir, 'diff'), staged: gitIn(dir, 'diff', '--cached'), status: status(dir) };
    await h.moveStory(1, 'current');
    await h.o.moveCommits.flush();
    assert.deepEqual(
      commitsSince(dir, start).map((c) => [c.subject, c.files]),
      [['huskies: #1 backlog → current', [BACKLOG_1, '.huskies/work/2_current/1_story_add_greeting.md']]],
    );
    assert.equal(gitIn(dir, 'diff'), before.unstaged);
    assert.equal(gitIn(dir, 'diff', '--cached'), before.staged);
    assert.equal(status(dir), before.status, 'story 1 is clean; everything else is as before');
    assert.ok(!gitIn(dir, 'show', 'main:.huskies/work/1_backlog/2_story_other_story.md').includes('An unstaged note'), 'the other story’s edit is not committed');
  });

  it('on another branch than base_branch nothing is committed and the reason is logged once', async () => {
    const { dir, h } = await open('base_branch = "main"\n', (r) => r.story(1, 'Add greeting'), { autoAssign: false, before: (d) => gitIn(d, 'checkout', '-q', '-b', 'feature-x') });
    const tips = gitIn(dir, 'rev-parse', 'main', 'feature-x');
    await h.moveStory(1, 'current');
    await h.o.moveCommits.flush();
    await h.moveStory(1, 'qa');
    await h.o.moveCommits.flush();
    assert.equal(gitIn(dir, 'rev-parse', 'main', 'feature-x'), tips, 'no branch moved');
    const said = logs.filter((l) => /story moves are not committed while you are on feature-x; they are committed on main only/i.test(l));
    assert.equal(said.length, 1, logs.join('\n'));
    assert.match(status(dir), /D +\.huskies\/work\/1_backlog\/1_story_add_greeting\.md/);
    assert.deepEqual(h.o.moveCommits.waiting(), [1], 'kept for when main is checked out again');
  });

  it('commits made on the base branch between batches are kept', async () => {
    const { dir, h, start } = await open('', (r) => r.story(1, 'Add greeting'), { autoAssign: false });
    await h.moveStory(1, 'current');
    await h.o.moveCommits.flush();
    fs.writeFileSync(path.join(dir, 'mine.txt'), 'my commit\n');
    gitIn(dir, 'add', 'mine.txt');
    gitIn(dir, 'commit', '-qm', 'my own work');
    await h.moveStory(1, 'backlog');
    await h.o.moveCommits.flush();
    assert.deepEqual(
      commitsSince(dir, start).map((c) => c.subject),
      ['huskies: #1 current → backlog', 'my own work', 'huskies: #1 backlog → current'],
    );
    assert.equal(status(dir), '');
  });

  it('a commit racing the base branch is never lost: the move is committed on top of whatever lands first', async () => {
    const { dir, start } = await open('', (r) => r.story(1, 'Add greeting'), { autoAssign: false });
    fs.mkdirSync(path.join(dir, '.huskies/work/2_current'), { recursive: true });
    fs.renameSync(path.join(dir, BACKLOG_1), path.join(dir, '.huskies/work/2_current/1_story_add_greeting.md'));
    const mine: string[] = [];
    const userCommits = (async () => {
      for (let i = 0; i < 6; i++) {
        // as a user would: retried when git says another git process is busy
        for (let tries = 0; tries < 50; tries++) {
          const ok = await new Promise<boolean>((resolve) => execFile('git', ['commit', '-q', '--allow-empty', '-m', `race ${i}`], { cwd: dir }, (err) => resolve(!err)));
          if (ok) break;
        }
        mine.push(gitIn(dir, 'rev-parse', 'HEAD').trim());
      }
    })();
    const results = await Promise.all([commitStoryFiles({ root: dir, ids: [1] }), commitStoryFiles({ root: dir, ids: [1] }), userCommits]);
    let committed = results.slice(0, 2).filter((r) => (r as { kind: string }).kind === 'committed').length;
    if (!committed) committed = (await commitStoryFiles({ root: dir, ids: [1] })).kind === 'committed' ? 1 : 0;
    assert.equal(committed, 1, JSON.stringify(results.slice(0, 2)));
    for (const c of mine) gitIn(dir, 'merge-base', '--is-ancestor', c, 'main');
    const subjects = commitsSince(dir, start).map((c) => c.subject);
    assert.equal(subjects.filter((s) => s === 'huskies: #1 backlog → current').length, 1, subjects.join(' | '));
    assert.equal(subjects.filter((s) => s.startsWith('race ')).length, 6);
    assert.equal(status(dir), '');
  });

  it('a story moved by hand is left to the user, then recorded where it is when the orchestrator moves it', async () => {
    const { dir, h, start } = await open('', (r) => r.story(1, 'Add greeting'), { autoAssign: false });
    fs.mkdirSync(path.join(dir, '.huskies/work/2_current'), { recursive: true });
    fs.renameSync(path.join(dir, BACKLOG_1), path.join(dir, '.huskies/work/2_current/1_story_add_greeting.md'));
    await waitFor(() => h.store.get(1)?.stage === 'current', 'the hand move is seen');
    assert.deepEqual(h.o.moveCommits.waiting(), [], 'a move by hand is not queued for a commit');
    await h.o.moveCommits.flush();
    assert.equal(gitIn(dir, 'rev-parse', 'main').trim(), start);
    await h.moveStory(1, 'archived');
    await h.o.moveCommits.flush();
    assert.deepEqual(
      commitsSince(dir, start).map((c) => [c.subject, c.files]),
      [['huskies: #1 backlog → archived', [BACKLOG_1, '.huskies/work/6_archived/1_story_add_greeting.md']]],
    );
    assert.equal(status(dir), '', 'no deleted: entry is left behind');
  });

  it('commit_moves = false commits nothing', async () => {
    const { dir, h, start } = await open('commit_moves = false\n', (r) => r.story(1, 'Add greeting'), { autoAssign: false });
    await h.moveStory(1, 'current');
    await h.o.moveCommits.flush();
    assert.equal(gitIn(dir, 'rev-parse', 'main').trim(), start);
    assert.deepEqual(h.o.moveCommits.waiting(), []);
    assert.match(status(dir), /D +\.huskies\/work\/1_backlog\/1_story_add_greeting\.md/);
  });
});

describe('commitStoryFiles (integration)', function () {
  this.timeout(30_000);
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('does nothing without a git identity, and says so', async () => {
    repo = await makeRepo();
    repo.story(1, 'Add greeting');
    const home = fs.mkdtempSync(path.join(repo.dir, '.home-'));
    gitIn(repo.dir, 'config', '--unset', 'user.name');
    gitIn(repo.dir, 'config', '--unset', 'user.email');
    const keys = ['HOME', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL'] as const;
    const saved = keys.map((k) => process.env[k]);
    process.env.HOME = home;
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    process.env.GIT_CONFIG_GLOBAL = path.join(home, 'none');
    try {
      const r = await commitStoryFiles({ root: repo.dir, ids: [1] });
      assert.equal(r.kind, 'skipped');
      assert.match((r as { reason: string }).reason, /no user\.name and user\.email/);
    } finally {
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  });

  it('does nothing in a repository with no commits yet, and says so', async () => {
    repo = await makeRepo();
    gitIn(repo.dir, 'checkout', '-q', '--orphan', 'fresh');
    repo.story(1, 'Add greeting');
    const r = await commitStoryFiles({ root: repo.dir, ids: [1] });
    assert.deepEqual(r, { kind: 'skipped', reason: 'story moves are not committed: fresh has no commits yet (make a first commit)' });
  });

  it('lists every story on one line when short, and one line each when many', async () => {
    repo = await makeRepo();
    for (let i = 1; i <= 6; i++) repo.story(i, `Story number ${i}`);
    const r = await commitStoryFiles({ root: repo.dir, ids: [1, 2, 3, 4, 5, 6] });
    assert.equal(r.kind, 'committed');
    const msg = gitIn(repo.dir, 'log', '-1', '--format=%B').trim();
    assert.equal(msg, `huskies: 6 stories moved\n\n${[1, 2, 3, 4, 5, 6].map((i) => `#${i} new in backlog`).join('\n')}`);
    fs.appendFileSync(path.join(repo.dir, '.huskies/work/1_backlog/2_story_story_number_2.md'), 'more\n');
    assert.equal((await commitStoryFiles({ root: repo.dir, ids: [2, 3] })).kind, 'committed');
    assert.equal(gitIn(repo.dir, 'log', '-1', '--format=%B').trim(), 'huskies: #2 updated in backlog');
    assert.deepEqual(await commitStoryFiles({ root: repo.dir, ids: [2, 3] }), { kind: 'unchanged' });
  });

  it('commits a project that sits below the repository’s top', async () => {
    repo = await makeRepo();
    const sub = path.join(repo.dir, 'app');
    fs.mkdirSync(path.join(sub, '.huskies/work/1_backlog'), { recursive: true });
    fs.writeFileSync(path.join(sub, '.huskies/work/1_backlog/7_story_deep.md'), '---\nname: Deep\n---\n');
    fs.writeFileSync(path.join(repo.dir, '.huskies/work/1_backlog/7_story_top.md'), '---\nname: Top\n---\n');
    const r = await commitStoryFiles({ root: sub, ids: [7] });
    assert.equal(r.kind, 'committed');
    assert.deepEqual(gitIn(repo.dir, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n'), ['app/.huskies/work/1_backlog/7_story_deep.md']);
    assert.match(gitIn(repo.dir, 'status', '--porcelain'), /\?\? \.huskies\/work\/1_backlog\/7_story_top\.md/);
  });
});
