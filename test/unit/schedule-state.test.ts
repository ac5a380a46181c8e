// Scheduled timers and triggers on disk: a restart loses nothing (a timer due meanwhile fires once
// on the next start), a bad entry is dropped and reported, never a crash.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventBus } from '../../src/core/pipeline/eventBus';
import { Pipeline } from '../../src/core/pipeline/pipeline';
import { Scheduler } from '../../src/core/schedule/scheduler';
import { FileStateStore } from '../../src/core/state/fileStateStore';
import { nullLogger } from '../../src/core/util/log';
import { FakeClock } from '../fixtures/fakeClock';

describe('scheduled timers and triggers on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-sched-'));
    fs.mkdirSync(path.join(dir, '.huskies', 'work', '1_backlog'), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (n: string) => path.join(dir, '.huskies', n);

  async function open(clock: FakeClock) {
    const state = new FileStateStore(dir);
    await state.load();
    const bus = new EventBus(nullLogger);
    const pipeline = new Pipeline(state, { append: () => undefined }, bus, () => ({ now: clock.now(), logsDir: dir, newRunId: (id) => `${id}-r` }), nullLogger);
    const sched = new Scheduler({ state, bus, request: (c) => pipeline.request(c), logger: nullLogger, agentsStopped: () => 'not in this test' });
    sched.start();
    const fire = async () => {
      for (const c of sched.due(clock.now())) await pipeline.request(c);
      await sched.idle;
    };
    return { state, pipeline, fire };
  }

  it('a restart loses nothing; a timer due while nothing ran fires once on the next start', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const a = await open(clock);
    assert.ok(
      (await a.pipeline.request({ type: 'timer.add', timer: { id: 'daily', every: '1h', timezone: 'UTC', action: { tool: 'add_note', args: { text: 'hi' } } }, source: 'cli' })).ok,
    );
    assert.ok((await a.pipeline.request({ type: 'trigger.add', trigger: { id: 'g1', when: { to: 'qa' }, action: { prompt: 'Review' }, mode: 'once' }, source: 'cli' })).ok);
    assert.equal(JSON.parse(fs.readFileSync(file('timers.json'), 'utf8')).scheduled[0].id, 'daily');
    assert.equal(JSON.parse(fs.readFileSync(file('triggers.json'), 'utf8')).triggers[0].id, 'g1');
    // Nothing runs for 10 hours and 10 minutes.
    clock.advance(10 * 3_600_000 + 600_000);
    const b = await open(clock);
    assert.equal(b.state.triggers()[0].mode, 'once');
    await b.fire();
    await b.fire();
    assert.equal(b.state.agentState().notes?.length, 1, 'fired once, not ten times');
    assert.equal(b.state.scheduled()[0].nextAt, start + 11 * 3_600_000);
    const c = await open(clock);
    assert.equal(c.state.scheduled()[0].fired, 1);
  });

  it('a bad entry is dropped and reported; a damaged triggers.json never stops a start', async () => {
    const good = { id: 'ok', schedule: { kind: 'every', seconds: 600 }, timezone: 'UTC', action: { prompt: 'x' }, nextAt: 5, anchorAt: 1, createdAt: 1, source: 'cli', fired: 0 };
    fs.writeFileSync(file('timers.json'), JSON.stringify({ version: 1, timers: [], scheduled: [good, { ...good, id: 'bad', schedule: { kind: 'every', seconds: 5 } }] }));
    fs.writeFileSync(file('triggers.json'), '{ not json');
    const s = new FileStateStore(dir);
    await s.load();
    assert.deepEqual(
      s.scheduled().map((t) => t.id),
      ['ok'],
    );
    assert.equal(s.triggers().length, 0);
    const problems = s.loadProblems().join('\n');
    assert.match(problems, /timers\.json: scheduled\[1\] is not valid \(schedule\.seconds/);
    assert.match(problems, /triggers\.json is not valid JSON/);
  });
});
