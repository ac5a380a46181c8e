// Done stories are archived after archive_after_hours, counted from merged_at: also when the time
// passed while nothing ran, and across a restart in between.
import * as assert from 'node:assert/strict';
import { Huskies } from '../../src/core/api';
import { FakeClock } from '../fixtures/fakeClock';
import { FAST_SIM } from '../fixtures/huskiesRepo';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

describe('done → archived (integration)', function () {
  this.timeout(60_000);
  let repo: TempRepo | undefined;
  let o: Huskies | undefined;
  before(() => ensureSimBuilt());
  afterEach(async () => {
    await o?.dispose();
    repo?.cleanup();
  });

  it('archives a story done for longer than the retention, keeps a newer one, and archives that one after a restart once its time has come', async () => {
    const hour = 3_600_000;
    const t0 = Date.now();
    repo = await makeRepo({ agentsToml: FAST_SIM, projectToml: 'archive_after_hours = 4\ncommit_moves = false\n' });
    repo.story(1, 'Long done', { stage: '5_done', extra: `merged_at: "${new Date(t0 - 5 * hour).toISOString()}"\n` });
    repo.story(2, 'Just done', { stage: '5_done', extra: `merged_at: "${new Date(t0 - 1 * hour).toISOString()}"\n` });

    const clock = new FakeClock(t0);
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, clock });
    await o.start();
    clock.advance(1000);
    await waitFor(() => o!.store.get(1)?.stage === 'archived', 'the story done 5 h ago is archived at the first tick');
    assert.equal(o.store.get(2)!.stage, 'done', 'one done for 1 h stays');
    await o.dispose();

    // Restarted three hours later: the second story's four hours are up.
    const later = new FakeClock(t0 + 3 * hour + 1000);
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, clock: later });
    await o.start();
    assert.equal(o.store.get(2)!.stage, 'done');
    later.advance(1000);
    await waitFor(() => o!.store.get(2)?.stage === 'archived', 'archived after the restart, counted from merged_at');
    assert.match(String(o.store.get(1)!.stage), /archived/);
  });
});
