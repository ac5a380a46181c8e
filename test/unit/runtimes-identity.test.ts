// readGitIdentity: user.name / user.email as git resolves them in a repository, so that agents
// whose shell hides the global config (Gemini: GIT_CONFIG_GLOBAL=/dev/null) can still commit.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IdentityCache, readGitIdentity, type GitIdentity } from '../../src/core/git/identity';

describe('git identity: readGitIdentity', function () {
  this.timeout(10_000);
  let dir: string;
  let home: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'pipe' });

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-identity-')));
    home = path.join(dir, 'home');
    repo = path.join(dir, 'repo');
    fs.mkdirSync(home);
    fs.mkdirSync(repo);
    // Only this test's files count: no system config, a global config in the temp home.
    env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: path.join(home, '.config') };
    git(repo, 'init', '-q');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the global identity', async () => {
    git(home, 'config', '--global', 'user.name', 'Ada Lovelace');
    git(home, 'config', '--global', 'user.email', 'ada@example.org');
    assert.deepEqual(await readGitIdentity(repo, env), { name: 'Ada Lovelace', email: 'ada@example.org' });
  });

  it("the repository's own config wins, field by field, as git resolves it", async () => {
    git(home, 'config', '--global', 'user.name', 'Ada Lovelace');
    git(home, 'config', '--global', 'user.email', 'ada@example.org');
    git(repo, 'config', 'user.email', 'ada@work.example');
    assert.deepEqual(await readGitIdentity(repo, env), { name: 'Ada Lovelace', email: 'ada@work.example' });
  });

  it('keeps a name as it is written (spaces, accents)', async () => {
    git(repo, 'config', 'user.name', '  Zoë  van Dijk ');
    git(repo, 'config', 'user.email', 'zoe@example.org');
    assert.deepEqual(await readGitIdentity(repo, env), { name: '  Zoë  van Dijk ', email: 'zoe@example.org' });
  });

  it('is undefined when either half is missing, or the folder is gone', async () => {
    assert.equal(await readGitIdentity(repo, env), undefined);
    git(repo, 'config', 'user.name', 'Only A Name');
    assert.equal(await readGitIdentity(repo, env), undefined);
    assert.equal(await readGitIdentity(path.join(dir, 'missing'), env), undefined);
  });
});

describe('git identity: IdentityCache', () => {
  const ada: GitIdentity = { name: 'Ada', email: 'ada@example.org' };

  it('a burst of launches shares one read; after the time to live the next one reads again', async () => {
    let t = 0;
    let reads = 0;
    let who: GitIdentity | undefined = ada;
    const cache = new IdentityCache(
      async () => {
        reads++;
        return who;
      },
      10_000,
      () => t,
    );
    const burst = await Promise.all(Array.from({ length: 30 }, () => cache.get('/repo')));
    assert.equal(reads, 1);
    assert.ok(burst.every((x) => x === ada));
    who = { name: 'Ada L.', email: 'ada@work.example' };
    t = 9_999;
    assert.equal(await cache.get('/repo'), ada);
    t = 10_000;
    assert.deepEqual(await cache.get('/repo'), who);
    assert.equal(reads, 2);
    await cache.get('/other');
    assert.equal(reads, 3, 'each repository has its own entry');
  });

  it('a failed read is an unknown identity, not a rejection', async () => {
    const cache = new IdentityCache(() => Promise.reject(new Error('no git')));
    assert.equal(await cache.get('/repo'), undefined);
  });
});
