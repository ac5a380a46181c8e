// Hostile and odd story text: YAML aliases and bombs, CRLF and CR line ends, non-UTF-8 bytes,
// file names with odd case or too many digits, huge front matter, keys of the wrong type.
import * as assert from 'node:assert/strict';
import {
  MAX_FRONT_MATTER_BYTES,
  MAX_ITEM_BYTES,
  decodeItemBytes,
  notWorkItemReason,
  parseFileName,
  parseItem,
  patchFrontMatter,
  splitFrontMatter,
} from '../../src/core/store/itemFile';

const FILE = '42_story_add_login.md';
const parse = (text: string, fileName = FILE) => parseItem(text, fileName, `/p/.huskies/work/2_current/${fileName}`, 'current', 1);

/** The classic billion-laughs document: ten levels of nine aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const k = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    lines.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  return `---\nname: Bomb\n${lines.join('\n')}\n---\n# Bomb\n`;
}

describe('store: hostile front matter', () => {
  describe('YAML aliases and anchors', () => {
    it('an alias to a missing anchor makes the story invalid at its line instead of throwing', () => {
      const item = parse('---\nagent: coder-1\nname: *x\n---\n# Title\n- [ ] a\n');
      assert.match(item.invalid ?? '', /^42_story_add_login\.md:3: front matter uses the YAML alias \*x; aliases and anchors are not allowed/);
      assert.deepEqual(item.frontMatter, {});
      assert.equal(item.name, 'Title', 'still shown, named from its heading');
      assert.deepEqual(item.criteria, [{ done: false, text: 'a' }]);
    });

    it('an anchor is refused on its line, even when no alias uses it', () => {
      assert.match(parse('---\nname: x\nbase: &b {agent: a}\n---\n').invalid ?? '', /^42_story_add_login\.md:3: front matter sets the YAML anchor &b/);
      assert.match(parse('---\nname: x\nlist: &l [1]\nother: *l\n---\n').invalid ?? '', /:3: front matter sets the YAML anchor &l/);
    });

    it('a merge key (<<: *base) is refused', () => {
      assert.match(parse('---\nbase: &b {blocked: true}\n<<: *b\n---\n').invalid ?? '', /anchor &b/);
    });

    it('an alias bomb is reported without being expanded', () => {
      const item = parse(aliasBomb());
      assert.match(item.invalid ?? '', /^42_story_add_login\.md:3: front matter sets the YAML anchor &a/);
      assert.deepEqual(item.frontMatter, {});
    });

    it('a patch refuses front matter with aliases rather than rewriting it', () => {
      assert.throws(() => patchFrontMatter('---\nname: *x\n---\nbody\n', { blocked: true }), /cannot rewrite front matter: line 2: .*alias \*x/);
      assert.throws(() => patchFrontMatter(aliasBomb(), { blocked: true }), /anchor &a/);
    });
  });

  describe('CRLF and CR line ends', () => {
    const lines = ['---', 'name: Login', 'agent: coder-1', 'depends_on: [4]', 'blocked: true', '---', '# Login', '', '- [ ] a', '- [x] b', ''];

    for (const [label, eol] of [
      ['CRLF', '\r\n'],
      ['lone CR', '\r'],
    ] as const) {
      it(`a ${label} file parses exactly like the LF one`, () => {
        const lf = parse(lines.join('\n'));
        const other = parse(lines.join(eol));
        assert.equal(other.blocked, true, 'the last key must not keep a \\r');
        assert.equal(other.invalid, undefined);
        assert.deepEqual({ ...other, mtimeMs: 0 }, { ...lf, mtimeMs: 0 });
        assert.equal(other.body, '# Login\n\n- [ ] a\n- [x] b\n', 'the body is given with LF line ends');
      });

      it(`a ${label} file reports the right line for a bad key`, () => {
        const bad = lines.map((l) => (l.startsWith('depends_on') ? 'depends_on: [x]' : l)).join(eol);
        assert.match(parse(bad).invalid ?? '', /^42_story_add_login\.md:4: key "depends_on"/);
      });

      it(`patching a ${label} file keeps its line ends and its body byte for byte`, () => {
        const text = lines.join(eol);
        const out = patchFrontMatter(text, { blocked: undefined, blocked_reason: 'two\nlines' });
        const { yaml, body } = splitFrontMatter(out);
        assert.equal(body, splitFrontMatter(text).body);
        const head = out.slice(0, out.length - body.length);
        assert.equal(head.split(eol).join(''), head.replace(/[\r\n]/g, ''), `every line break of the front matter is ${label}: ${JSON.stringify(head)}`);
        assert.ok(yaml!.includes('agent: coder-1'));
        const item = parse(out);
        assert.equal(item.invalid, undefined);
        assert.equal(item.blocked, false);
        assert.equal(item.blockedReason, 'two\nlines');
        assert.equal(item.agent, 'coder-1');
      });
    }

    it('a BOM survives a patch', () => {
      const out = patchFrontMatter('\uFEFF---\r\nname: x\r\n---\r\nbody\r\n', { agent: 'a' });
      assert.equal(out, '\uFEFF---\r\nname: x\r\nagent: a\r\n---\r\nbody\r\n');
    });

    it('a file without front matter gets one in its own line ends', () => {
      assert.equal(patchFrontMatter('# T\r\nbody\r\n', { blocked: true }), '---\r\nblocked: true\r\n---\r\n# T\r\nbody\r\n');
    });
  });

  describe('bytes that are not UTF-8 text', () => {
    it('text, with a BOM kept for the rewrite', () => {
      assert.deepEqual(decodeItemBytes(Buffer.from('\uFEFF# ünï ✓\n')), { text: '\uFEFF# ünï ✓\n' });
    });

    it('a NUL byte, invalid UTF-8, UTF-16 and a huge file each have a clear reason', () => {
      const problem = (b: Uint8Array) => ('problem' in decodeItemBytes(b) ? (decodeItemBytes(b) as { problem: string }).problem : 'decoded');
      assert.match(problem(Buffer.from('---\nname: x\n---\n\0\0')), /NUL byte \(at byte 16\)/);
      assert.match(problem(Buffer.from([0x23, 0x20, 0xc3, 0x28, 0x0a])), /not valid UTF-8/);
      assert.match(problem(Buffer.from('\uFEFF# t', 'utf16le')), /UTF-16/);
      assert.match(problem(Buffer.alloc(MAX_ITEM_BYTES + 1, 0x61)), /at most/);
    });
  });

  describe('file names', () => {
    it('the .md extension is accepted in any case', () => {
      for (const n of ['42_story_x.MD', '42_story_x.Md', '42_story_x.mD']) assert.deepEqual(parseFileName(n), { id: 42, type: 'story', slug: 'x' }, n);
      assert.equal(parse('# X', '42_story_x.MD').invalid, undefined);
    });

    it('a number with more than 9 digits is not a work item, and says why', () => {
      assert.equal(parseFileName('1234567890_story_x.md'), undefined);
      assert.match(notWorkItemReason('1234567890_story_x.md') ?? '', /more than 9 digits/);
      assert.deepEqual(parseFileName('999999999_story_x.md'), { id: 999999999, type: 'story', slug: 'x' });
    });
  });

  describe('size', () => {
    it('a front matter of 20,000 keys is invalid as too large, and is not parsed', () => {
      const keys = Array.from({ length: 20_000 }, (_, i) => `key_${i}: ${i}`).join('\n');
      const item = parse(`---\n${keys}\n---\n# Big\n`);
      assert.match(item.invalid ?? '', /^42_story_add_login\.md:2: front matter is too large \(\d+ KiB; at most 64 KiB\)/);
      assert.deepEqual(item.frontMatter, {});
      assert.equal(item.name, 'Big');
    });

    it('a duplicate key among thousands is found, naming both lines', () => {
      const keys = Array.from({ length: 3000 }, (_, i) => `k${i}: ${i}`);
      keys.push('k17: again');
      const item = parse(`---\n${keys.join('\n')}\n---\n`);
      assert.match(item.invalid ?? '', /^42_story_add_login\.md:3002: front matter is not valid YAML: key "k17" is set twice \(first on line 19\)/);
    });

    it('a duplicate key in a nested mapping is found too', () => {
      assert.match(parse('---\nname: x\ncustom:\n  a: 1\n  a: 2\n---\n').invalid ?? '', /:5: .*key "a" is set twice/);
    });

    it('a patch that would grow the front matter past the limit is refused', () => {
      assert.throws(() => patchFrontMatter('---\nname: x\n---\n', { blocked_reason: 'x'.repeat(MAX_FRONT_MATTER_BYTES) }), /larger than 64 KiB/);
    });
  });

  describe('keys of the wrong type', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['blocked', '"yes"', /key "blocked" must be true or false/],
      ['blocked', 'yes', /key "blocked" must be true or false/],
      ['blocked', '1', /key "blocked" must be true or false/],
      ['review_hold', 'on', /key "review_hold" must be true or false/],
      ['blocked_reason', '[a]', /key "blocked_reason" must be a string/],
      ['qa', 'robot', /key "qa" must be server, agent or human/],
      ['agent', '""', /key "agent" must be an agent name/],
      ['depends_on', '[100000000000000000000]', /key "depends_on" must be a list of story numbers/],
      ['depends_on', '[1000000000]', /key "depends_on" must be a list of story numbers/],
    ];
    for (const [key, value, message] of cases) {
      it(`${key}: ${value} is invalid, naming the file and the line of the key`, () => {
        const item = parse(`---\nname: x\n${key}: ${value}\n---\n`);
        assert.match(item.invalid ?? '', new RegExp(`^42_story_add_login\\.md:3: ${message.source}`));
      });
    }

    it('a story whose blocked key is not a real true is not blocked, and is invalid (so no agent starts)', () => {
      const item = parse('---\nblocked: "true"\n---\n');
      assert.equal(item.blocked, false);
      assert.ok(item.invalid);
    });

    it('problems are listed in line order', () => {
      const inv = parse('---\nqa: robot\nname: x\nagent: 5\nblocked: no\n---\n').invalid ?? '';
      assert.deepEqual(
        inv.split('; ').map((p) => Number(/^[^:]+:(\d+):/.exec(p)?.[1])),
        [2, 4, 5],
      );
    });

    it('a __proto__ key is kept as a plain key and changes nothing else', () => {
      const item = parse('---\n__proto__: {blocked: true}\n---\n');
      assert.equal(item.blocked, false);
      assert.equal(Object.getPrototypeOf(item.frontMatter), Object.prototype);
      assert.equal(({} as Record<string, unknown>).blocked, undefined);
    });

    it('the valid values still parse', () => {
      const item = parse('---\nname: x\nqa: human\nreview_hold: false\nblocked: false\nblocked_reason: none\ndepends_on: 999999999\n---\n');
      assert.equal(item.invalid, undefined);
      assert.deepEqual(item.dependsOn, [999999999]);
    });
  });
});
