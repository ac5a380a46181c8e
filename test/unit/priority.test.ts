// The pure parts of background priority: the autogroup file's text and the `nice` prefix.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { groupNiceOf, niceCommand } from '../../src/core/util/priority';

describe('background priority: the pure parts', () => {
  it('reads the nice value of a scheduling group, and an empty file (the boot-time group) as 0', () => {
    assert.equal(groupNiceOf('/autogroup-16784 nice 10\n'), 10);
    assert.equal(groupNiceOf('/autogroup-3 nice -5\n'), -5);
    assert.equal(groupNiceOf(''), 0);
  });

  it('prefixes `nice -n` by what lowers this process’s priority to the value, and nothing for 0 or none', function () {
    if (process.platform === 'win32') this.skip();
    const mine = os.getPriority();
    const want = (n: number) => (Math.min(n, 19) > mine ? ['nice', '-n', String(Math.min(n, 19) - mine)] : []);
    assert.deepEqual(niceCommand(12), want(12));
    assert.deepEqual(niceCommand(40), want(40));
    assert.deepEqual(niceCommand(0), []);
    assert.deepEqual(niceCommand(undefined), []);
    assert.deepEqual(niceCommand(2.5), []);
  });
});
