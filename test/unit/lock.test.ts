// The orchestrator lock against reused pids: the holder is checked by start time and boot, not pid alone.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireLock, type LockInfo } from '../../src/core/util/lock';
import { bootId, processStartTime } from '../../src/core/util/proc';
import { Leftovers, sleeper } from '../fixtures/processes';

describe('lock: holder identity', () => {
  const left = new Leftovers();
  let dir: string;
  const lockFile = () => path.join(dir, 'orchestrator.lock');
  const read = () => JSON.parse(fs.readFileSync(lockFile(), 'utf8')) as LockInfo;

  beforeEach(function () {
    if (process.platform !== 'linux') this.skip();
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-lock-')), '.huskies');
  });
  afterEach(() => {
    left.killAll();
    if (dir) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  /** A lock held by a live process, recorded with the given start time and boot. */
  function holdBy(pid: number, startTime: number | undefined, boot: string | undefined): LockInfo {
    fs.mkdirSync(dir, { recursive: true });
    const info: LockInfo = { pid, host: os.hostname(), startedAt: new Date().toISOString(), by: 'someone else', startTime, bootId: boot };
    fs.writeFileSync(lockFile(), JSON.stringify(info));
    return info;
  }

  it('records our start time and boot', () => {
    const r = acquireLock(dir, 'me');
    assert.ok(r.ok);
    const info = read();
    assert.equal(info.startTime, processStartTime(process.pid));
    assert.equal(info.bootId, bootId());
    r.release();
  });

  it('refuses while the recorded process itself holds it', () => {
    const child = sleeper();
    left.group(child.pid);
    const holder = holdBy(child.pid!, processStartTime(child.pid!), bootId());
    const r = acquireLock(dir, 'me');
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.holder, holder);
  });

  it('takes over a lock whose pid now belongs to a process that started at another time', () => {
    const child = sleeper();
    left.group(child.pid);
    holdBy(child.pid!, processStartTime(child.pid!)! - 1, bootId());
    const r = acquireLock(dir, 'new owner');
    assert.equal(r.ok, true);
    assert.equal(read().pid, process.pid);
    assert.equal(read().by, 'new owner');
    assert.equal(child.exitCode, null, 'the process that reused the pid is left alone');
  });

  it('takes over a lock recorded in another boot', () => {
    const child = sleeper();
    left.group(child.pid);
    holdBy(child.pid!, processStartTime(child.pid!), 'a-boot-before-the-last-reboot');
    const r = acquireLock(dir, 'after reboot');
    assert.equal(r.ok, true);
    assert.equal(read().by, 'after reboot');
  });

  it('takes over a lock that names our own pid with another start time', () => {
    holdBy(process.pid, processStartTime(process.pid)! + 7, bootId());
    const r = acquireLock(dir, 'me again');
    assert.equal(r.ok, true);
    assert.equal(read().startTime, processStartTime(process.pid));
    if (r.ok) r.release();
    assert.equal(fs.existsSync(lockFile()), false);
  });
});
