// The fast front-matter reader against the YAML library: on many generated front matters it must
// give exactly the library's values and key lines, or give up (and the library reads the file).
import * as assert from 'node:assert/strict';
import { readFastFrontMatter } from '../../src/core/store/frontMatterFast';
import { parseItem, readFrontMatterByLibrary, readFrontMatterValues } from '../../src/core/store/itemFile';
import { mulberry32 } from '../../src/core/util/prng';

const rng = mulberry32;

const KEYS = ['name', 'agent', 'qa', 'depends_on', 'blocked', 'blocked_reason', 'review_hold', 'created', 'x-y', '_k', 'null', 'True', 'no', 'on', '__proto__', 'a1'];
const SCALARS = [
  'Add login form',
  'coder-opus',
  'server',
  'true',
  'False',
  'TRUE',
  'yes',
  'off',
  'null',
  'Null',
  '~',
  '42',
  '-7',
  '+5',
  '007',
  '-0',
  '0x1F',
  '0o17',
  '1.5',
  '.5',
  '1e3',
  '-.inf',
  '.NaN',
  '99999999999999999999',
  '9007199254740993',
  '2026-01-10',
  '1.2.3',
  '1_000',
  'x:y',
  'a: b',
  'ends:',
  'word #comment',
  'word#nocomment',
  'Fix [bug], now {really}',
  '-dash',
  '- item',
  '-',
  '?q',
  ':x',
  '&anchor v',
  '*alias',
  '!tag v',
  '|',
  '>',
  '%x',
  '@x',
  '`x`',
  '"quoted"',
  '"with \\"escape\\""',
  '"a" # c',
  '"a"b',
  '"unterminated',
  "'single'",
  "'it''s'",
  "'a' # c",
  "'open",
  'ünïcödé ✓',
  'emoji 🐺 ok',
  'nbsp\u00a0end\u00a0',
  'tab\there',
  'line\u2028sep',
  'ctrl\u0001x',
  'bom\ufeffx',
  '[40, 41]',
  '[]',
  '[ ]',
  '[a, b c]',
  '[1,,2]',
  '[1, 2,]',
  '[1, [2]]',
  '["a", b]',
  '[1, 2] # deps',
  '[1, 2] x',
  '[x: 1]',
  '{a: 1}',
  '{}',
  'trailing   ',
  ' ',
  '',
];
/** Values the fast reader is meant to read itself: most generated lines use these. */
const COMMON = ['Add login form', 'coder-2', 'human', 'true', 'false', '12', '2026-01-10', '"waiting for the API key"', "'it''s'", '[40, 41]', '[]', 'x # note', 'null', ''];
const LINES = ['', '# a comment', '  indented: x', '  continuation', '...', '- top item', 'key:novalue', 'key :x', '<<: x', '\t', 'key:\ttab'];

function frontMatter(r: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const roll = r();
    if (roll < 0.1) out.push(pick(LINES));
    else if (roll < 0.25) {
      // a block list, sometimes broken
      out.push(`${pick(KEYS)}:`);
      const indent = pick(['', '  ', '    ']);
      const k = Math.floor(r() * 4);
      for (let j = 0; j < k; j++) out.push(`${r() < 0.1 ? pick(['', ' ', '      ']) : indent}- ${r() < 0.6 ? pick(COMMON) : pick(SCALARS)}`);
    } else out.push(`${pick(KEYS)}:${pick([' ', '  ', ' ', ''])}${r() < 0.6 ? pick(COMMON) : pick(SCALARS)}`);
  }
  return out.join('\n') + '\n';
}

describe('store: the fast front-matter reader', () => {
  it('agrees with the YAML library on 20,000 generated front matters, or leaves them to it', () => {
    let fast = 0;
    for (let seed = 1; seed <= 20_000; seed++) {
      const yaml = frontMatter(rng(seed));
      const got = readFastFrontMatter(yaml);
      if (!got) continue;
      fast++;
      const lib = readFrontMatterByLibrary(yaml);
      assert.ok(!('problem' in lib), `seed ${seed}: the fast reader accepted what the library refuses (${'problem' in lib ? lib.problem : ''}):\n${yaml}`);
      assert.deepEqual(got.fm, lib.fm, `seed ${seed}: values differ for:\n${yaml}`);
      assert.deepEqual([...got.keyLines], [...lib.keyLines], `seed ${seed}: key lines differ for:\n${yaml}`);
      assert.equal(Object.getPrototypeOf(got.fm), Object.prototype);
    }
    // The generator mixes in much the fast reader must leave alone; a good share must still be read fast.
    assert.ok(fast > 2_000, `only ${fast} of 20,000 read fast`);
  });

  it('reads the common shapes itself', () => {
    const yaml =
      "name: Add login\nagent: coder-1   # pinned\nqa: \"human\"\ndepends_on: [40, 41]\nlabels:\n  - ui\n  - 'it''s'\nblocked: false\nblocked_reason:\ncreated: 2026-01-10\n";
    const got = readFastFrontMatter(yaml);
    assert.ok(got, 'read fast');
    assert.deepEqual(got.fm, {
      name: 'Add login',
      agent: 'coder-1',
      qa: 'human',
      depends_on: [40, 41],
      labels: ['ui', "it's"],
      blocked: false,
      blocked_reason: null,
      created: '2026-01-10',
    });
    assert.deepEqual([...got.keyLines], [...(readFrontMatterByLibrary(yaml) as { keyLines: Map<string, number> }).keyLines]);
  });

  it('leaves duplicates, anchors, aliases, nested maps, escapes and unusual numbers to the library', () => {
    for (const yaml of ['a: 1\na: 2\n', 'a: &x 1\n', 'a: *x\n', 'a:\n  b: 1\n', 'a: "x\\ny"\n', 'a: 0x10\n', 'a: 1.5\n', 'a: |\n  text\n', 'a: b\n  c\n', '__proto__: 1\n']) {
      assert.equal(readFastFrontMatter(yaml), undefined, yaml);
    }
  });

  it('a story read fast is the same item as one read by the library', () => {
    const text = '---\nname: Login\ndepends_on: [4]\nblocked: true\nblocked_reason: "waiting"\nqa: robot\n---\n# Login\n\n- [ ] a\n- [x] b\n';
    const item = parseItem(text, '42_story_login.md', '/p/42_story_login.md', 'current', 1);
    assert.ok(readFastFrontMatter(text.split('---\n')[1]));
    assert.deepEqual(item.frontMatter, { name: 'Login', depends_on: [4], blocked: true, blocked_reason: 'waiting', qa: 'robot' });
    assert.match(item.invalid ?? '', /^42_story_login\.md:6: key "qa" must be server, agent or human$/);
    assert.deepEqual(item.dependsOn, [4]);
    assert.equal(item.blocked, true);
  });

  it('a front matter over the size limit is refused before any reading', () => {
    const yaml = Array.from({ length: 2000 }, (_, i) => `key_${i}: ${'ü'.repeat(20)}`).join('\n') + '\n';
    assert.ok(yaml.length < 64 * 1024 && Buffer.byteLength(yaml) > 64 * 1024);
    const read = readFrontMatterValues(yaml);
    assert.ok('problem' in read && /too large/.test(read.problem));
  });
});
