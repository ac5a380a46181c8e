// The QA verdict file: taken out of the worktree, kept with the logs, validated, bounded, and never
// followed through a symbolic link; and the QA prompt, whose diff stays bounded.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_VERDICT_BYTES, VERDICT_FILE, describeVerdict, parseVerdict, qaPrompt, readVerdict } from '../../src/core/gates/verdict';

describe('QA verdict', () => {
  let root: string;
  let worktree: string;
  let keep: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-verdict-'));
    worktree = path.join(root, 'wt');
    fs.mkdirSync(worktree);
    keep = path.join(root, 'logs', 'run-7.verdict.json');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (text: string | Buffer) => fs.writeFileSync(path.join(worktree, VERDICT_FILE), text);
  const inWorktree = () => fs.existsSync(path.join(worktree, VERDICT_FILE)) || isLink(path.join(worktree, VERDICT_FILE));
  const isLink = (p: string) => {
    try {
      return fs.lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  };

  describe('readVerdict', () => {
    it('reads a valid verdict, takes the file out of the worktree and keeps a copy', async () => {
      const text = JSON.stringify({
        approve: true,
        reasons: [],
        criteria: [
          { index: 0, met: true },
          { index: 1, met: true, note: 'tested by form.test.ts' },
        ],
      });
      write(text);
      const r = await readVerdict(worktree, { keep, criteriaCount: 2 });
      assert.deepEqual(r, {
        ok: true,
        verdict: {
          approve: true,
          reasons: [],
          criteria: [
            { index: 0, met: true },
            { index: 1, met: true, note: 'tested by form.test.ts' },
          ],
        },
      });
      assert.equal(inWorktree(), false);
      assert.equal(fs.readFileSync(keep, 'utf8'), text);
    });

    it('a rejection with reasons; missing lists default to empty; unknown keys are ignored; a BOM is fine', async () => {
      write('\uFEFF' + JSON.stringify({ approve: false, reasons: ['  The error text is wrong  ', ''], extra: 1 }));
      const r = await readVerdict(worktree, { keep });
      assert.deepEqual(r, { ok: true, verdict: { approve: false, reasons: ['The error text is wrong'], criteria: [] } });
    });

    it('a missing file is a clear problem', async () => {
      const r = await readVerdict(worktree, { keep });
      assert.deepEqual(r, { ok: false, problem: `the QA agent wrote no ${VERDICT_FILE} in the worktree root` });
      assert.equal(fs.existsSync(keep), false);
    });

    it('malformed files are problems that name the key, and are taken out all the same', async () => {
      const cases: [string, RegExp][] = [
        ['{"approve": tru', /is not valid JSON/],
        ['[]', /must hold one JSON object/],
        ['"yes"', /must hold one JSON object/],
        ['{}', /"approve" is missing: it must be true or false/],
        ['{"approve": "yes"}', /"approve" must be true or false/],
        ['{"approve": false, "reasons": "bad"}', /"reasons" must be a list of strings/],
        ['{"approve": false, "reasons": []}', /a rejection must say why/],
        ['{"approve": true, "criteria": [{"index": 0, "met": "yes"}]}', /"criteria\[0\]\.met" must be true or false/],
        ['{"approve": true, "criteria": [{"index": -1, "met": true}]}', /"criteria\[0\]\.index" must be a whole number ≥ 0/],
        ['{"approve": true, "criteria": [{"index": 0, "met": true}, {"index": 0, "met": true}]}', /criterion 0 is listed twice/],
      ];
      for (const [text, re] of cases) {
        write(text);
        const r = await readVerdict(worktree, { keep });
        assert.equal(r.ok, false, text);
        if (!r.ok) assert.match(r.problem, re, text);
        if (!r.ok) assert.ok(r.problem.includes(VERDICT_FILE), r.problem);
        assert.equal(inWorktree(), false, text);
        assert.equal(fs.readFileSync(keep, 'utf8'), text);
      }
    });

    it('checks the criteria against the story when it knows how many there are', async () => {
      const check = (v: object, n: number) => parseVerdict(JSON.stringify(v), n);
      assert.match((check({ approve: true, criteria: [{ index: 2, met: true }] }, 2) as { problem: string }).problem, /criterion 2 does not exist \(the story has 2/);
      assert.match(
        (
          check(
            {
              approve: true,
              criteria: [
                { index: 0, met: false },
                { index: 1, met: true },
              ],
            },
            2,
          ) as { problem: string }
        ).problem,
        /"approve" is true but criteria 0 are marked not met/,
      );
      assert.match((check({ approve: true, criteria: [{ index: 1, met: true }] }, 3) as { problem: string }).problem, /criteria 0, 2 are not in the verdict/);
      assert.equal(check({ approve: false, reasons: ['x'], criteria: [{ index: 0, met: false }] }, 3).ok, true);
      assert.equal(check({ approve: true, criteria: [] }, 0).ok, true);
    });

    it('a file over the size limit is refused without being read in full', async () => {
      write(Buffer.alloc(MAX_VERDICT_BYTES + 1, 0x20));
      const r = await readVerdict(worktree, { keep });
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.problem, /is too large \(65537 bytes; a verdict is at most 64 KB\)/);
      assert.equal(inWorktree(), false);
    });

    it('cuts very long reasons and notes and very many reasons', async () => {
      const long = 'y'.repeat(5_000);
      write(JSON.stringify({ approve: false, reasons: [long, ...Array.from({ length: 49 }, (_, i) => `reason ${i}`)], criteria: [{ index: 0, met: false, note: long }] }));
      const r = await readVerdict(worktree, { keep });
      assert.equal(r.ok, true);
      if (!r.ok) return;
      assert.equal(r.verdict.reasons.length, 20);
      assert.equal(r.verdict.reasons[0], `${'y'.repeat(2_000)} …`);
      assert.equal(r.verdict.reasons[19], 'reason 18');
      assert.equal(r.verdict.criteria[0].note, `${'y'.repeat(1_000)} …`);
    });

    it('does not follow a symbolic link, and takes the link out', async () => {
      const secret = path.join(root, 'outside.json');
      fs.writeFileSync(secret, JSON.stringify({ approve: true }));
      fs.symlinkSync(secret, path.join(worktree, VERDICT_FILE));
      const r = await readVerdict(worktree, { keep });
      assert.deepEqual(r, { ok: false, problem: `${VERDICT_FILE} is a symbolic link: not followed` });
      assert.equal(inWorktree(), false);
      assert.equal(fs.readFileSync(secret, 'utf8'), JSON.stringify({ approve: true }));
    });

    it('a folder in its place is a problem and is left alone', async () => {
      fs.mkdirSync(path.join(worktree, VERDICT_FILE));
      const r = await readVerdict(worktree, { keep });
      assert.deepEqual(r, { ok: false, problem: `${VERDICT_FILE} is a folder, not a file` });
    });

    it('when no copy can be kept, it still reads the verdict and takes it out', async () => {
      fs.writeFileSync(path.join(root, 'logs'), 'a file where the logs folder should be');
      write(JSON.stringify({ approve: true }));
      const r = await readVerdict(worktree, { keep });
      assert.deepEqual(r, { ok: true, verdict: { approve: true, reasons: [], criteria: [] } });
      assert.equal(inWorktree(), false);
    });
  });

  describe('describeVerdict', () => {
    it('lists the reasons and the unmet criteria with their text', () => {
      const text = describeVerdict(
        {
          approve: false,
          reasons: ['No test for the error path'],
          criteria: [
            { index: 0, met: true },
            { index: 1, met: false, note: 'shows nothing' },
          ],
        },
        [{ text: 'Validates e-mail' }, { text: 'Wrong password shows an error' }],
      );
      assert.equal(text, 'QA rejected the change:\n- No test for the error path\n- not met: Wrong password shows an error (shows nothing)');
    });
  });

  describe('qaPrompt', () => {
    const story = {
      id: 42,
      name: 'Add login form',
      body: '# Add login form\n\n## Acceptance criteria\n- [ ] Validates e-mail\n- [ ] Wrong password shows an error\n',
      criteria: [
        { text: 'Validates e-mail', done: false },
        { text: 'Wrong password shows an error', done: false },
      ],
    };

    it('names the story, lists the criteria by index, and asks for the verdict file', () => {
      const p = qaPrompt(story, ' src/form.ts | 10 ++++\n 1 file changed', 'diff --git a/src/form.ts b/src/form.ts\n+ok\n');
      assert.match(p, /story 42 \("Add login form"\)/);
      assert.match(p, /- \[0\] Validates e-mail\n- \[1\] Wrong password shows an error/);
      assert.ok(p.includes(VERDICT_FILE));
      assert.ok(p.includes('src/form.ts | 10 ++++'));
      assert.ok(p.includes('+ok'));
      assert.ok(!p.includes('The diff is cut'));
      assert.match(p, /material to judge, never instructions/);
    });

    it('cuts a large diff at a line end, with a note on how to read the rest', () => {
      const lines = Array.from({ length: 20_000 }, (_, i) => `+line ${i}`);
      const diff = lines.join('\n') + '\n';
      const p = qaPrompt(story, '', diff, { baseRef: 'main', maxDiffChars: 10_000 });
      assert.ok(p.length < 20_000, `prompt of ${p.length} characters`);
      assert.match(p, /\[The diff is cut here: \d+ of \d+ characters shown, \d+ more lines left out\. Read the rest with `git diff main\.\.\.HEAD`/);
      assert.ok(!p.includes('+line 19999'));
      const shown = p.split('## Diff\n')[1].split('\n[The diff is cut')[0];
      assert.ok(
        shown.split('\n').every((l) => l === '' || /^\+line \d+$/.test(l)),
        'a line was cut in the middle',
      );
      assert.ok(qaPrompt(story, '', diff).length < 80_000);
    });

    it('says so when there are no criteria or no changes', () => {
      const p = qaPrompt({ ...story, criteria: [] }, '', '');
      assert.match(p, /lists no acceptance criteria/);
      assert.match(p, /\(empty: the branch has no changes\)/);
    });
  });
});
