// The launcher (util/launcher): short-lived programs started by a helper process, so that a host with a
// large memory does not block its event loop on each start. What a program printed and how it ended come
// back as from execFile; a helper that dies fails what it had not answered and is started again; it
// ends with its parent, and when disposed.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Launcher, launcherInUse, runFile, useLauncher } from '../../src/core/util/launcher';
import { REPO_ROOT } from '../fixtures/repo';

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** Waits for a process to be gone (its exit is the event; /proc is where this test can see it). */
async function gone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('launcher: programs started from a helper process (integration)', function () {
  this.timeout(30_000);
  let dir: string;
  let l: Launcher;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-launcher-')));
    l = new Launcher();
  });
  afterEach(() => {
    l.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const opts = () => ({ cwd: dir, env: { ...process.env, WHO: 'the caller' }, timeoutMs: 10_000 });

  it('runs a program in its folder with its environment and hands back its output and exit code', async () => {
    const r = await l.run('sh', ['-c', 'printf "%s|%s" "$PWD" "$WHO"; echo oops >&2; exit 3'], opts());
    assert.deepEqual(r, { stdout: `${dir}|the caller`, stderr: 'oops\n', code: 3, timedOut: false });
    const ok = await l.run('printf', ['a b\n$(x)'], opts());
    assert.deepEqual(ok, { stdout: 'a b\n$(x)', stderr: '', code: 0, timedOut: false }, 'arguments pass without a shell');
    assert.ok(l.helperPid && l.helperPid !== process.pid);
    assert.equal(l.answered, 2);
  });

  it('says when a program is missing and when one outlived its time', async () => {
    const missing = await l.run('no-such-program-huskies', [], opts());
    assert.equal(missing.code, null);
    assert.equal(missing.failure?.code, 'ENOENT');
    const slow = await l.run('sleep', ['5'], { ...opts(), timeoutMs: 200 });
    assert.equal(slow.timedOut, true);
    assert.equal(slow.code, null);
  });

  it('a helper that dies fails what it had not answered, and the next request starts a new one', async () => {
    await l.run('true', [], opts());
    const first = l.helperPid!;
    const pending = l.run('sleep', ['5'], opts());
    process.kill(first, 'SIGKILL');
    const r = await pending;
    assert.equal(r.code, null);
    assert.match(r.failure?.message ?? '', /launcher process ended/);
    const again = await l.run('sh', ['-c', 'echo back'], opts());
    assert.equal(again.stdout, 'back\n');
    assert.notEqual(l.helperPid, first);
  });

  it('the helper ends when disposed, and when its parent process ends', async () => {
    await l.run('true', [], opts());
    const pid = l.helperPid!;
    l.dispose();
    assert.ok(await gone(pid), 'the helper ended after dispose');

    const script = `const { Launcher } = require(${JSON.stringify(path.join(REPO_ROOT, 'src/core/util/launcher.ts'))});
      const l = new Launcher();
      l.run('true', [], { cwd: process.cwd(), env: process.env, timeoutMs: 5000 }).then(() => {
        process.stdout.write(String(l.helperPid));
        process.exit(0);
      });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
    const helper = Number(r.stdout);
    assert.ok(helper > 0, `${r.stdout} ${r.stderr}`);
    assert.ok(await gone(helper), 'the helper ended with its parent');
  });

  it('runFile goes through the launcher while one is in use, and straight to the program otherwise', async () => {
    assert.equal(launcherInUse(), false);
    const a = useLauncher();
    const b = useLauncher();
    assert.equal(a.launcher, b.launcher, 'one helper per process');
    await runFile('true', [], opts());
    assert.equal(a.launcher.answered, 1);
    a.dispose();
    assert.equal(launcherInUse(), true, 'still used by the other');
    b.dispose();
    assert.equal(launcherInUse(), false);
    const r = await runFile('sh', ['-c', 'echo direct'], opts());
    assert.equal(r.stdout, 'direct\n');
    assert.equal(a.launcher.answered, 1);
  });
});
