// Background work runs below the editor's priority: the process's nice value and, for a process in
// its own session on Linux with autogroups, its session's scheduling group (where a nice value
// alone would leave each agent an equal share with the whole editor). Real processes.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { runInBackground } from '../../src/core/util/priority';
import { groupNice, Leftovers, sleeper } from '../fixtures/processes';

describe('background priority', () => {
  const left = new Leftovers();
  afterEach(() => left.killAll());

  it('lowers a detached process and its session’s group to the nice value, and leaves this process alone', () => {
    const mine = { nice: os.getPriority(), group: groupNice('self') };
    const child = sleeper();
    left.group(child.pid);
    assert.equal(runInBackground(child.pid, 10), undefined);
    assert.equal(os.getPriority(child.pid!), Math.max(10, mine.nice));
    if (mine.group !== undefined) assert.equal(groupNice(child.pid!), Math.max(10, mine.group), 'its own session’s group');
    assert.deepEqual({ nice: os.getPriority(), group: groupNice('self') }, mine, 'this process and its group are untouched');
  });

  it('does not touch the group of a process in this process’s session (it is the editor’s group too)', function () {
    if (groupNice('self') === undefined) this.skip(); // no autogroups on this kernel: nothing to check
    const before = groupNice('self');
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    left.pid(child.pid);
    assert.equal(runInBackground(child.pid, 12), undefined);
    assert.equal(os.getPriority(child.pid!), Math.max(12, os.getPriority()));
    assert.equal(groupNice(child.pid!), before);
    assert.equal(groupNice('self'), before);
  });

  it('never raises a priority, and does nothing for 0 or no value', () => {
    const child = sleeper();
    left.group(child.pid);
    os.setPriority(child.pid!, 15);
    assert.equal(runInBackground(child.pid, 10), undefined);
    assert.equal(os.getPriority(child.pid!), 15);
    const other = sleeper();
    left.group(other.pid);
    const start = os.getPriority(other.pid!);
    runInBackground(other.pid, 0);
    runInBackground(other.pid, undefined);
    assert.equal(os.getPriority(other.pid!), start);
  });

  it('takes 19 for anything above, and a process already gone is no failure', async () => {
    const child = sleeper();
    left.group(child.pid);
    runInBackground(child.pid, 40);
    assert.equal(os.getPriority(child.pid!), 19);
    const done = spawn('true', [], { stdio: 'ignore', detached: true });
    await new Promise((r) => done.on('exit', r));
    await new Promise((r) => setImmediate(r)); // reaped
    assert.equal(runInBackground(done.pid, 10), undefined);
  });
});
