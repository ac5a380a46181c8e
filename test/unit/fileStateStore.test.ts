// The file-backed state store: every change is on disk when its `durable` settles (group commit), damaged state files
// never crash a start (an absurd time included), and secrets never reach a file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStateStore } from '../../src/core/state/fileStateStore';
import { GroupWrite } from '../../src/core/state/jsonFiles';
import { maskDeep } from '../../src/core/util/log';
import { run } from '../fixtures/memoryState';

describe('FileStateStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-state-'));
    fs.mkdirSync(path.join(dir, '.huskies', 'work', '2_current'), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (n: string) => path.join(dir, '.huskies', n);
  const readRuns = () => JSON.parse(fs.readFileSync(file('runs.json'), 'utf8')).runs as { runId: string; sessionId?: string; reason?: string }[];

  it('a run change is in runs.json once its durable settles; changes made meanwhile share the next write', async () => {
    const s = new FileStateStore(dir);
    await s.load();
    const r = run(1, { runId: 'r1', status: 'running', startedAt: 5 });
    await (
      await s.apply([{ op: 'run.put', run: r }])
    ).durable;
    assert.equal(readRuns()[0].runId, 'r1');
    // Changes applied while a write is under way: in memory at once, on disk together in the next write.
    const a = await s.apply([{ op: 'run.put', run: { ...r, reason: 'a' } }]);
    const b = await s.apply([{ op: 'run.put', run: { ...r, reason: 'b' } }]);
    const c = await s.apply([{ op: 'run.put', run: { ...r, sessionId: 'sess-9', pid: 123 } }]);
    assert.equal(s.run('r1')!.sessionId, 'sess-9', 'in memory at once');
    await c.durable;
    assert.equal(readRuns()[0].sessionId, 'sess-9');
    await Promise.all([a.durable, b.durable]);
    const again = new FileStateStore(dir);
    await again.load();
    assert.equal(again.run('r1')!.pid, 123);
  });

  it('GroupWrite: saves asked during a write share the next one, which carries the value as it is then; writes never overlap', async () => {
    const f = file('g.json');
    let value = 0;
    let reads = 0;
    const g = new GroupWrite(f, () => {
      reads++;
      return { value };
    });
    const saves: Promise<void>[] = [];
    for (value = 1; value <= 10; value++) saves.push(g.save());
    value = 10;
    await saves[0];
    assert.equal(JSON.parse(fs.readFileSync(f, 'utf8')).value, 10, 'the first write began after all ten saves were asked');
    await Promise.all(saves);
    assert.equal(reads, 1, 'ten saves in one turn: one write');
    const late = g.save();
    value = 11;
    const later = g.save();
    assert.equal(late, later, 'a save asked before the queued write began joins it');
    await later;
    assert.equal(JSON.parse(fs.readFileSync(f, 'utf8')).value, 11);
    assert.equal(reads, 2);
  });

  it('a reset time of 1e300, a non-JSON file and a bad record never crash a start; each is reported', async () => {
    fs.writeFileSync(file('agents_state.json'), JSON.stringify({ rateLimited: { 'coder-1': { until: 1e300, reason: 'x' } }, failures: {}, drained: {} }));
    fs.writeFileSync(file('timers.json'), '{ not json');
    fs.writeFileSync(file('runs.json'), JSON.stringify({ runs: [run(1, { runId: 'ok1' }), { runId: '../../etc', storyId: 'x' }, run(2, { runId: 'late', retryAt: 1e300 })] }));
    const s = new FileStateStore(dir);
    await s.load();
    assert.deepEqual(s.agentState().rateLimited, {}, 'the absurd limit is dropped');
    assert.deepEqual(s.timers(), []);
    assert.deepEqual(
      s.runs().map((r) => r.runId),
      ['ok1'],
    );
    const problems = s.loadProblems().join('\n');
    assert.match(problems, /agents_state\.json is not valid/);
    assert.match(problems, /timers\.json is not valid JSON.*a copy is kept/);
    assert.match(problems, /runs\[1\] is not valid/);
    assert.match(problems, /runs\[2\] is not valid/);
  });

  it('secrets are masked in every string written, however deep', async () => {
    const secret = 'sk-test-0123456789abcdefSECRET';
    const s = new FileStateStore(dir, { mask: (v) => maskDeep(v, [secret]) });
    await s.load();
    await (
      await s.apply([{ op: 'run.put', run: run(1, { runId: 'r1', status: 'failed', reason: `401 for key ${secret}`, history: [`earlier: ${secret}`] }) }])
    ).durable;
    const text = fs.readFileSync(file('runs.json'), 'utf8');
    assert.ok(!text.includes(secret), text);
    assert.match(readRuns()[0].reason!, /401 for key \*\*\*/);
  });
});
