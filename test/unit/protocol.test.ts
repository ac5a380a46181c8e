import * as assert from 'node:assert/strict';
import { parseWebviewMessage } from '../../src/protocol/messages';

describe('protocol: parseWebviewMessage', () => {
  it('accepts every well-formed webview message', () => {
    const valid = [
      { type: 'ready' },
      { type: 'ready', shows: { runId: 'run-12_a.b', lastSeq: 0 } },
      { type: 'ready', shows: { runId: 'r1', lastSeq: 98_765 } },
      { type: 'newStory' },
      { type: 'initProject' },
      { type: 'startAgent', storyId: 1 },
      { type: 'stopAgent', storyId: 42 },
      { type: 'openOutput', storyId: 999_999_999 },
      { type: 'openStory', storyId: 7 },
      { type: 'approve', storyId: 3 },
      { type: 'reject', storyId: 3 },
      { type: 'unblock', storyId: 3 },
      { type: 'loadOlder', runId: 'run-12_a.b', beforeSeq: 0 },
      { type: 'loadOlder', runId: 'r'.repeat(128), beforeSeq: 12345 },
      { type: 'jumpToLatest', runId: 'run-12_a.b' },
      { type: 'resync' },
      { type: 'requestCharts' },
      { type: 'boardView', stages: [] },
      { type: 'boardView', stages: ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] },
      { type: 'boardView', stages: ['archived'] },
    ];
    for (const m of valid) assert.deepEqual(parseWebviewMessage(m), m, JSON.stringify(m));
  });

  it('rejects non-objects, null and arrays', () => {
    for (const raw of [undefined, null, 0, 1, NaN, '', 'ready', '{"type":"ready"}', true, [], [{ type: 'ready' }], ['ready'], () => 0, Symbol('ready')]) {
      assert.equal(parseWebviewMessage(raw), undefined, String(typeof raw === 'symbol' ? 'symbol' : JSON.stringify(raw)));
    }
  });

  it('rejects unknown, missing or non-string types', () => {
    for (const raw of [
      {},
      { type: 'READY' },
      { type: 'ready ' },
      { type: 'deleteEverything' },
      { type: 1 },
      { type: null },
      { type: ['ready'] },
      { type: { toString: () => 'ready' } },
      { kind: 'ready' },
      { type: '__proto__' },
      { type: 'constructor' },
      { type: 'toString' },
    ]) {
      assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
    }
  });

  it('rejects story ids that are not positive integers in range', () => {
    for (const storyId of [0, -1, -0, 1.5, NaN, Infinity, -Infinity, 1e9, 2 ** 53, '1', '01', null, undefined, true, [1], { valueOf: () => 1 }, 1n]) {
      for (const type of ['startAgent', 'stopAgent', 'openOutput', 'openStory', 'approve', 'reject', 'unblock']) {
        assert.equal(parseWebviewMessage({ type, storyId }), undefined, `${type} ${String(storyId)}`);
      }
    }
    assert.equal(parseWebviewMessage({ type: 'startAgent' }), undefined);
  });

  it('rejects bad run ids and sequence numbers on loadOlder and jumpToLatest', () => {
    const badRunIds = ['', 'a b', '../../etc/passwd', 'a/b', 'a\\b', 'run\n1', 'run;rm', 'ü', 'r'.repeat(129), 5, null, undefined, ['run-1'], { toString: () => 'run-1' }];
    for (const runId of badRunIds) {
      assert.equal(parseWebviewMessage({ type: 'loadOlder', runId, beforeSeq: 1 }), undefined, JSON.stringify(runId));
      assert.equal(parseWebviewMessage({ type: 'jumpToLatest', runId }), undefined, `jumpToLatest ${JSON.stringify(runId)}`);
    }
    for (const beforeSeq of [-1, 1.5, NaN, Infinity, '3', null, undefined, [3]]) {
      assert.equal(parseWebviewMessage({ type: 'loadOlder', runId: 'run-1', beforeSeq }), undefined, String(beforeSeq));
    }
  });

  it('rejects a boardView with an unknown stage or a stage list that is not a list of stage names', () => {
    for (const stages of [
      undefined,
      null,
      'backlog',
      { 0: 'backlog', length: 1 },
      ['backlog', 'Backlog'],
      ['todo'],
      [''],
      [1],
      [null],
      ['backlog', ['qa']],
      ['__proto__'],
      Object.assign(new Array<string>(2), { 1: 'qa' }),
      Array(7).fill('qa'),
    ]) {
      assert.equal(parseWebviewMessage({ type: 'boardView', stages }), undefined, JSON.stringify(stages));
    }
  });

  it('keeps each stage of a boardView once, and only the stages', () => {
    const parsed = parseWebviewMessage({ type: 'boardView', stages: ['qa', 'qa', 'done'], all: true });
    assert.deepEqual(parsed, { type: 'boardView', stages: ['qa', 'done'] });
    assert.deepEqual(parseWebviewMessage({ type: 'resync', seq: 3 }), { type: 'resync' });
  });

  it('drops extra fields instead of passing them through', () => {
    const parsed = parseWebviewMessage({ type: 'startAgent', storyId: 3, agent: 'evil', command: 'rm -rf /', __proto__: { admin: true } });
    assert.deepEqual(parsed, { type: 'startAgent', storyId: 3 });
    assert.deepEqual(Object.keys(parsed!), ['type', 'storyId']);
    const ready = parseWebviewMessage({ type: 'ready', seq: 5, state: {} });
    assert.deepEqual(Object.keys(ready!), ['type']);
    const older = parseWebviewMessage({ type: 'loadOlder', runId: 'r1', beforeSeq: 4, limit: 1e9 });
    assert.deepEqual(Object.keys(older!), ['type', 'runId', 'beforeSeq']);
    assert.deepEqual(parseWebviewMessage({ type: 'jumpToLatest', runId: 'r1', afterSeq: 3 }), { type: 'jumpToLatest', runId: 'r1' });
    assert.deepEqual(parseWebviewMessage({ type: 'requestCharts', days: 1e9, file: '/etc/passwd' }), { type: 'requestCharts' });
    assert.deepEqual(parseWebviewMessage({ type: 'ready', shows: { runId: 'r1', lastSeq: 4, file: '/etc/passwd' } }), { type: 'ready', shows: { runId: 'r1', lastSeq: 4 } });
  });

  it('an output page\'s ready with a malformed "shows" is a plain ready (the host sends the page again)', () => {
    for (const shows of [
      null,
      3,
      'r1',
      { runId: '../x', lastSeq: 1 },
      { runId: 'r1', lastSeq: -1 },
      { runId: 'r1', lastSeq: 1.5 },
      { runId: 'r1' },
      { lastSeq: 2 },
      { runId: 'r'.repeat(129), lastSeq: 2 },
    ]) {
      assert.deepEqual(parseWebviewMessage({ type: 'ready', shows }), { type: 'ready' }, JSON.stringify(shows));
    }
  });

  it('is not fooled by prototype pollution attempts', () => {
    // JSON.parse makes "__proto__" an own property, which is what arrives over postMessage.
    const fromJson = JSON.parse('{"type":"ready","__proto__":{"polluted":true}}');
    const parsed = parseWebviewMessage(fromJson) as unknown as Record<string, unknown>;
    assert.equal(parsed.polluted, undefined);
    assert.deepEqual(parsed, { type: 'ready' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');

    // A type or id inherited through the prototype chain is the sender's trick, not a field it sent.
    const inherited = Object.create({ type: 'startAgent', storyId: 1 });
    const parsedInherited = parseWebviewMessage(inherited);
    if (parsedInherited !== undefined) {
      // Acceptable only as a plain, fresh object carrying nothing else.
      assert.deepEqual(Object.keys(parsedInherited), ['type', 'storyId']);
      assert.equal(Object.getPrototypeOf(parsedInherited), Object.prototype);
    }

    const nullProto = Object.assign(Object.create(null), { type: 'openStory', storyId: 2 });
    assert.deepEqual(parseWebviewMessage(nullProto), { type: 'openStory', storyId: 2 });

    const tricky = JSON.parse('{"type":"stopAgent","storyId":1,"constructor":{"prototype":{"polluted":true}}}');
    assert.deepEqual(parseWebviewMessage(tricky), { type: 'stopAgent', storyId: 1 });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('returns a new object, never the input', () => {
    const raw = { type: 'openOutput', storyId: 9 };
    const parsed = parseWebviewMessage(raw);
    assert.notEqual(parsed, raw);
    raw.storyId = 10;
    assert.deepEqual(parsed, { type: 'openOutput', storyId: 9 });
  });
});
