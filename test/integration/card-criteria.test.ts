// The criteria counter on a card follows the story file: a `- [x]` ticked (or unticked) by hand in
// an editor is picked up by the watcher, the store reads the file again, and the board built from
// the next snapshot shows the new n/m.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { once } from 'node:events';
import { Huskies, type HuskiesEvent } from '../../src/core/api';
import { buildBoardState } from '../../src/extension/boardModel';
import { makeRepo, SIM_AGENT, type TempRepo } from '../fixtures/repo';

describe('card criteria counter follows the story file (integration, real watcher)', function () {
  this.timeout(30_000);
  let repo: TempRepo;
  let h: Huskies | undefined;

  afterEach(async () => {
    await h?.dispose({ stopAgents: true });
    h = undefined;
    repo.cleanup();
  });

  /** Resolves once the watcher reported a change of story `id` and the host told its listeners (the board re-renders on 'changed'). */
  const changedOnDisk = (host: Huskies, id: number) =>
    new Promise<void>((resolve) => {
      const onEvent = (e: HuskiesEvent) => {
        if (e.type !== 'item.changed' || e.id !== id) return;
        host.off('event', onEvent);
        void once(host, 'changed').then(() => resolve());
      };
      host.on('event', onEvent);
    });

  const counter = (host: Huskies, id: number) => {
    const c = buildBoardState(host.snapshot()).cards.find((x) => x.id === id);
    assert.ok(c, `card #${id} is on the board`);
    return `${c.criteriaDone}/${c.criteriaTotal}`;
  };

  it('ticking and unticking a criterion by hand updates n/m on the card', async () => {
    repo = await makeRepo({ agentsToml: '[[agent]]\nname = "sim-1"\nruntime = "sim"\n' });
    const file = repo.story(1, 'Greets', { criteria: ['says hello', 'says goodbye', 'waves'] });
    h = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT });
    await h.start();
    assert.equal(counter(h, 1), '0/3');

    let seen = changedOnDisk(h, 1);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('- [ ] says goodbye', '- [x] says goodbye'));
    await seen;
    assert.equal(counter(h, 1), '1/3');

    seen = changedOnDisk(h, 1);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('- [x] says goodbye', '- [ ] says goodbye'));
    await seen;
    assert.equal(counter(h, 1), '0/3');

    seen = changedOnDisk(h, 1);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/- \[ \]/g, '- [x]'));
    await seen;
    assert.equal(counter(h, 1), '3/3');
  });
});
