// The Problems panel's pure parts: where each problem of the snapshot goes (file, line, key) and
// the edits of its quick fixes.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  diagnosticsKey,
  fixEdit,
  fixFor,
  keyColumn,
  itemSpots,
  keyLine,
  parseProblemText,
  problemSpots,
  selfDependencySpot,
  type LineEdit,
} from '../../src/extension/problemSpots';
import { parseItem } from '../../src/core/store/itemFile';
import { checkProjectToml } from '../../src/core/config/project';

const root = '/work/proj';

/** The lines after applying one edit. */
function apply(lines: string[], e: LineEdit): string[] {
  if (e.removeLine) return lines.filter((_, i) => i !== e.line);
  return lines.map((l, i) => (i === e.line ? l.slice(0, e.start) + e.newText + l.slice(e.end) : l));
}

describe('Problems panel: problem places', () => {
  it('parses "<file>:<line>[:<column>]: <message>"', () => {
    assert.deepEqual(parseProblemText('.huskies/project.toml:4:7: bad value'), { file: '.huskies/project.toml', line: 4, column: 7, message: 'bad value' });
    assert.deepEqual(parseProblemText('12_story_x.md:3: key "qa" must be server, agent or human'), {
      file: '12_story_x.md',
      line: 3,
      column: undefined,
      message: 'key "qa" must be server, agent or human',
    });
    assert.equal(parseProblemText('Agent coder-1: claude was not found'), undefined);
  });

  it('places a config problem from the core at its file, line and key, with the "did you mean" fix', () => {
    const text = 'default_qa = "server"\nmax_codres = 4\n';
    const problems = checkProjectToml(text).problems;
    const spots = problemSpots({ root, items: [], problems: [], configProblems: problems });
    const unknown = spots.find((s) => /max_codres/.test(s.message));
    assert.ok(unknown, JSON.stringify(spots));
    assert.equal(unknown.file, path.resolve(root, '.huskies/project.toml'));
    assert.equal(unknown.line, 2);
    assert.equal(unknown.key, 'max_codres');
    assert.deepEqual(unknown.fix, { kind: 'replaceKey', from: 'max_codres', to: 'max_coders' });
    const lines = text.split('\n');
    assert.deepEqual(apply(lines, fixEdit(unknown.fix!, lines, 2)!), ['default_qa = "server"', 'max_coders = 4', '']);
  });

  it('a key defined twice in project.toml is placed on the later line and fixed by removing that line', () => {
    const text = 'max_coders = 2\ndefault_qa = "human"\nmax_coders = 5\n';
    const spots = problemSpots({ root, items: [], problems: [], configProblems: checkProjectToml(text).problems });
    const twice = spots.find((s) => /twice/.test(s.message));
    assert.ok(twice, JSON.stringify(spots));
    assert.equal(twice.line, 3);
    assert.deepEqual(twice.fix, { kind: 'removeLine' });
    const lines = text.split('\n');
    assert.deepEqual(apply(lines, fixEdit(twice.fix!, lines, 3)!), ['max_coders = 2', 'default_qa = "human"', '']);
  });

  it('never removes a table header or the first line of a multi-line value', () => {
    assert.equal(fixEdit({ kind: 'removeLine' }, ['[component]'], 1), undefined);
    assert.equal(fixEdit({ kind: 'removeLine' }, ['setup = ['], 1), undefined);
    assert.equal(fixEdit({ kind: 'removeLine' }, ['prompt = """'], 1), undefined);
  });

  it('an invalid story file gives one problem per part of its reason, each at its line', () => {
    const text = '---\nname: X\nqa: robot\ndepends_on: soon\n---\n# X\n';
    const item = parseItem(text, '7_story_x.md', '/work/proj/.huskies/work/1_backlog/7_story_x.md', 'backlog', 0);
    assert.ok(item.invalid);
    const spots = itemSpots(item);
    assert.deepEqual(
      spots.map((s) => [s.file, s.line, s.message]),
      [
        [item.path, 3, 'key "qa" must be server, agent or human'],
        [item.path, 4, 'key "depends_on" must be a list of story numbers, e.g. [40, 41]'],
      ],
    );
  });

  it('a key set twice in front matter offers to remove the later line', () => {
    const text = '---\nname: A\nname: B\n---\n';
    const item = parseItem(text, '8_story_y.md', '/p/8_story_y.md', 'backlog', 0);
    const [spot] = itemSpots(item);
    assert.equal(spot.line, 3);
    assert.deepEqual(spot.fix, { kind: 'removeLine' });
    assert.deepEqual(apply(text.split('\n'), fixEdit(spot.fix!, text.split('\n'), 3)!), ['---', 'name: A', '---', '']);
  });

  it('a story in two places is placed on its file; a stray file is placed on itself', () => {
    const item = {
      path: '/p/.huskies/work/1_backlog/5_story_a.md',
      fileName: '5_story_a.md',
      invalid: 'Story 5 is in two places: a and b. Remove or renumber one; no agent starts on it until then.',
    };
    const spots = itemSpots(item);
    assert.equal(spots.length, 1);
    assert.equal(spots[0].file, item.path);
    assert.match(spots[0].message, /two places.*until then\.$/);
    const stray = problemSpots({ root, items: [], problems: ['.huskies/work/1_backlog/notes.md: not a work item: the name does not start with a number'] });
    assert.deepEqual(stray, [
      { file: path.resolve(root, '.huskies/work/1_backlog/notes.md'), line: 1, severity: 'warning', message: 'not a work item: the name does not start with a number' },
    ]);
  });

  it('depends_on naming its own story is placed on the key and fixed by removing the number', () => {
    const spot = selfDependencySpot({ id: 42, path: '/p/42_story_z.md', dependsOn: [40, 42] });
    assert.ok(spot);
    assert.equal(spot.key, 'depends_on');
    assert.equal(selfDependencySpot({ id: 42, path: '/p/42_story_z.md', dependsOn: [40] }), undefined);
    const lines = ['---', 'name: Z', 'depends_on: [40, 42, 41] # parents', '---'];
    const line = keyLine(lines, 'depends_on')!;
    assert.equal(line, 3);
    assert.deepEqual(apply(lines, fixEdit(spot.fix!, lines, line)!), ['---', 'name: Z', 'depends_on: [40, 41] # parents', '---']);
    const single = ['---', 'depends_on: 42', 'name: Z', '---'];
    assert.deepEqual(apply(single, fixEdit(spot.fix!, single, 2)!), ['---', 'name: Z', '---']);
    const block = ['---', 'depends_on:', '  - 40', '  - 42', '---'];
    assert.deepEqual(apply(block, fixEdit(spot.fix!, block, 2)!), ['---', 'depends_on:', '  - 40', '---']);
  });

  it('replaces the unknown key as a whole word, also inside an inline table, never inside a longer key', () => {
    assert.equal(keyColumn('max_per_runtime = { claud = 2 }', 'claud'), 20);
    assert.equal(keyColumn('claude_x = 1', 'claude'), undefined);
    const lines = ['xmodle = 1', 'modle = "opus"'];
    assert.deepEqual(apply(lines, fixEdit({ kind: 'replaceKey', from: 'modle', to: 'model' }, lines, 2)!), ['xmodle = 1', 'model = "opus"']);
    assert.equal(fixEdit({ kind: 'replaceKey', from: 'modle', to: 'model' }, lines, 1), undefined);
  });

  it('offers no fix for a message without an obvious one', () => {
    assert.equal(fixFor('key "max_coders" must be a positive integer'), undefined);
    assert.equal(fixFor('unknown key "zzz"'), undefined);
  });
});

describe('Problems panel: unchanged problems are not sent again', () => {
  const d = (line: number, message: string, severity = 0) => ({ range: { start: { line, character: 0 }, end: { line, character: 5 } }, severity, message });
  it('gives the same key for the same diagnostics and fixes, another when anything shown changes', () => {
    const key = (m: Map<string, ReturnType<typeof d>[]>, fixes = new Map()) => diagnosticsKey(m, fixes);
    const base = key(new Map([['/p/a.md', [d(1, 'bad key')]]]));
    assert.equal(key(new Map([['/p/a.md', [d(1, 'bad key')]]])), base);
    assert.notEqual(key(new Map([['/p/a.md', [d(2, 'bad key')]]])), base, 'another line');
    assert.notEqual(key(new Map([['/p/a.md', [d(1, 'bad key', 1)]]])), base, 'another severity');
    assert.notEqual(key(new Map([['/p/a.md', [d(1, 'other')]]])), base, 'another message');
    assert.notEqual(key(new Map([['/p/b.md', [d(1, 'bad key')]]])), base, 'another file');
    assert.notEqual(key(new Map()), base, 'gone');
    const withFix = key(new Map([['/p/a.md', [d(1, 'bad key')]]]), new Map([['/p/a.md', [[d(1, 'bad key'), { kind: 'removeLine' }]]]]));
    assert.notEqual(withFix, base, 'a quick fix now');
  });
});
