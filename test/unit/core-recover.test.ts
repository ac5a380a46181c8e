// An ending that no policy acted on (it landed while nothing listened, or before a crash) is acted
// on by the tick once it is a few seconds old — never one that is being handled right now.
import * as assert from 'node:assert/strict';
import { recoverEndings } from '../../src/core/policies/recover';
import { tick } from '../../src/core/schedule/tick';
import { makeCore } from '../fixtures/core';
import { item, run } from '../fixtures/memoryState';

describe('core: missed endings', () => {
  it('the tick moves a story whose successful run ended unhandled seconds ago, and leaves a fresh ending alone', async () => {
    const c = makeCore({ items: [item(1, 'current'), item(2, 'current')], autoAssign: false });
    const now = c.clock.now();
    c.state.runMap.set('old', run(1, { runId: 'old', status: 'succeeded', outcome: 'success', startedAt: now - 20_000, endedAt: now - 10_000 }));
    c.state.runMap.set('new', run(2, { runId: 'new', status: 'succeeded', outcome: 'success', startedAt: now - 3_000, endedAt: now - 1_000 }));
    c.policies.dispose(); // nothing listens: only the tick can notice
    await tick({
      state: c.state,
      now: () => now,
      request: c.request,
      owns: () => true,
      orphaned: async () => undefined,
      recover: (t) => recoverEndings(c.state, c.ctx(), t - 5_000),
    });
    assert.equal(c.state.item(1)!.stage, 'qa');
    assert.equal(c.state.run('old')!.handled, 'coded');
    assert.equal(c.state.item(2)!.stage, 'current', 'a fresh ending is its policy’s to handle');
    assert.equal(c.state.run('new')!.handled, undefined);
  });
});
