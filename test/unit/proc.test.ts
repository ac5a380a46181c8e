// Process identity from /proc: start times, reused pids, zombies, odd command names, group members.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bootId, groupMembers, isSameProcess, processStartTime, selfIdentity } from '../../src/core/util/proc';
import { Leftovers, sleeper, waitFor } from '../fixtures/processes';

const linux = process.platform === 'linux';

describe('proc: process identity', function () {
  this.timeout(10_000);
  const left = new Leftovers();
  let tmp: string;
  beforeEach(function () {
    if (!linux) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-proc-'));
  });
  afterEach(() => {
    left.killAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads a start time that stays the same for one process and is not earlier for a younger one', () => {
    const mine = processStartTime(process.pid);
    assert.equal(typeof mine, 'number');
    assert.equal(processStartTime(process.pid), mine);
    const child = sleeper();
    left.group(child.pid);
    const theirs = processStartTime(child.pid!);
    assert.equal(typeof theirs, 'number');
    assert.ok(theirs! >= mine!, `${theirs} >= ${mine}`);
    assert.deepEqual(selfIdentity(), { pid: process.pid, startTime: mine, bootId: bootId() });
  });

  it('tells the recorded process from another one holding the same pid', () => {
    const child = sleeper();
    left.group(child.pid);
    const st = processStartTime(child.pid!)!;
    assert.equal(isSameProcess(child.pid!, st), true);
    assert.equal(isSameProcess(child.pid!, st, bootId()), true);
    assert.equal(isSameProcess(child.pid!, st + 1), false, 'same pid, other start time: a reused pid');
    assert.equal(isSameProcess(child.pid!, st, 'another-boot'), false, 'a start time from another boot means nothing');
    assert.equal(isSameProcess(child.pid!, undefined), true, 'without a start time only existence can be checked');
  });

  it('counts a process that has exited as gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    assert.equal(processStartTime(dead), undefined);
    assert.equal(isSameProcess(dead, undefined), false);
    const child = sleeper();
    const st = processStartTime(child.pid!)!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    assert.equal(isSameProcess(child.pid!, st), false);
    for (const bad of [0, -1, 1.5, NaN]) assert.equal(isSameProcess(bad, undefined), false, String(bad));
  });

  it('counts a zombie as gone', async () => {
    // The exec'd sleep never waits for its own child, which stays a zombie until the group dies.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    left.group(sh.pid);
    const zombie = await new Promise<number>((r) => sh.stdout!.once('data', (d: Buffer) => r(Number(String(d).trim()))));
    const state = () => {
      const s = fs.readFileSync(`/proc/${zombie}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
    };
    await waitFor(() => state() === 'Z', 'the child to become a zombie');
    assert.equal(typeof processStartTime(zombie), 'number', 'a zombie still has its /proc entry');
    assert.equal(isSameProcess(zombie, processStartTime(zombie)), false);
  });

  it('parses a command name holding spaces and parentheses', async () => {
    const odd = path.join(tmp, 'a) b (c');
    fs.symlinkSync(fs.realpathSync('/bin/sleep'), odd);
    const child = spawn(odd, ['60'], { stdio: 'ignore', detached: true });
    left.group(child.pid);
    await new Promise((r) => child.once('spawn', r));
    const comm = fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
    assert.ok(comm.includes(')'), comm);
    const st = processStartTime(child.pid!);
    assert.equal(typeof st, 'number');
    assert.ok(st! >= processStartTime(process.pid)!);
    assert.deepEqual(groupMembers(child.pid!), [child.pid]);
  });

  it('lists the living members of a process group', async () => {
    const sh = spawn('sh', ['-c', 'sleep 60 & sleep 60 & echo ready; wait'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    left.group(sh.pid);
    await new Promise((r) => sh.stdout!.once('data', r));
    const members = groupMembers(sh.pid!);
    assert.equal(members.length, 3, String(members));
    assert.ok(members.includes(sh.pid!));
    assert.equal(groupMembers(process.pid).includes(sh.pid!), false);
    process.kill(-sh.pid!, 'SIGKILL');
    await waitFor(() => groupMembers(sh.pid!).length === 0, 'the group to be gone');
  });
});
