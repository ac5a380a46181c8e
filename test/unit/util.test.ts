// Small utilities: secret masking, slugs and safe path segments, the orchestrator lock, atomic writes.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redact, secretValues } from '../../src/core/util/log';
import { isSafeSegment, slugify } from '../../src/core/util/ids';
import { acquireLock, type LockInfo } from '../../src/core/util/lock';
import { exists, readFileOr, writeFileAtomic } from '../../src/core/util/fsAtomic';

describe('util: redact / secretValues', () => {
  it('masks Anthropic and other well-known key shapes', () => {
    const key = 'sk-ant-api03-AbCdEf_123-XyZ987654321';
    const out = redact(`using key ${key} for the run`);
    assert.ok(!out.includes('AbCdEf_123'), out);
    assert.ok(!out.includes('sk-ant'), out);
    assert.equal(out, 'using key *** for the run');
    assert.equal(redact('openai sk-proj1234567890abcdefXYZ'), 'openai ***');
    assert.equal(redact('gh token ghp_abcdefghijklmnopqrstuvwxyz0123'), 'gh token ***');
    assert.equal(redact('google AIzaSyA1234567890abcdefghijklmno'), 'google ***');
  });

  it('masks KEY=value and KEY: value assignments, keeping the key name', () => {
    assert.equal(redact('ANTHROPIC_API_KEY=abcd1234efgh'), 'ANTHROPIC_API_KEY=***');
    assert.equal(redact('export OPENAI_API_KEY="abcd1234efgh" && run'), 'export OPENAI_API_KEY="***" && run');
    assert.equal(redact('CLAUDE_CODE_OAUTH_TOKEN: tok-1234567'), 'CLAUDE_CODE_OAUTH_TOKEN: ***');
    assert.equal(redact('DB_PASSWORD = hunter2hunter2'), 'DB_PASSWORD = ***');
    assert.equal(redact('client_secret=abcdef'), 'client_secret=***');
    const line = redact('env: ANTHROPIC_AUTH_TOKEN=zzzz9999 GITHUB_SECRET=qqqq8888 HOME=/root');
    assert.ok(!line.includes('zzzz9999') && !line.includes('qqqq8888'), line);
    assert.ok(line.includes('HOME=/root'));
  });

  it('masks the given secret values wherever they appear', () => {
    const out = redact('token is my-private-value, again: my-private-value.', ['my-private-value']);
    assert.equal(out, 'token is ***, again: ***.');
    assert.equal(redact('short abc stays', ['abc', '']), 'short abc stays', 'values shorter than 6 are not masked');
  });

  it('leaves ordinary text untouched', () => {
    for (const s of [
      'Story 42 moved from 2_current to 3_qa',
      'npm test: 120 passing (3s)',
      'git worktree add .huskies/worktrees/42_add_login -b huskies/42_add_login',
      'The key insight is the task-runner-for-the-build, see risk-assessment-document.md',
      'max_tokens = 4096, input_tokens: 1234',
      'tokens: 512',
      '/home/user/project/src/core/util/log.ts:12:3',
      '',
    ]) {
      assert.equal(redact(s), s);
    }
  });

  it('secretValues picks the values of env vars whose names look secret', () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-xxxxxxxx',
      GITHUB_TOKEN: 'ghp_yyyyyyyy',
      DB_PASSWORD: 'pw123456',
      CLIENT_SECRET: 'sss',
      HOME: '/root',
      PATH: '/usr/bin',
      EMPTY_TOKEN: '',
      UNSET_KEY: undefined,
    };
    assert.deepEqual(secretValues(env).sort(), ['ghp_yyyyyyyy', 'pw123456', 'sk-ant-xxxxxxxx', 'sss'].sort());
    // together: the value of a secret env var is masked in free text
    const masked = redact('connecting with pw123456 as root', secretValues(env));
    assert.equal(masked, 'connecting with *** as root');
  });
});

describe('util: slugify / isSafeSegment', () => {
  it('makes lower-case ASCII slugs with underscores', () => {
    assert.equal(slugify('Add login form'), 'add_login_form');
    assert.equal(slugify('  Fix: crash (on start)!! '), 'fix_crash_on_start');
    assert.equal(slugify('Crème brûlée à la carte'), 'creme_brulee_a_la_carte');
    assert.equal(slugify('Ünïcödé Ñame'), 'unicode_name');
    assert.equal(slugify('v2.0 / API'), 'v2_0_api');
    assert.equal(slugify('already_snake-case'), 'already_snake_case');
  });

  it('is never empty', () => {
    for (const s of ['', '   ', '!!!', '日本語のタイトル', '🚀🚀', '___', '..', '/']) assert.equal(slugify(s), 'untitled', JSON.stringify(s));
  });

  it('is at most 48 characters and does not end with an underscore after cutting', () => {
    const s = slugify('word '.repeat(40));
    assert.ok(s.length <= 48, s);
    assert.ok(!s.endsWith('_'));
    assert.ok(s.startsWith('word_word'));
    assert.equal(slugify('a'.repeat(100)), 'a'.repeat(48));
  });

  it('never contains "..", "/" or "\\\\" and always is a safe segment (random titles)', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = ['a', 'Z', '9', '.', '/', '\\', ' ', '_', '-', 'é', 'ß', '日', '😀', '\n', '\0', ':', '~', '..', '%2e'];
    for (let i = 0; i < 2000; i++) {
      const title = Array.from({ length: Math.floor(rnd() * 80) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const s = slugify(title);
      assert.ok(s.length > 0 && s.length <= 48, JSON.stringify(title));
      assert.ok(!s.includes('..') && !s.includes('/') && !s.includes('\\'), JSON.stringify(title));
      assert.ok(/^[a-z0-9_]+$/.test(s), s);
      assert.ok(isSafeSegment(s), `${JSON.stringify(title)} → ${s}`);
    }
  });

  it('isSafeSegment accepts short lower-case names and refuses the rest', () => {
    for (const s of ['a', 'abc', 'add_login', '42-story', '0', 'a'.repeat(64)]) assert.equal(isSafeSegment(s), true, s);
    for (const s of ['', '..', '.', 'a..b', 'a/b', '../x', 'a\\b', 'A', 'abc ', '-a', '_a', 'a'.repeat(65), 'a.b', 'é', 'a\nb', 'a\0b'])
      assert.equal(isSafeSegment(s), false, JSON.stringify(s));
  });
});

describe('util: acquireLock', () => {
  let dir: string;
  const lockFile = () => path.join(dir, 'orchestrator.lock');
  const children: number[] = [];

  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-lock-')), '.huskies');
  });
  afterEach(() => {
    for (const pid of children.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  const writeHolder = (pid: number, host = os.hostname()) => {
    fs.mkdirSync(dir, { recursive: true });
    const info: LockInfo = { pid, host, startedAt: new Date().toISOString(), by: 'someone else' };
    fs.writeFileSync(lockFile(), JSON.stringify(info));
    return info;
  };

  it('takes a free lock (creating the folder) and names our pid', () => {
    const r = acquireLock(dir, 'test');
    assert.equal(r.ok, true);
    const info = JSON.parse(fs.readFileSync(lockFile(), 'utf8')) as LockInfo;
    assert.equal(info.pid, process.pid);
    assert.equal(info.host, os.hostname());
    assert.equal(info.by, 'test');
    assert.ok(!Number.isNaN(Date.parse(info.startedAt)));
    if (r.ok) r.release();
    assert.equal(fs.existsSync(lockFile()), false);
  });

  it('refuses while another live process holds it, and tells who', () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    const holder = writeHolder(child.pid!);
    const before = fs.readFileSync(lockFile(), 'utf8');
    const r = acquireLock(dir, 'test');
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.holder, holder);
    assert.equal(fs.readFileSync(lockFile(), 'utf8'), before, "the holder's lock is left alone");
  });

  it('takes over a stale lock whose process is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    assert.ok(dead > 0);
    assert.throws(() => process.kill(dead, 0), 'the pid is really dead');
    writeHolder(dead);
    const r = acquireLock(dir, 'new owner');
    assert.equal(r.ok, true);
    const info = JSON.parse(fs.readFileSync(lockFile(), 'utf8')) as LockInfo;
    assert.equal(info.pid, process.pid);
    assert.equal(info.by, 'new owner');
  });

  it('takes over an unreadable lock file', () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile(), '{not json');
    const r = acquireLock(dir, 'x');
    assert.equal(r.ok, true);
    assert.equal((JSON.parse(fs.readFileSync(lockFile(), 'utf8')) as LockInfo).pid, process.pid);
  });

  it('release removes only our own lock', () => {
    const r = acquireLock(dir, 'me');
    assert.ok(r.ok);
    // someone else took it over meanwhile (e.g. after judging ours stale)
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    writeHolder(child.pid!);
    const theirs = fs.readFileSync(lockFile(), 'utf8');
    r.release();
    assert.equal(fs.readFileSync(lockFile(), 'utf8'), theirs);
    r.release(); // and a release with the file gone is harmless
    fs.rmSync(lockFile());
    r.release();
  });
});

describe('util: writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-atomic-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file and its folders, then replaces the content, leaving no temp files', async () => {
    const file = path.join(dir, 'a', 'b', 'x.md');
    await writeFileAtomic(file, 'first');
    assert.equal(fs.readFileSync(file, 'utf8'), 'first');
    await writeFileAtomic(file, Buffer.from('second, longer content ✓'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'second, longer content ✓');
    await writeFileAtomic(file, '');
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['x.md']);
  });

  it('replaces the file by rename (a reader holding the old file keeps the old content)', async () => {
    const file = path.join(dir, 'x.txt');
    fs.writeFileSync(file, 'old');
    const inoBefore = fs.statSync(file).ino;
    const fd = fs.openSync(file, 'r');
    try {
      await writeFileAtomic(file, 'new');
      const buf = Buffer.alloc(3);
      fs.readSync(fd, buf, 0, 3, 0);
      assert.equal(buf.toString(), 'old');
    } finally {
      fs.closeSync(fd);
    }
    assert.notEqual(fs.statSync(file).ino, inoBefore);
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
  });

  it('concurrent writes leave one whole content and no temp files', async () => {
    const file = path.join(dir, 'c.txt');
    const contents = Array.from({ length: 20 }, (_, i) => String(i).repeat(1000 + i));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    assert.ok(contents.includes(fs.readFileSync(file, 'utf8')));
    assert.deepEqual(fs.readdirSync(dir), ['c.txt']);
  });

  it('a failed rename removes the temp file', async () => {
    const target = path.join(dir, 'is-a-dir');
    fs.mkdirSync(path.join(target, 'child'), { recursive: true });
    await assert.rejects(writeFileAtomic(target, 'x'));
    assert.deepEqual(fs.readdirSync(dir), ['is-a-dir']);
  });

  it('readFileOr and exists', async () => {
    const f = path.join(dir, 'y');
    assert.equal(await readFileOr(f, 'fallback'), 'fallback');
    assert.equal(await exists(f), false);
    fs.writeFileSync(f, 'v');
    assert.equal(await readFileOr(f, 'fallback'), 'v');
    assert.equal(await exists(f), true);
  });
});
