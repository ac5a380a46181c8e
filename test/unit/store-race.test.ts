// Scans racing moves: a rename between two stage folders, by this store or by another process,
// must never show as a story in two places, a removal, a move back or a stale view.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkStore, type ScanResult } from '../../src/core/store/workStore';
import { STAGE_FOLDERS, type Stage } from '../../src/core/model/stage';
import { storyText, tempProject, type TempProject } from './store-fixture';

type Readdir = typeof fs.promises.readdir;

/** Runs `action` once, just before the next listing of `folder` (by any store) starts. */
function beforeListing(folder: string, action: () => void): () => void {
  const real: Readdir = fs.promises.readdir;
  let fired = false;
  const hooked = ((p: fs.PathLike, ...rest: unknown[]) => {
    if (!fired && path.basename(String(p)) === folder) {
      fired = true;
      action();
    }
    return (real as (...a: unknown[]) => unknown).call(fs.promises, p, ...rest);
  }) as Readdir;
  fs.promises.readdir = hooked;
  return () => {
    fs.promises.readdir = real;
  };
}

describe('store: scans racing moves', () => {
  let project: TempProject;
  let store: WorkStore;
  const dir = (stage: Stage) => project.dir(stage);
  const put = (stage: Stage, name: string, text: string) => project.put(stage, name, text);
  const item = (title: string) => storyText(title);

  beforeEach(() => {
    project = tempProject('huskies-race-');
    store = new WorkStore(project.root);
    for (const s of ['backlog', 'current'] as const) fs.mkdirSync(dir(s), { recursive: true });
  });

  afterEach(() => {
    project.remove();
  });

  /** Scans while story 1 is renamed from one folder to the other just before 2_current is listed. */
  async function scanWhileRenaming(from: Stage, to: Stage): Promise<ScanResult> {
    put(from, '1_story_a.md', item('A'));
    await store.scan();
    const restore = beforeListing(STAGE_FOLDERS.current, () => fs.renameSync(path.join(dir(from), '1_story_a.md'), path.join(dir(to), '1_story_a.md')));
    try {
      return await store.scan();
    } finally {
      restore();
    }
  }

  it('a rename that lands between the reads of two folders is not a conflict', async () => {
    const r = await scanWhileRenaming('backlog', 'current');
    assert.deepEqual(r.conflicts, []);
    assert.equal(store.get(1)?.stage, 'current');
    assert.equal(store.get(1)?.invalid, undefined);
    assert.deepEqual(
      r.changes.map((c) => c.kind),
      ['moved'],
    );
  });

  it('a rename back into a folder already read is not a removal', async () => {
    const r = await scanWhileRenaming('current', 'backlog');
    assert.equal(store.get(1)?.stage, 'backlog');
    assert.deepEqual(
      r.changes.map((c) => c.kind),
      ['moved'],
    );
  });

  it('a file rewritten with the same size and time is read again', async () => {
    const file = put('current', '1_story_a.md', '---\nblocked: false\n---\n');
    const when = new Date(Math.floor(Date.now() / 1000) * 1000);
    fs.utimesSync(file, when, when);
    await store.scan();
    const tmp = path.join(dir('current'), '.swap.tmp');
    fs.writeFileSync(tmp, '---\nblocked: true \n---\n');
    fs.utimesSync(tmp, when, when);
    fs.renameSync(tmp, file);
    await store.scan();
    assert.equal(store.get(1)?.blocked, true);
  });

  // Every scan result must show story 1 exactly once, in one of the two stages, and never move it
  // back to where it came from after the move; a scan asked for after the move must show it moved.
  it('300 trials of scan, move and scan on one store: no false conflict, move back or stale view', async function () {
    this.timeout(120_000);
    for (let i = 0; i < 40; i++) put('backlog', `${i + 10}_story_filler_${i}.md`, item(`Filler ${i}`));
    put('backlog', '1_story_a.md', item('A'));
    await store.scan();
    const problems: string[] = [];
    for (let trial = 0; trial < 300; trial++) {
      const from: Stage = trial % 2 ? 'current' : 'backlog';
      const to: Stage = trial % 2 ? 'backlog' : 'current';
      const before = store.scan();
      const moved = store.move(1, to);
      const after = store.scan();
      const [r1, m, r2] = await Promise.all([before, moved, after]);
      for (const [label, r] of [
        ['before', r1],
        ['after', r2],
      ] as const) {
        if (r.conflicts.length) problems.push(`trial ${trial} ${label}: conflict ${r.conflicts[0]}`);
        if (!r.items.get(1)) problems.push(`trial ${trial} ${label}: story 1 missing`);
        for (const c of r.changes)
          if (c.item.id === 1 && (c.kind === 'removed' || (c.kind === 'moved' && c.item.stage === from))) problems.push(`trial ${trial} ${label}: ${c.kind} to ${c.item.stage}`);
      }
      if (m.stage !== to) problems.push(`trial ${trial}: move returned ${m.stage}`);
      if (r2.items.get(1)?.stage !== to) problems.push(`trial ${trial}: a scan asked for after the move shows ${r2.items.get(1)?.stage}`);
      if (store.get(1)?.stage !== to) problems.push(`trial ${trial}: the store shows ${store.get(1)?.stage} after the move`);
    }
    assert.deepEqual(problems, []);
  });

  it('300 trials of a scan racing a move made by another store: no false conflict, removal or move back', async function () {
    this.timeout(120_000);
    for (let i = 0; i < 40; i++) put('backlog', `${i + 10}_story_filler_${i}.md`, item(`Filler ${i}`));
    put('backlog', '1_story_a.md', item('A'));
    const mover = new WorkStore(project.root);
    await Promise.all([store.scan(), mover.scan()]);
    const problems: string[] = [];
    for (let trial = 0; trial < 300; trial++) {
      const from: Stage = trial % 2 ? 'current' : 'backlog';
      const to: Stage = trial % 2 ? 'backlog' : 'current';
      // Start the move a varying number of event-loop turns into the scan.
      const delay = trial % 7;
      const move = (async () => {
        for (let k = 0; k < delay; k++) await new Promise((res) => setImmediate(res));
        return mover.move(1, to);
      })();
      const [r] = await Promise.all([store.scan(), move]);
      if (r.conflicts.length) problems.push(`trial ${trial}: conflict ${r.conflicts[0]}`);
      const seen = r.items.get(1);
      if (!seen) problems.push(`trial ${trial}: story 1 missing`);
      else if (seen.stage !== from && seen.stage !== to) problems.push(`trial ${trial}: story 1 in ${seen.stage}`);
      const settled = await store.scan();
      if (settled.items.get(1)?.stage !== to) problems.push(`trial ${trial}: after the move the scan shows ${settled.items.get(1)?.stage}`);
      for (const c of [...r.changes, ...settled.changes])
        if (c.item.id === 1 && (c.kind === 'removed' || (c.kind === 'moved' && c.item.stage === from))) problems.push(`trial ${trial}: ${c.kind} to ${c.item.stage}`);
    }
    assert.deepEqual(problems, []);
  });
});
