// Story files changed by hand while the orchestrator watches: each change reaches the store and
// the event bus by the rescan of the changed paths (or the full rescan it falls back to).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies as Orchestrator, type HuskiesEvent } from '../../src/core/api';
import { makeRepo, SIM_AGENT, type TempRepo } from '../fixtures/repo';

describe('stories changed by hand under a watching orchestrator (integration)', function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let o: Orchestrator;
  const work = (folder: string, name = '') => path.join(repo.dir, '.huskies', 'work', folder, name);

  /** Resolves on the first bus event (or changed notice) after which `ok` holds. */
  function until(ok: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ok()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}`));
      }, 30_000);
      const finish = () => {
        clearTimeout(timer);
        o.off('event', check);
        o.off('changed', check);
      };
      o.on('event', check);
      o.on('changed', check);
      check();
    });
  }

  beforeEach(async () => {
    repo = await makeRepo({ projectToml: 'commit_moves = false\n' });
    for (let i = 1; i <= 60; i++) repo.story(i, `Story ${i}`);
    o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, autoAssign: false, runAgents: false });
    await o.start();
  });

  afterEach(async () => {
    await o.dispose();
    repo.cleanup();
  });

  it('a move, an edit and a delete each show, with the event the watcher records', async () => {
    const events: HuskiesEvent[] = [];
    o.on('event', (e: HuskiesEvent) => events.push(e));
    const file = o.store.get(3)!.path;
    fs.renameSync(file, work('4_merge', path.basename(file)));
    await until(() => o.store.get(3)?.stage === 'merge', 'story 3 in merge');
    assert.ok(events.some((e) => e.type === 'item.moved' && e.id === 3 && e.from === 'backlog' && e.to === 'merge' && e.source === 'watcher'));

    const moved = o.store.get(3)!.path;
    fs.writeFileSync(moved, '---\nname: Renamed by hand\nblocked: true\n---\n# Renamed by hand\n\n- [x] done\n');
    await until(() => o.store.get(3)?.name === 'Renamed by hand', 'the edit of story 3');
    assert.equal(o.store.get(3)!.blocked, true);
    assert.deepEqual(o.store.get(3)!.criteria, [{ done: true, text: 'done' }]);
    assert.ok(events.some((e) => e.type === 'item.changed' && e.id === 3));

    fs.rmSync(moved);
    await until(() => o.store.get(3) === undefined, 'story 3 gone');
    assert.ok(events.some((e) => e.type === 'item.moved' && e.id === 3 && e.to === null));
  });

  it('a rename to another number is one story gone and another added', async () => {
    const file = o.store.get(5)!.path;
    fs.renameSync(file, work('1_backlog', path.basename(file).replace(/^5_/, '500_')));
    await until(() => o.store.get(5) === undefined && o.store.get(500)?.stage === 'backlog', 'story 5 renumbered to 500');
    assert.equal(o.store.get(500)!.name, 'Story 5');
    assert.deepEqual(o.snapshot().problems, []);
  });

  it('a burst of 50 moves ends with every story in its new folder, and none twice', async () => {
    for (let i = 1; i <= 50; i++) {
      const file = o.store.get(i)!.path;
      fs.renameSync(file, work('5_done', path.basename(file)));
    }
    await until(() => o.store.all().filter((i) => i.stage === 'done').length === 50, 'all 50 in done');
    for (let i = 1; i <= 50; i++) assert.equal(o.store.get(i)!.stage, 'done', `story ${i}`);
    assert.equal(o.store.all().length, 60);
    assert.deepEqual(o.snapshot().problems, []);
  });

  it('a copy into a second folder is a conflict, and clears when the copy goes', async () => {
    const file = o.store.get(7)!.path;
    const copy = work('3_qa', path.basename(file));
    fs.copyFileSync(file, copy);
    await until(() => /in two places/.test(o.store.get(7)?.invalid ?? ''), 'the conflict on story 7');
    assert.ok(o.snapshot().problems.some((p) => /Story 7 is in two places/.test(p)));
    fs.rmSync(copy);
    await until(() => o.store.get(7)?.invalid === undefined, 'the conflict cleared');
    assert.equal(o.store.get(7)!.stage, 'backlog');
  });
});
