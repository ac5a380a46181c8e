// The git layer against real temp repositories: worktrees per story, their reuse and removal, counts,
// failures that git reports quietly, time limits, and the environment VS Code gives the extension.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitError, commitsAhead, currentBranch, ensureWorktree, git, headCommit, isDirty, isGitRepo, removeWorktree, worktreeFor } from '../../src/core/git/git';
import { useLauncher } from '../../src/core/util/launcher';
import { gitIn } from '../fixtures/repo';

const tmpDirs: string[] = [];

function tempDir(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-git-')));
  tmpDirs.push(d);
  return d;
}

/** A repository with its own identity (never a global one) and, unless told otherwise, one commit. */
function repo(opts: { commit?: boolean } = {}): string {
  const dir = tempDir();
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'config', 'user.name', 'Huskies Test');
  gitIn(dir, 'config', 'user.email', 'test@huskies.invalid');
  gitIn(dir, 'config', 'commit.gpgsign', 'false');
  if (opts.commit !== false) {
    fs.writeFileSync(path.join(dir, 'README.md'), '# test\n');
    fs.writeFileSync(path.join(dir, '.gitignore'), '.huskies/worktrees/\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

function commitIn(dir: string, file: string): void {
  fs.writeFileSync(path.join(dir, file), `${file}\n`);
  gitIn(dir, 'add', file);
  gitIn(dir, 'commit', '-q', '-m', `add ${file}`);
}

function listedWorktrees(root: string): string[] {
  return gitIn(root, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice(9));
}

/** Sets environment variables for the length of fn, then puts the old values back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// Every case twice: git started by this process (through simple-git), and from a launcher process, as the
// extension host does (util/launcher): the same answers and the same errors either way.
for (const mode of ['direct', 'from a launcher process'] as const)
  describe(`git (${mode})`, () => {
    let launcher: ReturnType<typeof useLauncher> | undefined;
    before(() => {
      if (mode !== 'direct') launcher = useLauncher();
    });
    after(() => {
      if (launcher) assert.ok(launcher.launcher.answered > 20, `the launcher answered ${launcher.launcher.answered} requests`);
      launcher?.dispose();
    });
    after(() => {
      for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    });

    describe('repository facts', () => {
      it('tells a repository from a plain or missing folder', async () => {
        assert.equal(await isGitRepo(repo()), true);
        assert.equal(await isGitRepo(tempDir()), false);
        assert.equal(await isGitRepo(path.join(tempDir(), 'missing')), false);
      });

      it('names the branch and the head commit, also before the first commit and when detached', async () => {
        const empty = repo({ commit: false });
        assert.equal(await currentBranch(empty), 'main');
        assert.equal(await headCommit(empty), undefined);

        const dir = repo();
        const head = gitIn(dir, 'rev-parse', 'HEAD').trim();
        assert.equal(await currentBranch(dir), 'main');
        assert.equal(await headCommit(dir), head);
        gitIn(dir, 'checkout', '-q', '--detach');
        assert.equal(await currentBranch(dir), undefined);
        assert.equal(await headCommit(dir), head);
      });

      it('counts commits ahead of a base and sees uncommitted work', async () => {
        const dir = repo();
        const base = gitIn(dir, 'rev-parse', 'HEAD').trim();
        assert.equal(await commitsAhead(dir, base), 0);
        assert.equal(await isDirty(dir), false);
        commitIn(dir, 'a.txt');
        commitIn(dir, 'b.txt');
        assert.equal(await commitsAhead(dir, base), 2);
        fs.writeFileSync(path.join(dir, 'untracked.txt'), 'new\n');
        assert.equal(await isDirty(dir), true);
        fs.rmSync(path.join(dir, 'untracked.txt'));
        fs.appendFileSync(path.join(dir, 'a.txt'), 'changed\n');
        assert.equal(await isDirty(dir), true);
      });
    });

    describe('running git', () => {
      it('returns standard output untrimmed and passes arguments through without a shell', async () => {
        const dir = repo();
        const odd = 'story "quoted" $(touch pwned) `x`; rm -rf * & | > out';
        const out = await git(dir, ['commit', '-q', '--allow-empty', '-m', odd]);
        assert.equal(out, '');
        assert.equal(gitIn(dir, 'log', '-1', '--format=%s').trim(), odd);
        assert.ok(!fs.existsSync(path.join(dir, 'pwned')));
        assert.ok(!fs.existsSync(path.join(dir, 'out')));
        assert.equal(await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']), 'main\n');
      });

      it('fails on a non-zero exit even when git prints nothing', async () => {
        const dir = repo();
        await assert.rejects(git(dir, ['rev-parse', '--verify', '--quiet', 'refs/heads/nope']), (e: unknown) => e instanceof GitError && e.code === 1);
      });

      it('fails with git’s own words and exit code', async () => {
        const dir = repo();
        await assert.rejects(
          git(dir, ['checkout', 'no-such-branch']),
          (e: unknown) => e instanceof GitError && e.code !== 0 && /^git checkout failed: .*no-such-branch/.test(e.message) && e.stderr.includes('no-such-branch'),
        );
      });

      it('names a missing folder and a missing git program', async () => {
        const missing = path.join(tempDir(), 'gone');
        await assert.rejects(git(missing, ['status']), (e: unknown) => e instanceof GitError && e.message.includes(missing));
        const dir = repo();
        const noGit = tempDir();
        await withEnv({ PATH: noGit }, () => assert.rejects(git(dir, ['status']), (e: unknown) => e instanceof GitError && e.message === 'git is not installed or not on PATH'));
      });

      it('stops a command that outlives its time limit', async () => {
        // hash-object --stdin waits for standard input that never comes
        const dir = repo();
        await assert.rejects(git(dir, ['hash-object', '--stdin'], { timeoutMs: 300 }), (e: unknown) => e instanceof GitError && /timed out/.test(e.message));
      });

      it('works in the environment an editor gives it', async () => {
        const dir = repo();
        const vars = { EDITOR: 'vim', GIT_EDITOR: 'code --wait', PAGER: 'less', GIT_ASKPASS: '/nonexistent/askpass.sh', GIT_CONFIG_GLOBAL: '/dev/null' };
        await withEnv(vars, async () => {
          assert.equal(await isGitRepo(dir), true);
          assert.equal(await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']), 'main\n');
          assert.equal(await isDirty(dir), false);
        });
      });
    });

    describe('worktrees', () => {
      it('builds folder and branch names only from safe characters', () => {
        const root = tempDir();
        const odd = worktreeFor(root, { id: 7, slug: '../../etc/Passwd ñ; rm -rf $HOME `x` "y"' });
        assert.equal(odd.branch, 'huskies/7_etcasswdrm-rfxy');
        assert.equal(odd.dir, path.join(root, '.huskies', 'worktrees', '7_etcasswdrm-rfxy'));
        assert.equal(worktreeFor(root, { id: 3, slug: '../..' }).branch, 'huskies/3_item');
        assert.equal(worktreeFor(root, { id: 4, slug: 'x'.repeat(100) }).branch, `huskies/4_${'x'.repeat(48)}`);
        for (const id of [1.5, -1, NaN, Infinity]) assert.throws(() => worktreeFor(root, { id, slug: 'a' }), /whole number/);
      });

      it('creates a worktree on a new branch, then reuses it with its work', async () => {
        const root = repo();
        const head = gitIn(root, 'rev-parse', 'HEAD').trim();
        const wt = await ensureWorktree(root, { id: 12, slug: 'add-login' });
        assert.deepEqual(wt, { dir: path.join(root, '.huskies', 'worktrees', '12_add-login'), branch: 'huskies/12_add-login', base: head, created: true });
        assert.ok(listedWorktrees(root).includes(wt.dir));
        assert.equal(gitIn(wt.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'huskies/12_add-login');

        commitIn(wt.dir, 'login.ts');
        fs.writeFileSync(path.join(wt.dir, 'draft.ts'), 'draft\n');
        commitIn(root, 'main-moved-on.txt');
        const again = await ensureWorktree(root, { id: 12, slug: 'add-login' });
        assert.deepEqual(again, { ...wt, created: false });
        assert.equal(await commitsAhead(again.dir, again.base), 1);
        assert.equal(await isDirty(again.dir), true);
      });

      it('starts from the base branch it is given', async () => {
        const root = repo();
        gitIn(root, 'branch', 'release');
        commitIn(root, 'only-on-main.txt');
        const wt = await ensureWorktree(root, { id: 2, slug: 'fix' }, 'release');
        assert.equal(wt.base, gitIn(root, 'rev-parse', 'release').trim());
        assert.ok(!fs.existsSync(path.join(wt.dir, 'only-on-main.txt')));
      });

      it('refuses a repository without commits', async () => {
        const root = repo({ commit: false });
        await assert.rejects(ensureWorktree(root, { id: 1, slug: 'a' }), /no commits yet/);
      });

      it('removes a worktree and recreates it from the branch it left behind', async () => {
        const root = repo();
        const wt = await ensureWorktree(root, { id: 5, slug: 'keep-work' });
        commitIn(wt.dir, 'work.txt');
        fs.writeFileSync(path.join(wt.dir, 'uncommitted.txt'), 'x\n');
        await removeWorktree(root, wt.dir);
        assert.ok(!fs.existsSync(wt.dir));
        assert.ok(!listedWorktrees(root).includes(wt.dir));

        const back = await ensureWorktree(root, { id: 5, slug: 'keep-work' });
        assert.equal(back.created, true);
        assert.ok(fs.existsSync(path.join(back.dir, 'work.txt')));
        assert.equal(await commitsAhead(back.dir, back.base), 1);
      });

      it('removes a worktree whose folder is already gone', async () => {
        const root = repo();
        const wt = await ensureWorktree(root, { id: 6, slug: 'gone' });
        fs.rmSync(wt.dir, { recursive: true, force: true });
        await removeWorktree(root, wt.dir);
        assert.ok(!listedWorktrees(root).includes(wt.dir));
        assert.equal((await ensureWorktree(root, { id: 6, slug: 'gone' })).created, true);
      });

      it('serializes concurrent calls on one repository', async () => {
        const root = repo();
        const items = [1, 2, 3, 4, 5, 6].map((id) => ({ id, slug: `story-${id}` }));
        const made = await Promise.all([...items, ...items].map((item) => ensureWorktree(root, item)));
        for (const item of items) {
          const both = made.filter((w) => w.branch === `huskies/${item.id}_story-${item.id}`);
          assert.deepEqual(
            both.map((w) => w.created),
            [true, false],
          );
          assert.equal(both[0].dir, both[1].dir);
        }
        assert.equal(listedWorktrees(root).length, items.length + 1);
        await Promise.all(made.slice(0, items.length).map((w) => removeWorktree(root, w.dir)));
        assert.deepEqual(listedWorktrees(root), [root]);
      });

      it('a burst of worktrees (agents starting together) reads the refs and the worktree list once, and each branch starts where its base says', async () => {
        const root = repo();
        const head = gitIn(root, 'rev-parse', 'HEAD').trim();
        gitIn(root, 'branch', 'huskies/3_story-3'); // a branch left behind by an earlier run
        const trace = path.join(tempDir(), 'git-trace.txt');
        const saved = process.env.GIT_TRACE;
        process.env.GIT_TRACE = trace;
        let made;
        try {
          made = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((id) => ensureWorktree(root, { id, slug: `story-${id}` })));
        } finally {
          if (saved === undefined) delete process.env.GIT_TRACE;
          else process.env.GIT_TRACE = saved;
        }
        const ran = fs.readFileSync(trace, 'utf8');
        const count = (re: RegExp) => ran.split('\n').filter((l) => re.test(l)).length;
        assert.equal(count(/built-in: git show-ref/), 1, ran);
        assert.equal(count(/built-in: git worktree list/), 1, ran);
        assert.equal(count(/built-in: git worktree add/), 8, ran);
        for (const wt of made) {
          assert.equal(wt.created, true);
          assert.equal(gitIn(wt.dir, 'rev-parse', 'HEAD').trim(), head, wt.branch);
          assert.equal(wt.base, head);
        }
        // After the burst the view is gone: the next call sees what changed meanwhile.
        commitIn(root, 'moved-on.txt');
        const later = await ensureWorktree(root, { id: 9, slug: 'story-9' });
        assert.equal(later.base, gitIn(root, 'rev-parse', 'HEAD').trim());
        assert.equal(gitIn(later.dir, 'rev-parse', 'HEAD').trim(), later.base);
        assert.equal((await ensureWorktree(root, { id: 1, slug: 'story-1' })).created, false);
      });

      it('creates a worktree for a slug full of odd characters', async () => {
        const root = repo();
        const wt = await ensureWorktree(root, { id: 9, slug: 'Ünïcode & spaces; $(rm -rf /) ../../..' });
        assert.equal(wt.branch, 'huskies/9_ncodespacesrm-rf');
        assert.equal(path.dirname(wt.dir), path.join(root, '.huskies', 'worktrees'));
        assert.equal(gitIn(wt.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), wt.branch);
      });
    });
  });
