// Unit tests for one work-item file: name, front matter, checklist, rewrite and creation.
import * as assert from 'node:assert/strict';
import { notWorkItemReason, parseCriteria, parseFileName, parseItem, patchFrontMatter, renderNewItem, setCriterion, splitFrontMatter } from '../../src/core/store/itemFile';
import type { Stage } from '../../src/core/model/stage';

const parse = (text: string, fileName = '42_story_add_login.md', stage: Stage = 'backlog') => parseItem(text, fileName, `/p/.huskies/work/1_backlog/${fileName}`, stage, 1234);

describe('itemFile: parseFileName', () => {
  it('splits <number>_<type>_<slug>.md', () => {
    assert.deepEqual(parseFileName('42_story_add_login.md'), { id: 42, type: 'story', slug: 'add_login' });
    assert.deepEqual(parseFileName('7_bug_crash-on-start.md'), { id: 7, type: 'bug', slug: 'crash-on-start' });
    assert.deepEqual(parseFileName('0012_spike_x.md'), { id: 12, type: 'spike', slug: 'x' });
    // an unknown type still parses here; parseItem reports it
    assert.deepEqual(parseFileName('3_feature_y.md'), { id: 3, type: 'feature', slug: 'y' });
  });

  it('rejects names that do not follow the pattern', () => {
    for (const n of [
      'story_add.md',
      '42_story_add.txt',
      '42-story-add.md',
      '42_Story_add.md',
      '42_story_Add.md',
      'x42_story_a.md',
      '42_story_a.md.bak',
      '1234567890_story_a.md',
      '.42_story_a.md',
      '42.md',
      '',
    ]) {
      assert.equal(parseFileName(n), undefined, n);
    }
  });
});

describe('itemFile: splitFrontMatter', () => {
  it('returns the yaml between the --- lines and the body after them', () => {
    assert.deepEqual(splitFrontMatter('---\nname: x\nagent: a\n---\n# T\nbody\n'), { yaml: 'name: x\nagent: a\n', body: '# T\nbody\n' });
  });

  it('handles an empty front matter, CRLF, a BOM and trailing blanks after ---', () => {
    assert.deepEqual(splitFrontMatter('---\n---\nbody'), { yaml: '', body: 'body' });
    const crlf = splitFrontMatter('---\r\nname: x\r\n---\r\nbody\r\n');
    assert.equal(crlf.body, 'body\r\n');
    assert.equal(crlf.yaml?.replace(/\r/g, '').trimEnd(), 'name: x');
    assert.deepEqual(splitFrontMatter('\uFEFF---\nname: x\n---\nb'), { yaml: 'name: x\n', body: 'b' });
    assert.deepEqual(splitFrontMatter('---\nname: x\n---  \nb'), { yaml: 'name: x\n', body: 'b' });
    assert.deepEqual(splitFrontMatter('---\nname: x\n---'), { yaml: 'name: x\n', body: '' });
  });

  it('a file without front matter is all body', () => {
    assert.deepEqual(splitFrontMatter('# Title\n---\nnot front matter\n'), { body: '# Title\n---\nnot front matter\n' });
    assert.deepEqual(splitFrontMatter(''), { body: '' });
  });

  it('a missing closing --- gives no yaml and the whole text as body', () => {
    const r = splitFrontMatter('---\nname: x\n# body\n');
    assert.equal(r.yaml, undefined);
    assert.equal(r.body, '---\nname: x\n# body\n');
  });

  it('a longer dash line or an indented --- does not close the front matter', () => {
    assert.equal(splitFrontMatter('---\nname: x\n----\nb').yaml, undefined);
    assert.equal(splitFrontMatter('---\nname: |\n  a\n  ---\n---\nb').yaml, 'name: |\n  a\n  ---\n');
  });
});

describe('itemFile: parseCriteria', () => {
  it('reads [ ], [x] and [X] with -, * and + bullets, indented or not', () => {
    const body = ['- [ ] one', '- [x] two', '* [X] three', '+ [ ] four', '  - [x]   five  ', '\t* [ ] six'].join('\n');
    assert.deepEqual(parseCriteria(body), [
      { done: false, text: 'one' },
      { done: true, text: 'two' },
      { done: true, text: 'three' },
      { done: false, text: 'four' },
      { done: true, text: 'five' },
      { done: false, text: 'six' },
    ]);
  });

  it('ignores lines that are not checklist items', () => {
    const body = ['- plain bullet', '- [] empty box', '- [y] other mark', '-[ ] no space', '[ ] no bullet', '1. [ ] numbered', '- [ ]', 'text - [ ] inline'].join('\n');
    assert.deepEqual(parseCriteria(body), []);
  });

  it('ignores checkboxes inside ``` and ~~~ fenced code', () => {
    const body = ['- [ ] before', '```markdown', '- [ ] in code', '- [x] in code', '```', '~~~', '* [ ] tilde code', '~~~', '- [x] after'].join('\n');
    assert.deepEqual(parseCriteria(body), [
      { done: false, text: 'before' },
      { done: true, text: 'after' },
    ]);
  });

  it('works with CRLF line ends', () => {
    assert.deepEqual(parseCriteria('- [ ] a\r\n- [x] b\r\n'), [
      { done: false, text: 'a' },
      { done: true, text: 'b' },
    ]);
  });

  // CommonMark: a fence is closed only by the same character, at least as long. A ``` line inside
  // a ~~~ block (markdown showing markdown) does not end the ~~~ block.
  it('a ``` line inside a ~~~ block does not end the block', () => {
    const body = ['~~~', '```', '- [ ] inside the tilde block', '```', '~~~', '- [x] real'].join('\n');
    assert.deepEqual(parseCriteria(body), [{ done: true, text: 'real' }]);
  });
});

describe('itemFile: parseItem', () => {
  it('reads a complete item', () => {
    const text = ['---', 'name: Add login form', 'agent: coder-opus', 'qa: server', 'depends_on: [40, 41]', '---', '# Heading', '', '- [ ] a', '- [x] b', ''].join('\n');
    const it1 = parse(text);
    assert.equal(it1.id, 42);
    assert.equal(it1.type, 'story');
    assert.equal(it1.slug, 'add_login');
    assert.equal(it1.stage, 'backlog');
    assert.equal(it1.fileName, '42_story_add_login.md');
    assert.equal(it1.path, '/p/.huskies/work/1_backlog/42_story_add_login.md');
    assert.equal(it1.name, 'Add login form');
    assert.equal(it1.agent, 'coder-opus');
    assert.deepEqual(it1.dependsOn, [40, 41]);
    assert.deepEqual(it1.criteria, [
      { done: false, text: 'a' },
      { done: true, text: 'b' },
    ]);
    assert.equal(it1.body, '# Heading\n\n- [ ] a\n- [x] b\n');
    assert.equal(it1.blocked, false);
    assert.equal(it1.invalid, undefined);
    assert.equal(it1.mtimeMs, 1234);
  });

  it('name: front matter first, then the first # heading, then the slug', () => {
    assert.equal(parse('---\nname: "  From FM  "\n---\n# From heading\n').name, 'From FM');
    assert.equal(parse('---\nagent: a\n---\nintro\n## Sub heading\n# From heading #\nmore').name, 'From heading');
    assert.equal(parse('# Only heading\n').name, 'Only heading');
    assert.equal(parse('---\nname: "   "\n---\n# Blank name falls back\n').name, 'Blank name falls back');
    assert.equal(parse('no heading here\n').name, 'Add login');
    assert.equal(parse('', '5_bug_fix_the_crash.md').name, 'Fix the crash');
  });

  it('depends_on accepts a list or a single number', () => {
    assert.deepEqual(parse('---\ndepends_on: 7\n---\n').dependsOn, [7]);
    assert.deepEqual(parse('---\ndepends_on:\n  - 3\n  - 4\n---\n').dependsOn, [3, 4]);
    assert.deepEqual(parse('---\ndepends_on: []\n---\n').dependsOn, []);
    assert.deepEqual(parse('---\nname: x\n---\n').dependsOn, []);
  });

  it('a bad depends_on makes the item invalid, naming the file and the line of the key', () => {
    for (const v of ['[40, "x"]', '[0]', '[-3]', '[1.5]', '"40"', 'yes', '{a: 1}']) {
      const item = parse(`---\nname: x\nagent: a\ndepends_on: ${v}\n---\nbody\n`);
      assert.ok(item.invalid, v);
      assert.match(item.invalid!, /^42_story_add_login\.md:4: key "depends_on"/, v);
      assert.deepEqual(item.dependsOn, [], v);
    }
  });

  it('a non-string agent is reported with its line', () => {
    const item = parse('---\nname: x\nagent: 5\n---\n');
    assert.match(item.invalid ?? '', /42_story_add_login\.md:3: key "agent"/);
    assert.equal(item.agent, undefined);
  });

  it('a non-string name is reported and still shown', () => {
    const item = parse('---\nname: 12\n---\n');
    assert.match(item.invalid ?? '', /42_story_add_login\.md:2: key "name" must be a string/);
    assert.equal(item.name, '12');
  });

  it('bad YAML makes the item invalid with the file name and the line of the error', () => {
    // line 1 is ---, so the error on the third yaml line is on line 4 of the file
    const item = parse('---\nname: x\nagent: a\nqa: @bad\n---\n# Body\n- [ ] still read\n');
    assert.ok(item.invalid);
    assert.match(item.invalid!, /^42_story_add_login\.md:\d+: front matter is not valid YAML/);
    assert.equal(item.name, 'Body', 'the item is still shown, named from its heading');
    assert.deepEqual(item.criteria, [{ done: false, text: 'still read' }]);
    assert.deepEqual(item.frontMatter, {});
    assert.match(item.invalid!, /^42_story_add_login\.md:4:/, `the line must be the one with the error: ${item.invalid}`);
  });

  it('a duplicate key is bad YAML on the line of the second key', () => {
    const item = parse('---\nname: x\nname: y\n---\n');
    assert.match(item.invalid ?? '', /^42_story_add_login\.md:3: front matter is not valid YAML/, String(item.invalid));
  });

  it('front matter that is not a mapping is invalid', () => {
    const item = parse('---\n- a\n- b\n---\nbody');
    assert.match(item.invalid ?? '', /42_story_add_login\.md:2: front matter must be a mapping/);
  });

  it('a missing closing --- is reported on line 1', () => {
    const item = parse('---\nname: x\n# Title\n- [ ] a\n');
    assert.equal(item.invalid, '42_story_add_login.md:1: the front matter starts with --- but has no closing --- line');
  });

  it('an unknown type in the file name is invalid, naming the file and the types', () => {
    const item = parse('# x', '9_feature_thing.md');
    assert.equal(item.id, 9);
    assert.match(item.invalid ?? '', /9_feature_thing\.md: unknown type "feature"/);
    assert.match(item.invalid ?? '', /story, bug, spike, refactor/);
  });

  // A stray notes.md used to become a card with an invented negative number.
  it("a file name that is not a work item's is refused, never given an invented number", () => {
    assert.throws(() => parse('# x', 'notes.md'), /notes\.md: not a work item: the file name must look like <number>_<type>_<slug>\.md/);
    assert.equal(notWorkItemReason('42_story_a.md'), undefined);
    assert.match(notWorkItemReason('notes.md') ?? '', /must look like .*42_story_add_login\.md/);
  });

  it('several problems are all reported', () => {
    const item = parse('---\ndepends_on: [x]\nagent: 3\n---\n', '9_feature_thing.md');
    const inv = item.invalid ?? '';
    assert.match(inv, /unknown type/);
    assert.match(inv, /depends_on/);
    assert.match(inv, /agent/);
  });

  it('keeps unknown keys in frontMatter', () => {
    const item = parse('---\nname: x\nreview_hold: true\nmerge_failure: conflict in a.ts\ncustom:\n  nested: [1, 2]\n---\n');
    assert.deepEqual(item.frontMatter, { name: 'x', review_hold: true, merge_failure: 'conflict in a.ts', custom: { nested: [1, 2] } });
    assert.equal(item.invalid, undefined);
  });

  it('blocked and blocked_reason', () => {
    const b = parse('---\nblocked: true\nblocked_reason: retries used up\n---\n');
    assert.equal(b.blocked, true);
    assert.equal(b.blockedReason, 'retries used up');
    assert.equal(parse('---\nblocked: false\n---\n').blocked, false);
    assert.equal(parse('---\nblocked: "yes"\n---\n').blocked, false, 'only a real true blocks');
    assert.equal(parse('---\nblocked_reason: 3\n---\n').blockedReason, undefined);
  });

  it('passes the stage through', () => {
    assert.equal(parse('# x', '1_story_a.md', 'merge').stage, 'merge');
  });
});

describe('itemFile: patchFrontMatter', () => {
  const original = [
    '---',
    '# a comment about the story',
    'name: Add login   # trailing comment',
    'agent: coder-1',
    'custom_key: {a: 1}',
    'depends_on: [40, 41]',
    '---',
    '# Add login',
    '',
    '  indented   text with  spaces  ',
    '- [ ] crit',
    '---',
    'trailing --- above is body',
    '',
  ].join('\n');

  it('sets keys, keeping comments, unknown keys and the body byte for byte', () => {
    const out = patchFrontMatter(original, { blocked: true, blocked_reason: 'needs: a "decision"' });
    const { yaml, body } = splitFrontMatter(out);
    assert.equal(body, splitFrontMatter(original).body);
    assert.ok(yaml!.includes('# a comment about the story'));
    assert.ok(yaml!.includes('# trailing comment'));
    assert.ok(yaml!.includes('custom_key'));
    const item = parse(out);
    assert.equal(item.blocked, true);
    assert.equal(item.blockedReason, 'needs: a "decision"');
    assert.equal(item.name, 'Add login');
    assert.equal(item.agent, 'coder-1');
    assert.deepEqual(item.dependsOn, [40, 41]);
    assert.deepEqual(item.frontMatter.custom_key, { a: 1 });
    assert.equal(item.invalid, undefined);
  });

  it('replaces an existing value', () => {
    const item = parse(patchFrontMatter(original, { agent: 'coder-2' }));
    assert.equal(item.agent, 'coder-2');
    assert.equal(item.name, 'Add login');
  });

  it('deletes keys whose value is undefined', () => {
    const out = patchFrontMatter(original, { agent: undefined, blocked: undefined });
    const item = parse(out);
    assert.equal(item.agent, undefined);
    assert.ok(!('agent' in item.frontMatter));
    assert.ok(!/^agent:/m.test(splitFrontMatter(out).yaml!));
    assert.equal(item.name, 'Add login');
    assert.equal(splitFrontMatter(out).body, splitFrontMatter(original).body);
  });

  it('an empty patch leaves the file as it was', () => {
    const simple = '---\nname: x\nagent: y\n---\n# body\n';
    assert.equal(patchFrontMatter(simple, {}), simple);
  });

  it('deleting every key keeps an empty front matter and the body', () => {
    const out = patchFrontMatter('---\nname: x\n---\nbody\n', { name: undefined });
    assert.equal(out, '---\n---\nbody\n');
    assert.equal(parse(out).invalid, undefined);
  });

  it('a file without front matter gets one, and the body stays as it was', () => {
    const text = '# Title\n\n- [ ] a\n---\nmore\n';
    const out = patchFrontMatter(text, { blocked: true });
    assert.ok(out.startsWith('---\nblocked: true\n---\n'), out);
    assert.equal(splitFrontMatter(out).body, text);
    const item = parse(out);
    assert.equal(item.blocked, true);
    assert.equal(item.name, 'Title');
  });

  it('throws rather than rewriting front matter that is not valid YAML', () => {
    assert.throws(() => patchFrontMatter('---\nname: x\nqa: @bad\n---\nbody\n', { blocked: true }), /cannot rewrite front matter/);
  });

  // A file whose front matter has no closing --- is malformed (parseItem marks it invalid). Patching it
  // prepends a second front matter block and turns the user's keys into body text.
  it('refuses to patch a file whose front matter has no closing ---', () => {
    const broken = '---\nname: Keep me\nagent: coder-1\n# Title\n';
    assert.throws(() => patchFrontMatter(broken, { blocked: true }));
  });

  // Same for front matter that is valid YAML but not a mapping: replacing it with {} loses it.
  it('refuses to patch front matter that is not a mapping', () => {
    assert.throws(() => patchFrontMatter('---\n- keep\n- these\n---\nbody\n', { blocked: true }));
  });

  it('values with YAML-special characters round-trip', () => {
    const reason = 'a: b # not a comment\n---\nsecond line';
    const out = patchFrontMatter('---\nname: x\n---\nbody\n', { blocked_reason: reason });
    const item = parse(out);
    assert.equal(item.blockedReason, reason);
    assert.equal(item.body, 'body\n');
  });
});

describe('itemFile: renderNewItem', () => {
  const tricky = [
    'Add login form',
    'Fix "quoted" title',
    "it's single",
    'colon: in the middle',
    'ends with colon:',
    'line one\nline two',
    'a\n---\nb',
    '---',
    '--- leading dashes',
    '123',
    'true',
    'null',
    '~',
    '# hash',
    '- [ ] looks like a criterion',
    '[list]',
    '{map}',
    '*alias',
    '&anchor',
    '!tag',
    '@at',
    '%percent',
    '`tick`',
    '|pipe',
    '>fold',
    'trailing spaces   ',
    'tab\there',
    'ünïcödé ✓ 日本',
    'back\\slash',
  ];

  for (const name of tricky) {
    it(`round-trips ${JSON.stringify(name)}`, () => {
      const text = renderNewItem({ name, type: 'story', criteria: ['first', '  second  ', '', 'multi\nline'], description: '  Some words.  ' });
      const item = parse(text, '1_story_x.md');
      assert.equal(item.invalid, undefined, text);
      assert.equal(item.name, name.trim());
      assert.equal(item.frontMatter.name, name);
      assert.deepEqual(
        item.criteria.map((c) => c.text),
        ['first', 'second', 'multi line'],
      );
      assert.ok(item.criteria.every((c) => !c.done));
      // the heading is one line
      const heading = item.body.split('\n')[0];
      assert.equal(heading, `# ${name.replace(/\r?\n/g, ' ')}`);
      assert.ok(item.body.includes('\nSome words.\n'));
    });
  }

  it('has the shape the format describes', () => {
    assert.equal(
      renderNewItem({ name: 'Add login', type: 'story', criteria: ['A', 'B'] }),
      '---\nname: Add login\n---\n# Add login\n\n## Acceptance criteria\n\n- [ ] A\n- [ ] B\n',
    );
  });
});

describe('setCriterion', () => {
  const text = '---\r\nname: x\r\n---\r\n# x\r\n\r\n```md\r\n- [ ] not a criterion\r\n```\r\n- [ ] first\r\n  * [X] second\r\n';
  it('ticks and unticks the n-th criterion only, outside code fences, keeping the line endings', () => {
    const ticked = setCriterion(text, 0, true);
    assert.equal(ticked, text.replace('- [ ] first', '- [x] first'));
    assert.equal(setCriterion(ticked, 1, false), ticked.replace('* [X] second', '* [ ] second'));
  });
  it('a criterion that does not exist is a clear error', () => {
    assert.throws(() => setCriterion(text, 2, true), /there is no acceptance criterion 2 \(the story has 2, numbered from 0\)/);
  });
});
