// LiveHub: small ordered batches per subscriber, a resync marker instead of an unbounded buffer,
// and large tool results cut for the live view only.
import * as assert from 'node:assert/strict';
import { LIVE_TOOL_RESULT_MAX, LiveHub, cutForLive, type LiveBatch } from '../../src/core/agents/liveHub';
import type { AgentMessage, TranscriptRecord } from '../../src/core/model/agentMessage';
import { FakeClock } from '../fixtures/fakeClock';

const rec = (seq: number, msg: AgentMessage = { kind: 'text', text: `r${seq}` }): TranscriptRecord => ({ seq, ts: seq, msg });
const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => rec(from + i));

describe('liveHub', () => {
  let hub: LiveHub;
  afterEach(() => hub?.dispose());

  it('a batch after a quiet spell goes out on the next turn; in a stream, flushMs after its first record, in order', () => {
    const clock = new FakeClock();
    hub = new LiveHub(30, clock);
    const got: LiveBatch[] = [];
    hub.subscribe('run-a', (b) => got.push(b));
    hub.publish('run-a', recs(1, 3));
    hub.publish('run-a', recs(4, 2));
    assert.equal(got.length, 0, 'nothing is sent synchronously');
    clock.advance(0);
    assert.equal(got.length, 1, 'the first batch waits for no timer');
    assert.equal(got[0].runId, 'run-a');
    assert.deepEqual(
      got[0].records.map((r) => r.seq),
      [1, 2, 3, 4, 5],
    );
    assert.ok(!('resyncAfterSeq' in got[0]));

    clock.advance(10);
    hub.publish('run-a', recs(6, 1));
    hub.publish('run-a', recs(7, 1));
    clock.advance(29);
    assert.equal(got.length, 1, 'a record within flushMs of the last batch waits flushMs, as in a stream');
    clock.advance(1);
    assert.deepEqual(
      got.map((b) => b.records.map((r) => r.seq)),
      [
        [1, 2, 3, 4, 5],
        [6, 7],
      ],
    );

    clock.advance(100);
    hub.publish('run-a', recs(8, 1));
    clock.advance(0);
    assert.equal(got.length, 3, 'quiet for longer than flushMs: at once again');
  });

  it('flush() sends at once and an empty hub sends nothing', async () => {
    hub = new LiveHub(10_000);
    const got: LiveBatch[] = [];
    hub.subscribe('r', (b) => got.push(b));
    hub.flush();
    assert.equal(got.length, 0);
    hub.publish('r', []);
    hub.flush();
    assert.equal(got.length, 0);
    hub.publish('r', recs(1, 2));
    hub.flush();
    assert.deepEqual(
      got.map((b) => b.records.length),
      [2],
    );
  });

  it('a subscriber to one run gets none of another; "*" gets all, one batch per run', async () => {
    hub = new LiveHub(10);
    const a: LiveBatch[] = [];
    const b: LiveBatch[] = [];
    const all: LiveBatch[] = [];
    hub.subscribe('run-a', (x) => a.push(x));
    hub.subscribe('run-b', (x) => b.push(x));
    hub.subscribe('*', (x) => all.push(x));
    hub.publish('run-a', recs(1, 2));
    hub.publish('run-c', recs(1, 1));
    hub.publish('run-a', recs(3, 1));
    hub.flush();
    assert.deepEqual(
      a.map((x) => [x.runId, x.records.map((r) => r.seq)]),
      [['run-a', [1, 2, 3]]],
    );
    assert.deepEqual(b, []);
    assert.deepEqual(all.map((x) => [x.runId, x.records.map((r) => r.seq)]).sort(), [
      ['run-a', [1, 2, 3]],
      ['run-c', [1]],
    ]);
  });

  it('wants a run while someone follows it or every run', () => {
    hub = new LiveHub(10);
    assert.equal(hub.wants('r'), false);
    const one = hub.subscribe('r', () => undefined);
    assert.equal(hub.wants('r'), true);
    assert.equal(hub.wants('other'), false);
    const all = hub.subscribe('*', () => undefined);
    assert.equal(hub.wants('other'), true);
    one.dispose();
    all.dispose();
    assert.equal(hub.wants('r'), false);
  });

  it('a disposed subscription gets nothing more', () => {
    hub = new LiveHub(10);
    const got: LiveBatch[] = [];
    const sub = hub.subscribe('r', (b) => got.push(b));
    hub.publish('r', recs(1, 1));
    sub.dispose();
    hub.flush();
    hub.publish('r', recs(2, 1));
    hub.flush();
    assert.deepEqual(got, []);
  });

  it('a throwing subscriber does not stop the others', () => {
    hub = new LiveHub(10);
    const got: LiveBatch[] = [];
    hub.subscribe('r', () => {
      throw new Error('boom');
    });
    hub.subscribe('r', (b) => got.push(b));
    hub.publish('r', recs(1, 1));
    hub.flush();
    assert.equal(got.length, 1);
  });

  it('a burst larger than the bound yields a resync marker instead of all records', () => {
    hub = new LiveHub(10_000);
    const got: LiveBatch[] = [];
    hub.subscribe('r', (b) => got.push(b));
    hub.publish('r', recs(1, 10)); // delivered
    hub.flush();
    // 50,000 records in small publishes before the next flush
    for (let s = 11; s <= 50_010; s += 10) hub.publish('r', recs(s, 10));
    hub.flush();
    assert.equal(got.length, 2);
    const burst = got[1];
    assert.equal(burst.resyncAfterSeq, 10, 'the subscriber re-reads the transcript after the last record it got');
    assert.ok(burst.records.length <= 2_000, `at most the bound is kept (got ${burst.records.length})`);
    // what is sent after the marker is in order and ends with the newest record
    const s = burst.records.map((r) => r.seq);
    assert.deepEqual(
      s,
      [...s].sort((x, y) => x - y),
    );
    if (s.length) assert.equal(s[s.length - 1], 50_010);

    // after the resync the stream goes on normally
    hub.publish('r', recs(50_011, 2));
    hub.flush();
    assert.deepEqual(got[2], { runId: 'r', records: [rec(50_011), rec(50_012)] });
  });

  it('one publish of a huge batch is dropped, not buffered', () => {
    hub = new LiveHub(10_000);
    const got: LiveBatch[] = [];
    hub.subscribe('r', (b) => got.push(b));
    hub.publish('r', recs(101, 5_000));
    hub.flush();
    assert.equal(got.length, 1);
    assert.equal(got[0].resyncAfterSeq, 100);
    assert.deepEqual(got[0].records, []);
  });

  it('the byte bound applies too: a few huge texts trigger a resync', () => {
    hub = new LiveHub(10_000);
    const got: LiveBatch[] = [];
    hub.subscribe('r', (b) => got.push(b));
    // each text is cut to 64 KiB for the live view; 40 of them exceed the 2 MiB pending bound
    for (let i = 1; i <= 40; i++) hub.publish('r', [rec(i, { kind: 'text', text: 'x'.repeat(200_000) })]);
    hub.flush();
    assert.equal(got.length, 1);
    assert.equal(got[0].resyncAfterSeq, 0);
    const bytes = got[0].records.reduce((n, r) => n + (r.msg.kind === 'text' ? r.msg.text.length : 0), 0);
    assert.ok(bytes <= 2 * 1024 * 1024, `pending text stays bounded (got ${bytes})`);
  });

  it('a slow "*" subscriber overflowing does not affect a run subscriber', () => {
    hub = new LiveHub(10_000);
    const one: LiveBatch[] = [];
    const all: LiveBatch[] = [];
    hub.subscribe('small', (b) => one.push(b));
    hub.subscribe('*', (b) => all.push(b));
    hub.publish('big', recs(1, 3_000));
    hub.publish('small', recs(1, 3));
    hub.flush();
    assert.deepEqual(one, [{ runId: 'small', records: recs(1, 3) }]);
    const big = all.find((b) => b.runId === 'big')!;
    assert.equal(big.resyncAfterSeq, 0);
    assert.deepEqual(
      all.find((b) => b.runId === 'small')!.records.map((r) => r.seq),
      [1, 2, 3],
    );
  });

  it('large tool_result content is cut with truncated: true live, the original object untouched', () => {
    hub = new LiveHub(10);
    const got: LiveBatch[] = [];
    hub.subscribe('r', (b) => got.push(b));
    const big = 'y'.repeat(LIVE_TOOL_RESULT_MAX * 3);
    const msg: AgentMessage = { kind: 'tool_result', toolUseId: 't1', content: big, isError: false };
    const original = rec(1, msg);
    const small = rec(2, { kind: 'tool_result', toolUseId: 't2', content: 'short', isError: true });
    hub.publish('r', [original, small]);
    hub.flush();
    const [live, liveSmall] = got[0].records;
    assert.ok(live.msg.kind === 'tool_result');
    assert.equal(live.msg.content.length, LIVE_TOOL_RESULT_MAX);
    assert.equal(live.msg.truncated, true);
    assert.equal(live.msg.toolUseId, 't1');
    assert.equal(live.seq, 1);
    // the transcript's copy is unchanged
    assert.equal(msg.content, big);
    assert.equal('truncated' in msg, false);
    assert.equal(original.msg, msg);
    assert.deepEqual(liveSmall, small);
  });
});

describe('liveHub: cutForLive', () => {
  it('leaves small messages as they are (same object)', () => {
    const msgs: AgentMessage[] = [
      { kind: 'text', text: 'hi' },
      { kind: 'tool_result', toolUseId: 'a', content: 'x'.repeat(LIVE_TOOL_RESULT_MAX), isError: false },
      { kind: 'tool_use', id: 'a', name: 'Bash', input: { command: 'z'.repeat(100_000) } },
      { kind: 'error', message: 'e' },
    ];
    for (const m of msgs) assert.equal(cutForLive(m), m);
  });

  it('cuts a tool_result over the limit, honouring a custom max', () => {
    const m: AgentMessage = { kind: 'tool_result', toolUseId: 'a', content: 'abcdefghij', isError: true };
    assert.deepEqual(cutForLive(m, 4), { kind: 'tool_result', toolUseId: 'a', content: 'abcd', isError: true, truncated: true });
    assert.equal(m.content, 'abcdefghij');
  });

  it('cuts very long text and says so', () => {
    const m: AgentMessage = { kind: 'text', text: 'q'.repeat(LIVE_TOOL_RESULT_MAX * 8 + 1) };
    const c = cutForLive(m);
    assert.ok(c.kind === 'text');
    assert.ok(c.text.startsWith('q'.repeat(LIVE_TOOL_RESULT_MAX * 8)));
    assert.ok(c.text.length < m.text.length + 100);
    assert.match(c.text, /transcript has it all/);
    assert.equal(m.text.length, LIVE_TOOL_RESULT_MAX * 8 + 1);
  });
});
