// WorkStore against hostile files in the stage folders: aliases, CRLF, binary bytes, symlinks out of
// the project, stray files, odd extensions and numbers, FIFOs, huge files and malformed stories.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkStore } from '../../src/core/store/workStore';
import { STAGE_FOLDERS, type Stage } from '../../src/core/model/stage';
import { MAX_ITEM_BYTES } from '../../src/core/store/itemFile';
import { storyText as item, tempProject, type TempProject } from './store-fixture';

describe('store: hostile files', () => {
  let project: TempProject;
  let outside: string;
  let store: WorkStore;

  const dir = (stage: Stage) => project.dir(stage);
  const put = (stage: Stage, name: string, data: string | Buffer) => project.put(stage, name, data);
  const rel = (stage: Stage, name: string) => path.join('.huskies', 'work', STAGE_FOLDERS[stage], name);

  beforeEach(() => {
    project = tempProject('huskies-hostile-');
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-outside-'));
    store = new WorkStore(project.root);
  });

  afterEach(() => {
    project.remove();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  describe('YAML aliases', () => {
    it('one story with an alias is invalid with file:line; the scan and every other story go on', async () => {
      put('backlog', '1_story_fine.md', item('Fine'));
      const bad = put('current', '2_story_alias.md', '---\nname: *x\n---\n# Alias\n');
      const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++)
        bomb.push(
          `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(96 + i)}`)
            .join(',')}]`,
        );
      const bombFile = put('qa', '3_story_bomb.md', `---\n${bomb.join('\n')}\n---\n# Bomb\n`);
      const r = await store.scan();
      assert.equal(r.items.size, 3);
      assert.equal(store.get(1)?.invalid, undefined);
      assert.match(store.get(2)?.invalid ?? '', /^2_story_alias\.md:2: front matter uses the YAML alias \*x/);
      assert.match(store.get(3)?.invalid ?? '', /^3_story_bomb\.md:2: front matter sets the YAML anchor &a/);
      const before = [fs.readFileSync(bad), fs.readFileSync(bombFile)];
      await assert.rejects(store.patch(2, { blocked: true }), /2_story_alias\.md: cannot rewrite front matter: line 2/);
      await assert.rejects(store.move(3, 'merge', { blocked: true }), /anchor &a/);
      assert.deepEqual([fs.readFileSync(bad), fs.readFileSync(bombFile)], before);
      assert.equal(store.get(3)?.stage, 'qa', 'a refused move-with-patch does not move');
    });
  });

  describe('CRLF', () => {
    it('blocked: true on the last CRLF line blocks the story', async () => {
      put('current', '4_story_win.md', '---\r\nname: Win\r\nblocked: true\r\n---\r\n# Win\r\n');
      await store.scan();
      assert.equal(store.get(4)?.blocked, true);
      assert.equal(store.get(4)?.invalid, undefined);
    });

    it('a patch keeps a CRLF file CRLF and valid; a move with a patch too', async () => {
      const text = '---\r\nname: Win\r\nagent: coder-1\r\n---\r\n# Win\r\n\r\n- [ ] a\r\n';
      const file = put('current', '4_story_win.md', text);
      await store.scan();
      const p = await store.patch(4, { blocked: true, blocked_reason: 'why' });
      assert.equal(p.blocked, true);
      assert.equal(p.invalid, undefined);
      const out = fs.readFileSync(file, 'utf8');
      assert.equal(out, '---\r\nname: Win\r\nagent: coder-1\r\nblocked: true\r\nblocked_reason: why\r\n---\r\n# Win\r\n\r\n- [ ] a\r\n');
      const m = await store.move(4, 'qa', { blocked: undefined, blocked_reason: undefined });
      assert.equal(m.blocked, false);
      assert.equal(fs.readFileSync(m.path, 'utf8'), text);
    });
  });

  describe('binary and non-UTF-8 files', () => {
    const binary = Buffer.concat([Buffer.from('---\nname: Bin\n---\n'), Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x89, 0x50])]);
    const latin1 = Buffer.from('---\nname: Caf\xe9\n---\n# Caf\xe9\n', 'latin1');

    it('are shown as invalid with the reason, never rewritten; a plain move keeps their bytes', async () => {
      const f1 = put('current', '5_story_bin.md', binary);
      const f2 = put('current', '6_story_latin.md', latin1);
      await store.scan();
      assert.match(store.get(5)?.invalid ?? '', /^5_story_bin\.md: the file contains a NUL byte/);
      assert.match(store.get(6)?.invalid ?? '', /^6_story_latin\.md: the file is not valid UTF-8 text/);
      assert.equal(store.get(5)?.body, '');
      await assert.rejects(store.patch(5, { blocked: true }), /Cannot change .*5_story_bin\.md: the file contains a NUL byte/);
      await assert.rejects(store.move(6, 'qa', { agent: 'coder-1' }), /Cannot change .*6_story_latin\.md: the file is not valid UTF-8 text/);
      assert.deepEqual(fs.readFileSync(f1), binary);
      assert.deepEqual(fs.readFileSync(f2), latin1);
      assert.ok(fs.existsSync(f2), 'a refused move-with-patch leaves the file where it was');
      const moved = await store.move(6, 'qa');
      assert.equal(moved.stage, 'qa');
      assert.deepEqual(fs.readFileSync(path.join(dir('qa'), '6_story_latin.md')), latin1);
    });

    it('a file over the size limit is invalid without being read', async () => {
      put('backlog', '7_story_huge.md', Buffer.alloc(MAX_ITEM_BYTES + 1, 0x61));
      await store.scan();
      assert.match(store.get(7)?.invalid ?? '', /^7_story_huge\.md: the file is \d+ bytes; a story file may have at most/);
      await assert.rejects(store.patch(7, { blocked: true }), /at most/);
    });
  });

  describe('symlinks', () => {
    it('a story that links out of the project is invalid, never read and never rewritten', async () => {
      const secret = path.join(outside, 'secret.md');
      fs.writeFileSync(secret, '---\nname: Secret\n---\n# TOKEN=hunter2\n');
      fs.mkdirSync(dir('current'), { recursive: true });
      const link = path.join(dir('current'), '8_story_link.md');
      fs.symlinkSync(secret, link);
      await store.scan();
      const it8 = store.get(8)!;
      assert.match(it8.invalid ?? '', /^8_story_link\.md: the file is a symbolic link/);
      assert.ok(!JSON.stringify(it8).includes('hunter2'), 'nothing of the target is in the item');
      await assert.rejects(store.patch(8, { blocked: true }), /symbolic link/);
      await assert.rejects(store.move(8, 'qa', { blocked: true }), /symbolic link/);
      assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link was not replaced by a copy of its target');
      assert.equal(fs.readFileSync(secret, 'utf8'), '---\nname: Secret\n---\n# TOKEN=hunter2\n');
    });

    it('a dangling link is shown too', async () => {
      fs.mkdirSync(dir('backlog'), { recursive: true });
      fs.symlinkSync(path.join(outside, 'gone.md'), path.join(dir('backlog'), '9_story_dangling.md'));
      await store.scan();
      assert.match(store.get(9)?.invalid ?? '', /symbolic link/);
    });
  });

  describe('names', () => {
    it('42_story_x.MD is a story', async () => {
      put('backlog', '42_story_x.MD', item('Upper'));
      await store.scan();
      assert.equal(store.get(42)?.name, 'Upper');
      assert.equal(store.get(42)?.invalid, undefined);
      assert.equal(await store.nextNumber(), 43);
    });

    it('stray markdown files are reported, not numbered; hidden files, .gitkeep and other files are ignored', async () => {
      put('backlog', '1_story_a.md', item('A'));
      put('backlog', 'notes.md', '# my notes\n');
      put('qa', 'TODO.MD', 'x');
      put('done', '1234567890_story_big.md', item('Big'));
      put('backlog', '.gitkeep', '');
      put('backlog', '.hidden.md', 'x');
      put('backlog', 'mockup.png', 'x');
      put('backlog', '1_story_a.md~', 'x');
      fs.mkdirSync(path.join(dir('current'), '3_story_dir.md'), { recursive: true });
      const r = await store.scan();
      assert.deepEqual([...r.items.keys()], [1], 'no card for a stray, and no invented number');
      assert.deepEqual(
        r.strays.map((s) => s.problem),
        [
          `${rel('backlog', 'notes.md')}: not a work item: the file name must look like <number>_<type>_<slug>.md, e.g. 42_story_add_login.md`,
          `${rel('current', '3_story_dir.md')}: not a work item: it is a folder, not a file`,
          `${rel('qa', 'TODO.MD')}: not a work item: the file name must look like <number>_<type>_<slug>.md, e.g. 42_story_add_login.md`,
          `${rel('done', '1234567890_story_big.md')}: not a work item: the number has more than 9 digits (the highest a story can have is 999999999)`,
        ],
      );
      assert.deepEqual(store.getStrays(), r.strays);
      assert.equal(r.strays[0].stage, 'backlog');
      assert.equal(r.strays[0].path, path.join(dir('backlog'), 'notes.md'));
      assert.deepEqual(
        store.getProblems(),
        r.strays.map((s) => s.problem),
      );
      fs.rmSync(path.join(dir('backlog'), 'notes.md'));
      assert.equal((await store.scan()).strays.length, 3);
    });

    it('a FIFO named like a story does not hang the scan', async function () {
      if (process.platform === 'win32') this.skip();
      fs.mkdirSync(dir('backlog'), { recursive: true });
      execFileSync('mkfifo', [path.join(dir('backlog'), '5_story_pipe.md')]);
      put('backlog', '6_story_ok.md', item('Ok'));
      const r = await store.scan();
      assert.deepEqual([...r.items.keys()], [6]);
      assert.match(r.strays[0]?.problem ?? '', /5_story_pipe\.md: not a work item: it is not a regular file/);
    });
  });

  describe('numbers', () => {
    it('create refuses, naming the file, when the next number would have 10 digits', async () => {
      put('archived', '999999999_story_x.md', item('X'));
      await assert.rejects(store.create({ name: 'New' }), (err: Error) => {
        assert.match(err.message, /No story number is left/);
        assert.ok(err.message.includes(rel('archived', '999999999_story_x.md')), err.message);
        return true;
      });
      assert.deepEqual(
        fs.readdirSync(dir('backlog')).filter((n) => !n.startsWith('.')),
        [],
      );
    });

    it('every number create hands out is one the scanner accepts', async () => {
      put('archived', '999999998_story_x.md', item('X'));
      const made = await store.create({ name: 'Last one' });
      assert.equal(made.id, 999999999);
      const r = await store.scan();
      assert.equal(r.items.get(999999999)?.invalid, undefined);
      assert.deepEqual(r.strays, []);
    });

    it('create refuses a title that would make an invalid story, writing nothing', async () => {
      await assert.rejects(store.create({ name: 'x'.repeat(70 * 1024) }), /too large/);
      assert.deepEqual(fs.existsSync(dir('backlog')) ? fs.readdirSync(dir('backlog')) : [], []);
    });
  });

  describe('malformed stories', () => {
    it('a story that cannot be read (an I/O error) is invalid with the reason, and the scan goes on', async () => {
      const broken = put('current', '2_story_eio.md', item('Eio'));
      put('current', '3_story_fine.md', item('Fine'));
      const realOpen = fs.promises.open;
      fs.promises.open = (async (p: fs.PathLike, ...rest: unknown[]) => {
        if (String(p) === broken) throw Object.assign(new Error(`EIO: i/o error, open '${broken}'`), { code: 'EIO' });
        return (realOpen as (...a: unknown[]) => Promise<fs.promises.FileHandle>).call(fs.promises, p, ...rest);
      }) as typeof fs.promises.open;
      // A file never read before is first opened with a blocking call: it fails there too.
      const nodeFs = createRequire(__filename)('node:fs') as typeof fs;
      const realOpenSync = nodeFs.openSync;
      nodeFs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
        if (String(p) === broken) throw Object.assign(new Error(`EIO: i/o error, open '${broken}'`), { code: 'EIO' });
        return (realOpenSync as (...a: unknown[]) => number).call(nodeFs, p, ...rest);
      }) as typeof fs.openSync;
      try {
        const r = await store.scan();
        assert.match(r.items.get(2)?.invalid ?? '', /^2_story_eio\.md: the file cannot be read: EIO/);
        assert.equal(r.items.get(3)?.invalid, undefined);
      } finally {
        nodeFs.openSync = realOpenSync;
        fs.promises.open = realOpen;
      }
    });

    it('a bad key type is shown with file:line and a patch keeps every other byte', async () => {
      const text = '---\nname: Keep\n# a comment\ndepends_on: [x]\ncustom: {a: 1}\n---\n# Keep\n\nbody text\n';
      const file = put('current', '3_story_keep.md', text);
      await store.scan();
      assert.match(store.get(3)?.invalid ?? '', /^3_story_keep\.md:4: key "depends_on" must be a list of story numbers/);
      await store.patch(3, { blocked: true });
      const out = fs.readFileSync(file, 'utf8');
      assert.ok(out.endsWith('\n---\n# Keep\n\nbody text\n'), out);
      assert.match(out, /# a comment\n/);
      const after = store.get(3)!;
      assert.deepEqual(after.frontMatter, { name: 'Keep', depends_on: ['x'], custom: { a: 1 }, blocked: true });
      assert.match(after.invalid ?? '', /:4: key "depends_on"/, 'still invalid, at the same line');
    });

    it('a patch that would make a valid story invalid is refused and the file is unchanged', async () => {
      const file = put('current', '3_story_ok.md', item('Ok'));
      await store.scan();
      await assert.rejects(store.patch(3, { blocked: 'yes' }), /3_story_ok\.md: the change would make it invalid: .*key "blocked" must be true or false/);
      assert.equal(fs.readFileSync(file, 'utf8'), item('Ok'));
    });

    it('a story with a duplicate key is invalid and is not rewritten', async () => {
      const text = '---\nname: A\nagent: a\nagent: b\n---\n';
      const file = put('current', '3_story_dup.md', text);
      await store.scan();
      assert.match(store.get(3)?.invalid ?? '', /^3_story_dup\.md:4: front matter is not valid YAML: key "agent" is set twice \(first on line 3\)/);
      await assert.rejects(store.patch(3, { agent: 'c' }), /set twice/);
      assert.equal(fs.readFileSync(file, 'utf8'), text);
    });
  });
});
