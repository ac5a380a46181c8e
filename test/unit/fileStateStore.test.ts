// The file-backed state store: every change is on disk when apply returns, damaged state files
// never crash a start (an absurd time included), and secrets never reach a file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStateStore } from '../../src/core/state/fileStateStore';
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

  it('a run change is in runs.json the moment apply returns', async () => {
    const s = new FileStateStore(dir);
    await s.load();
    const r = run(1, { runId: 'r1', status: 'running', startedAt: 5 });
    await s.apply([{ op: 'run.put', run: r }]);
    await s.apply([{ op: 'run.put', run: { ...r, sessionId: 'sess-9', pid: 123 } }]);
    assert.equal(readRuns()[0].sessionId, 'sess-9');
    const again = new FileStateStore(dir);
    await again.load();
    assert.equal(again.run('r1')!.pid, 123);
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
    await s.apply([{ op: 'run.put', run: run(1, { runId: 'r1', status: 'failed', reason: `401 for key ${secret}`, history: [`earlier: ${secret}`] }) }]);
    const text = fs.readFileSync(file('runs.json'), 'utf8');
    assert.ok(!text.includes(secret), text);
    assert.match(readRuns()[0].reason!, /401 for key \*\*\*/);
  });
});
