// WorkStore.scan(paths): re-reading only the files the watcher saw change, and the full scan it
// falls back to whenever those paths alone cannot prove what happened.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkStore } from '../../src/core/store/workStore';
import { STAGES } from '../../src/core/model/stage';
import { storyText, tempProject, type TempProject } from './store-fixture';

describe('store: rescanning changed paths', () => {
  let project: TempProject;
  let store: WorkStore;
  /** A file changed behind the store's back: only a full scan (or naming it) finds it. */
  let sentinel: string;

  const touchSentinel = () => {
    fs.writeFileSync(sentinel, storyText('Sentinel edited'));
    const t = new Date(Date.now() + 10_000);
    fs.utimesSync(sentinel, t, t);
  };
  const sentinelSeen = () => store.get(99)!.name === 'Sentinel edited';

  beforeEach(async () => {
    project = tempProject();
    store = new WorkStore(project.root);
    for (let i = 1; i <= 5; i++) project.put('backlog', `${i}_story_s${i}.md`, storyText(`Story ${i}`));
    sentinel = project.put('done', '99_story_sentinel.md', storyText('Sentinel'));
    await store.scan();
  });

  afterEach(() => project.remove());

  it('a move by hand: the new path alone is enough, and nothing else is read', async () => {
    const from = path.join(project.dir('backlog'), '2_story_s2.md');
    fs.mkdirSync(project.dir('current'), { recursive: true });
    const to = path.join(project.dir('current'), '2_story_s2.md');
    fs.renameSync(from, to);
    touchSentinel();
    const r = await store.scan([to]);
    assert.deepEqual(
      r.changes.map((c) => [c.kind, c.item.id, c.item.stage]),
      [['moved', 2, 'current']],
    );
    assert.equal(store.get(2)!.path, to);
    assert.deepEqual(
      store.inStage('current').map((i) => i.id),
      [2],
    );
    assert.ok(!sentinelSeen(), 'only the changed path was read');
    // The old path reported later (its removal event) changes nothing.
    assert.deepEqual((await store.scan([from])).changes, []);
    assert.equal(store.get(2)!.stage, 'current');
  });

  it('a move seen only by its old path: the file is found under its name in another folder', async () => {
    const from = path.join(project.dir('backlog'), '3_story_s3.md');
    fs.mkdirSync(project.dir('qa'), { recursive: true });
    fs.renameSync(from, path.join(project.dir('qa'), '3_story_s3.md'));
    touchSentinel();
    const r = await store.scan([from]);
    assert.deepEqual(
      r.changes.map((c) => [c.kind, c.item.id, c.item.stage]),
      [['moved', 3, 'qa']],
    );
    assert.ok(!sentinelSeen());
  });

  it('an edit is read again; an echo of a change already seen reports nothing', async () => {
    const file = path.join(project.dir('backlog'), '1_story_s1.md');
    fs.writeFileSync(file, storyText('Renamed title', 'blocked: true\n'));
    const r = await store.scan([file]);
    assert.deepEqual(
      r.changes.map((c) => [c.kind, c.item.id]),
      [['changed', 1]],
    );
    assert.equal(store.get(1)!.name, 'Renamed title');
    assert.equal(store.get(1)!.blocked, true);
    assert.deepEqual((await store.scan([file])).changes, []);
  });

  it('a removal, a rename to another number and a number in two places fall back to a full scan', async () => {
    const one = path.join(project.dir('backlog'), '1_story_s1.md');
    fs.rmSync(one);
    touchSentinel();
    let r = await store.scan([one]);
    assert.deepEqual(r.changes.map((c) => [c.kind, c.item.id]).sort(), [
      ['changed', 99],
      ['removed', 1],
    ]);
    assert.ok(sentinelSeen(), 'the full scan read everything');

    const four = path.join(project.dir('backlog'), '4_story_s4.md');
    const forty = path.join(project.dir('backlog'), '40_story_s4.md');
    fs.renameSync(four, forty);
    r = await store.scan([four, forty]);
    assert.deepEqual(r.changes.map((c) => [c.kind, c.item.id]).sort(), [
      ['added', 40],
      ['removed', 4],
    ]);

    const copy = project.put('qa', '5_story_s5.md', storyText('Copy'));
    r = await store.scan([copy]);
    assert.equal(r.conflicts.length, 1, 'the same number in two places is reported');
    assert.match(store.get(5)!.invalid ?? '', /in two places/);
    fs.rmSync(copy);
    r = await store.scan([copy]);
    assert.deepEqual(r.conflicts, []);
    assert.equal(store.get(5)!.invalid, undefined);
  });

  it('a stray file or a path outside the stage folders falls back to a full scan', async () => {
    const notes = project.put('backlog', 'notes.md', '# notes\n');
    touchSentinel();
    let r = await store.scan([notes]);
    assert.equal(r.strays.length, 1);
    assert.ok(sentinelSeen());
    fs.rmSync(notes);
    r = await store.scan([notes]);
    assert.deepEqual(r.strays, []);
    fs.writeFileSync(sentinel, storyText('Sentinel again'));
    await store.scan([project.dir('backlog')]);
    assert.equal(store.get(99)!.name, 'Sentinel again');
  });

  it('a burst of 50 moves, named in any order, ends with every story where its file is', async () => {
    for (let i = 10; i < 60; i++) project.put('backlog', `${i}_story_b${i}.md`, storyText(`Burst ${i}`));
    await store.scan();
    // The sorted list and the stage index exist before the burst: they are patched, not rebuilt.
    assert.equal(store.all().length, 56);
    assert.equal(store.inStage('backlog').length, 55);
    const heldBacklog = store.inStage('backlog');
    fs.mkdirSync(project.dir('current'), { recursive: true });
    const paths: string[] = [];
    for (let i = 10; i < 60; i++) {
      const from = path.join(project.dir('backlog'), `${i}_story_b${i}.md`);
      const to = path.join(project.dir('current'), `${i}_story_b${i}.md`);
      fs.renameSync(from, to);
      paths.push(i % 2 ? from : to, i % 3 ? to : from);
    }
    touchSentinel();
    const r = await store.scan(paths.reverse());
    assert.equal(r.changes.length, 50);
    assert.ok(r.changes.every((c) => c.kind === 'moved'));
    for (let i = 10; i < 60; i++) assert.equal(store.get(i)!.stage, 'current', `story ${i}`);
    assert.equal(store.inStage('current').length, 50);
    assert.equal(heldBacklog.length, 55, 'a stage list handed out before is not changed under its holder');
    assert.ok(!sentinelSeen());
    const fresh = new WorkStore(project.root);
    await fresh.scan();
    const view = (s: WorkStore) => s.all().map((i) => `${i.id}:${i.stage}`);
    assert.deepEqual(
      view(store).filter((v) => !v.startsWith('99:')),
      view(fresh).filter((v) => !v.startsWith('99:')),
    );
    for (const stage of STAGES) {
      assert.deepEqual(
        store.inStage(stage).map((i) => i.id),
        fresh.inStage(stage).map((i) => i.id),
        stage,
      );
    }
  });

  it("the store's own move and patch re-read only the story's file", async () => {
    touchSentinel();
    const moved = await store.move(1, 'qa', { agent: 'coder-1' });
    assert.equal(moved.stage, 'qa');
    assert.equal(moved.agent, 'coder-1');
    await store.patch(2, { blocked: true });
    assert.equal(store.get(2)!.blocked, true);
    assert.ok(!sentinelSeen());
  });
});
