// WorkStore on a temp project: scan, numbering, create, move, patch, diffs, conflicts, malformed files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkStore, isWorkFileName } from '../../src/core/store/workStore';
import { STAGES, type Stage } from '../../src/core/model/stage';
import { readNewItemFileSync } from '../../src/core/store/itemFile';
import { storyText as item, tempProject, type TempProject } from './store-fixture';

describe('store: WorkStore', () => {
  let project: TempProject;
  let root: string;
  let store: WorkStore;

  const dir = (stage: Stage) => project.dir(stage);
  const put = (stage: Stage, name: string, text: string) => project.put(stage, name, text);
  const filesIn = (stage: Stage) => project.filesIn(stage);
  const bumpMtime = (file: string) => {
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(file, t, t);
  };

  beforeEach(() => {
    project = tempProject();
    root = project.root;
    store = new WorkStore(root);
  });

  afterEach(() => {
    project.remove();
  });

  it('scans all six stage folders', async () => {
    STAGES.forEach((s, i) => put(s, `${i + 1}_story_in_${s}.md`, item(`In ${s}`)));
    const r = await store.scan();
    assert.equal(r.items.size, 6);
    assert.deepEqual(r.conflicts, []);
    for (const [i, s] of STAGES.entries()) {
      const it = store.get(i + 1)!;
      assert.equal(it.stage, s);
      assert.equal(it.name, `In ${s}`);
      assert.equal(it.path, path.join(dir(s), `${i + 1}_story_in_${s}.md`));
    }
    assert.deepEqual(
      store.all().map((i) => i.id),
      [1, 2, 3, 4, 5, 6],
    );
  });

  it('scans an empty or missing work folder without error', async () => {
    const r = await store.scan();
    assert.equal(r.items.size, 0);
    assert.deepEqual(r.changes, []);
  });

  it('skips non-markdown files, hidden files and folders', async () => {
    put('backlog', '1_story_a.md', item('A'));
    put('backlog', 'README.txt', 'x');
    put('backlog', '.2_story_hidden.md', item('Hidden'));
    fs.mkdirSync(path.join(dir('backlog'), '3_story_dir.md'));
    const r = await store.scan();
    assert.deepEqual([...r.items.keys()], [1]);
  });

  describe('numbering', () => {
    it('starts at 1', async () => {
      assert.equal(await store.nextNumber(), 1);
    });

    it('is one more than the highest number across all stages', async () => {
      put('backlog', '3_story_a.md', item('A'));
      put('archived', '9_story_b.md', item('B'));
      put('qa', '5_bug_c.md', item('C'));
      assert.equal(await store.nextNumber(), 10);
    });

    it('counts numbered files that do not parse', async () => {
      put('backlog', '1_story_a.md', item('A'));
      put('done', '17_feature_bad_type.md', item('X'));
      put('merge', '25_Story_Upper.md', item('Y'));
      put('current', '12_story_bad_yaml.md', '---\nname: [\n---\n');
      assert.equal(await store.nextNumber(), 26);
      const created = await store.create({ name: 'Next' });
      assert.equal(created.id, 26);
    });
  });

  describe('create', () => {
    it('writes a new story into the backlog with a slug and the next number', async () => {
      put('done', '4_story_old.md', item('Old'));
      const it = await store.create({ name: '  Add login: form (v2)!  ', criteria: ['validates e-mail', 'shows error'], description: 'As a visitor…' });
      assert.equal(it.id, 5);
      assert.equal(it.fileName, '5_story_add_login_form_v2.md');
      assert.equal(it.stage, 'backlog');
      assert.equal(it.name, 'Add login: form (v2)!');
      assert.equal(it.invalid, undefined);
      assert.deepEqual(
        it.criteria.map((c) => c.text),
        ['validates e-mail', 'shows error'],
      );
      assert.deepEqual(filesIn('backlog'), ['5_story_add_login_form_v2.md'], 'no temp file left behind');
      const onDisk = fs.readFileSync(path.join(dir('backlog'), it.fileName), 'utf8');
      assert.match(onDisk, /^---\nname: "Add login: form \(v2\)!"\n---\n/);
      await store.scan();
      assert.equal(store.get(5)?.name, 'Add login: form (v2)!');
    });

    it('uses the type and stage given', async () => {
      const it = await store.create({ name: 'Crash', type: 'bug', stage: 'current' });
      assert.equal(it.fileName, '1_bug_crash.md');
      assert.equal(it.stage, 'current');
      assert.ok(fs.existsSync(path.join(dir('current'), '1_bug_crash.md')));
    });

    it('refuses an empty title', async () => {
      await assert.rejects(store.create({ name: '   ' }), /title/);
      assert.deepEqual(filesIn('backlog'), []);
    });

    it('numbers one after another', async () => {
      const a = await store.create({ name: 'A' });
      const b = await store.create({ name: 'B' });
      const c = await store.create({ name: 'A' });
      assert.deepEqual([a.id, b.id, c.id], [1, 2, 3]);
    });

    it('20 concurrent creates with the same title get 20 distinct numbers', async () => {
      const made = await Promise.all(Array.from({ length: 20 }, () => store.create({ name: 'Same title' })));
      const ids = made.map((m) => m.id).sort((a, b) => a - b);
      assert.deepEqual(
        ids,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.equal(filesIn('backlog').length, 20);
      const r = await store.scan();
      assert.deepEqual(r.conflicts, []);
    });

    it('20 concurrent creates with different titles get 20 distinct numbers', async () => {
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create({ name: `Story number ${i}` })));
      const ids = new Set(made.map((m) => m.id));
      assert.equal(ids.size, 20, `numbers handed out: ${made.map((m) => m.id).join(', ')}`);
      const r = await store.scan();
      assert.deepEqual(r.conflicts, []);
      assert.equal(r.items.size, 20);
    });
  });

  describe('move', () => {
    it('moves the file to the other stage folder and applies the patch', async () => {
      const file = put('backlog', '3_story_a.md', '---\nname: A\n# keep this comment\nextra: 1\n---\n# A\nbody text\n');
      await store.scan();
      const moved = await store.move(3, 'current', { agent: 'coder-1' });
      assert.equal(moved.stage, 'current');
      assert.equal(moved.agent, 'coder-1');
      assert.ok(!fs.existsSync(file));
      const text = fs.readFileSync(path.join(dir('current'), '3_story_a.md'), 'utf8');
      assert.match(text, /# keep this comment/);
      assert.match(text, /extra: 1/);
      assert.match(text, /agent: coder-1/);
      assert.ok(text.endsWith('---\n# A\nbody text\n'));
      assert.equal(store.get(3)?.stage, 'current');
    });

    it('moves without a patch, keeping the bytes', async () => {
      const text = '---\nname: A\n---\n# A\r\nodd  spacing\n';
      put('qa', '3_story_a.md', text);
      await store.scan();
      await store.move(3, 'merge');
      assert.equal(fs.readFileSync(path.join(dir('merge'), '3_story_a.md'), 'utf8'), text);
      assert.deepEqual(filesIn('qa'), []);
    });

    it('finds an item that was moved by hand since the last scan', async () => {
      put('backlog', '3_story_a.md', item('A'));
      await store.scan();
      fs.mkdirSync(dir('qa'), { recursive: true });
      fs.renameSync(path.join(dir('backlog'), '3_story_a.md'), path.join(dir('qa'), '3_story_a.md'));
      const moved = await store.move(3, 'merge');
      assert.equal(moved.stage, 'merge');
    });

    it('to the same stage only patches', async () => {
      put('current', '3_story_a.md', item('A'));
      await store.scan();
      const r = await store.move(3, 'current', { blocked: true });
      assert.equal(r.stage, 'current');
      assert.equal(r.blocked, true);
    });

    it('an unknown number is an error', async () => {
      await assert.rejects(store.move(99, 'qa'), /no story 99/);
    });

    it('refuses to move onto an existing file, changing neither file', async () => {
      const a = put('backlog', '7_story_x.md', item('In backlog'));
      const b = put('qa', '7_story_x.md', item('In qa'));
      const before = [fs.readFileSync(a), fs.readFileSync(b)];
      await store.scan();
      await assert.rejects(store.move(7, 'qa', { agent: 'coder-1' }), /already exists/);
      assert.ok(fs.existsSync(a));
      assert.deepEqual(fs.readFileSync(b), before[1]);
      // a refused move must not leave half of itself behind
      assert.equal(fs.readFileSync(a, 'utf8'), before[0].toString(), 'the patch of a refused move must not be written');
    });
  });

  describe('patch', () => {
    it('sets and deletes keys, keeping everything else', async () => {
      const text = '---\nname: A\nagent: coder-1\nunknown_key: kept # why\n---\n# A\n\n- [x] done\n';
      const file = put('current', '3_story_a.md', text);
      await store.scan();
      const p = await store.patch(3, { blocked: true, blocked_reason: 'retries used up', agent: undefined });
      assert.equal(p.blocked, true);
      assert.equal(p.blockedReason, 'retries used up');
      assert.equal(p.agent, undefined);
      assert.equal(p.frontMatter.unknown_key, 'kept');
      const out = fs.readFileSync(file, 'utf8');
      assert.match(out, /unknown_key: kept # why/);
      assert.ok(out.endsWith('---\n# A\n\n- [x] done\n'));
      assert.deepEqual(filesIn('current'), ['3_story_a.md'], 'no temp files');
      assert.equal(store.get(3)?.blocked, true);
    });
  });

  describe('scan diff', () => {
    it('reports added, moved, changed and removed, and nothing when nothing changed', async () => {
      const a = put('backlog', '1_story_a.md', item('A'));
      const b = put('backlog', '2_story_b.md', item('B'));
      put('backlog', '3_story_c.md', item('C'));
      let r = await store.scan();
      assert.deepEqual(r.changes.map((c) => `${c.kind}:${c.item.id}`).sort(), ['added:1', 'added:2', 'added:3']);

      r = await store.scan();
      assert.deepEqual(r.changes, []);

      fs.mkdirSync(dir('current'), { recursive: true });
      fs.renameSync(a, path.join(dir('current'), '1_story_a.md'));
      fs.writeFileSync(b, item('B renamed'));
      bumpMtime(b);
      fs.rmSync(path.join(dir('backlog'), '3_story_c.md'));
      put('qa', '4_story_d.md', item('D'));
      r = await store.scan();
      const byKind = Object.fromEntries(r.changes.map((c) => [`${c.kind}:${c.item.id}`, c]));
      assert.deepEqual(Object.keys(byKind).sort(), ['added:4', 'changed:2', 'moved:1', 'removed:3']);
      const moved = byKind['moved:1'];
      assert.ok(moved.kind === 'moved' && moved.from === 'backlog' && moved.item.stage === 'current');
      assert.equal(byKind['changed:2'].item.name, 'B renamed');
      assert.equal(byKind['removed:3'].item.name, 'C');
      assert.equal(store.get(3), undefined);
      assert.equal(store.get(2)?.name, 'B renamed');
    });

    it('reports a file that became invalid as changed', async () => {
      const f = put('backlog', '1_story_a.md', item('A'));
      await store.scan();
      fs.writeFileSync(f, '---\nname: [broken\n---\n');
      bumpMtime(f);
      const r = await store.scan();
      assert.equal(r.changes.length, 1);
      assert.equal(r.changes[0].kind, 'changed');
      assert.ok(r.changes[0].item.invalid);
    });
  });

  describe('conflicts', () => {
    it('the same number in two folders is one invalid item and a conflict message', async () => {
      put('backlog', '8_story_first.md', item('First'));
      put('qa', '8_story_second.md', item('Second'));
      put('backlog', '9_story_fine.md', item('Fine'));
      const r = await store.scan();
      assert.equal(r.conflicts.length, 1);
      assert.match(r.conflicts[0], /Story 8 is in two places/);
      assert.ok(r.conflicts[0].includes(path.join('.huskies', 'work', '1_backlog', '8_story_first.md')));
      assert.ok(r.conflicts[0].includes(path.join('.huskies', 'work', '3_qa', '8_story_second.md')));
      assert.equal(store.all().filter((i) => i.id === 8).length, 1, 'never two items');
      assert.equal(r.items.size, 2);
      const eight = store.get(8)!;
      assert.ok(eight.invalid?.includes('in two places'));
      assert.equal(store.get(9)?.invalid, undefined);
      assert.deepEqual(store.getConflicts(), r.conflicts);
    });

    it('the conflict is still reported on the next scan, and clears when resolved', async () => {
      put('backlog', '8_story_first.md', item('First'));
      const second = put('merge', '8_story_second.md', item('Second'));
      await store.scan();
      const again = await store.scan();
      assert.equal(again.conflicts.length, 1);
      assert.ok(store.get(8)?.invalid);
      fs.rmSync(second);
      const fixed = await store.scan();
      assert.deepEqual(fixed.conflicts, []);
      assert.equal(store.get(8)?.invalid, undefined);
      assert.deepEqual(store.getConflicts(), []);
    });

    it('a conflict with a number and an invalid file keeps both problems', async () => {
      put('backlog', '8_story_first.md', '---\ndepends_on: [x]\n---\n');
      put('qa', '8_story_second.md', item('Second'));
      await store.scan();
      const inv = store.get(8)?.invalid ?? '';
      assert.match(inv, /depends_on/);
      assert.match(inv, /two places/);
    });
  });

  describe('malformed files', () => {
    const bad = '---\nname: [unclosed\nagent: x\n---\n# Broken story\n\n- [ ] a\n';
    const noClose = '---\nname: No closing line\nagent: coder-1\n# Title\n';

    it('are listed as invalid, never dropped and never rewritten', async () => {
      const f1 = put('current', '5_story_broken.md', bad);
      const f2 = put('backlog', '6_story_noclose.md', noClose);
      const f3 = put('qa', '7_feature_badtype.md', item('Bad type'));
      const snapshot = () => [f1, f2, f3].map((f) => fs.readFileSync(f));
      const before = snapshot();

      const r = await store.scan();
      for (const id of [5, 6, 7]) assert.ok(r.items.get(id)?.invalid, `item ${id} should be invalid`);
      assert.match(store.get(5)!.invalid!, /5_story_broken\.md:\d+: front matter is not valid YAML/);
      assert.equal(store.get(5)!.name, 'Broken story');
      assert.deepEqual(snapshot(), before);

      // other store operations leave them alone too
      const created = await store.create({ name: 'New' });
      assert.equal(created.id, 8);
      put('backlog', '9_story_ok.md', item('Ok'));
      await store.scan();
      await store.patch(9, { blocked: true });
      await store.move(9, 'current', { agent: 'coder-1' });
      await store.move(created.id, 'qa');
      await store.scan();
      assert.deepEqual(snapshot(), before);
      assert.ok(store.get(5)?.invalid && store.get(6)?.invalid && store.get(7)?.invalid);
    });

    it('patching a file with bad YAML is refused and the file is unchanged', async () => {
      const f = put('current', '5_story_broken.md', bad);
      await store.scan();
      await assert.rejects(store.patch(5, { blocked: true }));
      await assert.rejects(store.move(5, 'qa', { blocked: true }));
      assert.equal(fs.readFileSync(f, 'utf8'), bad);
    });

    // A front matter without its closing --- is malformed as well: a patch must not "repair" it by
    // prepending a second block (which turns the user's keys into body text).
    it('patching a file whose front matter has no closing --- is refused and the file is unchanged', async () => {
      const f = put('backlog', '6_story_noclose.md', noClose);
      await store.scan();
      await assert.rejects(store.patch(6, { blocked: true }));
      assert.equal(fs.readFileSync(f, 'utf8'), noClose);
    });
  });

  it('isWorkFileName', () => {
    assert.equal(isWorkFileName('1_story_a.md'), true);
    assert.equal(isWorkFileName('notes.md'), false);
  });
  it('keeps listing order with more files than it reads at once: the first of two same numbers is named first', async () => {
    for (let i = 1; i <= 80; i++) put(i % 2 ? 'backlog' : 'done', `${i}_story_s${i}.md`, item(`S ${i}`));
    put('qa', '7_story_again.md', item('Again'));
    const r = await store.scan();
    assert.equal(r.items.size, 80);
    assert.equal(r.conflicts.length, 1);
    assert.match(r.conflicts[0], /Story 7 is in two places: \S*1_backlog\S*7_story_s7\.md and \S*3_qa\S*7_story_again\.md/);
    assert.deepEqual(
      store.all().map((i) => i.id),
      Array.from({ length: 80 }, (_, k) => k + 1),
    );
  });

  it('inStage lists one stage by number and follows a move', async () => {
    put('current', '12_story_b.md', item('B'));
    put('current', '3_story_a.md', item('A'));
    put('backlog', '5_story_c.md', item('C'));
    await store.scan();
    assert.deepEqual(
      store.inStage('current').map((i) => i.id),
      [3, 12],
    );
    await store.move(5, 'current');
    assert.deepEqual(
      store.inStage('current').map((i) => i.id),
      [3, 5, 12],
    );
    assert.deepEqual(store.inStage('backlog'), []);
    const all = store.all();
    all.pop();
    assert.equal(store.all().length, 3, 'all() hands out a copy');
  });

  it('readNewItemFileSync reads a regular file in one go and leaves links, folders and missing files to the careful path', async () => {
    const file = put('backlog', '1_story_a.md', item('A'));
    const got = readNewItemFileSync(file);
    assert.equal(got?.bytes.toString('utf8'), fs.readFileSync(file, 'utf8'));
    assert.equal(got?.st.ino, fs.statSync(file).ino);
    const link = path.join(dir('backlog'), '2_story_link.md');
    fs.symlinkSync(file, link);
    assert.equal(readNewItemFileSync(link), undefined);
    fs.mkdirSync(path.join(dir('backlog'), '3_story_dir.md'));
    assert.equal(readNewItemFileSync(path.join(dir('backlog'), '3_story_dir.md')), undefined);
    assert.equal(readNewItemFileSync(path.join(dir('backlog'), '4_story_gone.md')), undefined);
    const empty = put('backlog', '5_story_empty.md', '');
    assert.equal(readNewItemFileSync(empty)?.bytes.length, 0);
  });
});
