// `huskies status` lists the help requests with what to type for each.
import * as assert from 'node:assert/strict';
import { helpLines } from '../../src/cli/format';

describe('huskies status: help requests', () => {
  it('prints nothing when nothing is stuck', () => {
    assert.deepEqual(helpLines([]), []);
  });

  it('prints one line per request with the commands that resolve it', () => {
    const lines = helpLines([
      {
        key: 'no-agent',
        reason: 'Story #1 is ready, but no agent can take it: c1 is drained',
        since: Date.UTC(2026, 0, 1),
        actions: [{ kind: 'acknowledge', agent: 'c1' }, { kind: 'openBoard' }],
      },
      {
        key: 'never:2',
        storyId: 2,
        reason: "#2's merge failed",
        since: 0,
        actions: [
          { kind: 'fixup', storyId: 2 },
          { kind: 'showOutput', runId: 'r' },
        ],
      },
    ]);
    assert.equal(lines[0], '\nNEEDS YOU (2):');
    assert.equal(lines[1], '  ? Story #1 is ready, but no agent can take it: c1 is drained · huskies ack c1 (since 2026-01-01T00:00:00.000Z)');
    assert.match(lines[2], /#2's merge failed · huskies fixup 2 \(since/);
  });
});
