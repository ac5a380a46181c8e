// The numbers behind the board's charts: cost per day and per agent from token_usage.jsonl,
// stories done per day and time in each stage from audit.log; read incrementally, torn and
// malformed lines skipped and counted, a shrunk or replaced file read again, days in the project's zone.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dayOf, lastDays } from '../../src/core/stats/days';
import { JsonLinesTail } from '../../src/core/stats/lineTail';
import { ProjectStatsReader } from '../../src/core/stats/projectStats';

const H = 3_600_000;
const usage = (ts: string, agent: string, costUsd: number) => JSON.stringify({ ts, story: 1, agent, runtime: 'claude', runId: 'r', outcome: 'ok', durationMs: 1, costUsd }) + '\n';
const audit = (ts: string, id: number, from: string | null | undefined, to: string | null) =>
  JSON.stringify({ ts, seq: 1, cmd: 'item.transition', source: 'orchestrator', id, ...(from !== undefined ? { from } : {}), to }) + '\n';

describe('stats: days in a time zone', () => {
  it('puts a moment on the day it is in the zone, across the date line and daylight saving', () => {
    assert.equal(dayOf(Date.parse('2026-03-01T23:30:00Z'), 'UTC'), '2026-03-01');
    assert.equal(dayOf(Date.parse('2026-03-01T23:30:00Z'), 'Europe/Berlin'), '2026-03-02');
    assert.equal(dayOf(Date.parse('2026-03-02T03:00:00Z'), 'America/Los_Angeles'), '2026-03-01');
    // 2026-03-29: Berlin moves from +01:00 to +02:00; 22:30Z is already the 30th there
    assert.equal(dayOf(Date.parse('2026-03-29T22:30:00Z'), 'Europe/Berlin'), '2026-03-30');
  });

  it('lists the last days up to today, oldest first, across a month end', () => {
    assert.deepEqual(lastDays(Date.parse('2026-03-02T10:00:00Z'), 'UTC', 4), ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    assert.deepEqual(lastDays(Date.parse('2026-03-01T23:30:00Z'), 'Asia/Tokyo', 2), ['2026-03-01', '2026-03-02']);
  });
});

describe('stats: reading an appended JSON-lines file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-stats-'));
    file = path.join(dir, 'log.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const numbers = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { n?: unknown }).n === 'number' ? (v as { n: number }).n : undefined);

  it('reads only what was appended, and a line still being written once its newline is there', async () => {
    const t = new JsonLinesTail(file, numbers);
    assert.deepEqual(await t.read(), { records: [], restarted: false }, 'a missing file reads as empty');
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":');
    assert.deepEqual((await t.read()).records, [1, 2]);
    assert.equal(t.malformed, 0, 'a torn last line is not counted yet');
    fs.appendFileSync(file, '3}\n');
    assert.deepEqual(await t.read(), { records: [3], restarted: false });
    assert.deepEqual((await t.read()).records, []);
  });

  it('skips and counts lines that are not JSON or not the expected shape, and reads on', async () => {
    fs.writeFileSync(file, '{"n":1}\nnot json\n{"m":2}\n\n[1]\n{"n":4}\n');
    const t = new JsonLinesTail(file, numbers);
    assert.deepEqual((await t.read()).records, [1, 4]);
    assert.equal(t.malformed, 3);
  });

  it('reads a file again from its start when it shrank or was replaced', async () => {
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n');
    const t = new JsonLinesTail(file, numbers);
    assert.deepEqual((await t.read()).records, [1, 2]);
    fs.writeFileSync(file, '{"n":7}\n');
    assert.deepEqual(await t.read(), { records: [7], restarted: true });
    // replaced by a bigger file (a rename over it): same start, new content
    const other = path.join(dir, 'other.jsonl');
    fs.writeFileSync(other, '{"n":8}\n{"n":9}\n{"n":10}\n');
    fs.renameSync(other, file);
    assert.deepEqual(await t.read(), { records: [8, 9, 10], restarted: true });
    fs.rmSync(file);
    assert.deepEqual(await t.read(), { records: [], restarted: true });
  });

  it('reads multi-byte text split across reads', async () => {
    const t = new JsonLinesTail(file, (v) => (v as { s?: string }).s);
    const line = Buffer.from('{"s":"Größe ✓"}\n');
    fs.writeFileSync(file, line.subarray(0, 9));
    assert.deepEqual((await t.read()).records, []);
    fs.appendFileSync(file, line.subarray(9));
    assert.deepEqual((await t.read()).records, ['Größe ✓']);
  });
});

describe('stats: cost and throughput for the charts', () => {
  let dir: string;
  let files: { usage: string; audit: string };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-stats-'));
    files = { usage: path.join(dir, 'token_usage.jsonl'), audit: path.join(dir, 'audit.log') };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const now = Date.parse('2026-03-10T12:00:00Z');

  it('sums cost per day in the project zone and per agent within the window', async () => {
    fs.writeFileSync(
      files.usage,
      usage('2026-03-09T23:30:00Z', 'coder-1', 1.5) + // the 10th in Berlin, the 9th in UTC
        usage('2026-03-10T08:00:00Z', 'coder-2', 0.25) +
        usage('2026-03-10T09:00:00Z', 'coder-1', 1) +
        usage('2026-01-01T09:00:00Z', 'coder-3', 100) + // long before the window
        '{"ts":"2026-03-10T09:00:00Z","agent":"coder-1","costUsd":"a lot"}\n' +
        'garbage\n',
    );
    const r = new ProjectStatsReader(files);
    const berlin = await r.stats(now, 'Europe/Berlin', 7);
    assert.equal(berlin.timezone, 'Europe/Berlin');
    assert.equal(berlin.days.length, 7);
    assert.equal(berlin.days[6], '2026-03-10');
    assert.deepEqual(berlin.costPerDay.slice(5), [0, 2.75]);
    assert.deepEqual(berlin.runsPerDay.slice(5), [0, 3]);
    assert.deepEqual(berlin.costPerAgent, [
      { agent: 'coder-1', costUsd: 2.5, runs: 2 },
      { agent: 'coder-2', costUsd: 0.25, runs: 1 },
    ]);
    assert.equal(berlin.skipped.usage, 2);
    const utc = await r.stats(now, 'UTC', 7);
    assert.deepEqual(utc.costPerDay.slice(5), [1.5, 1.25]);
    const bad = await r.stats(now, 'Not/AZone', 7);
    assert.equal(bad.timezone, 'UTC', 'an unknown zone counts in UTC');
  });

  it('adds what was appended since the last call, and starts over when the file was truncated', async () => {
    fs.writeFileSync(files.usage, usage('2026-03-10T08:00:00Z', 'coder-1', 1));
    const r = new ProjectStatsReader(files);
    assert.deepEqual((await r.stats(now, 'UTC', 2)).costPerDay, [0, 1]);
    fs.appendFileSync(files.usage, usage('2026-03-09T08:00:00Z', 'coder-1', 2) + usage('2026-03-10T09:00:00Z', 'coder-2', 0.5).slice(0, 20));
    assert.deepEqual((await r.stats(now, 'UTC', 2)).costPerDay, [2, 1], 'the torn line waits');
    fs.appendFileSync(files.usage, usage('2026-03-10T09:00:00Z', 'coder-2', 0.5).slice(20));
    assert.deepEqual((await r.stats(now, 'UTC', 2)).costPerDay, [2, 1.5]);
    fs.writeFileSync(files.usage, usage('2026-03-10T08:00:00Z', 'coder-9', 4));
    const after = await r.stats(now, 'UTC', 2);
    assert.deepEqual(after.costPerDay, [0, 4], 'nothing of the old file is kept');
    assert.deepEqual(
      after.costPerAgent.map((a) => a.agent),
      ['coder-9'],
    );
  });

  it('counts stories reaching done per day and the time spent in each stage', async () => {
    const t = (h: number) => new Date(Date.parse('2026-03-08T00:00:00Z') + h * H).toISOString();
    fs.writeFileSync(
      files.audit,
      audit(t(0), 1, undefined, 'backlog') +
        audit(t(1), 1, 'backlog', 'current') + // backlog 1 h
        audit(t(5), 1, 'current', 'qa') + // current 4 h
        audit(t(6), 1, 'qa', 'merge') + // qa 1 h
        audit(t(7), 1, 'merge', 'done') + // merge 1 h
        audit(t(0), 2, undefined, 'backlog') +
        audit(t(3), 2, 'backlog', 'current') + // backlog 3 h
        audit(t(5), 2, 'current', 'current') + // not a change
        '{"ts":"' +
        t(5) +
        '","seq":3,"cmd":"run.launched","source":"orchestrator","id":2}\n' +
        audit(t(11), 2, 'current', 'qa') + // current 8 h
        audit(t(30), 2, 'qa', 'merge') + // qa 19 h
        audit(t(31), 2, 'merge', 'done') + // merge 1 h, the next day
        audit(t(2), 3, 'current', 'qa') + // entered current before the log began: its time there is unknown
        audit(t(4), 3, 'qa', null) + // removed: 2 h in qa
        '{"ts":"' +
        t(8) +
        '","id":4,"to":"nowhere"}\n' +
        '{"to":"done","id":5}\n',
    );
    const s = await new ProjectStatsReader(files).stats(now, 'UTC', 3);
    assert.deepEqual(s.days, ['2026-03-08', '2026-03-09', '2026-03-10']);
    assert.deepEqual(s.donePerDay, [1, 1, 0]);
    const byStage = Object.fromEntries(s.stageTimes.map((x) => [x.stage, x]));
    assert.deepEqual(
      s.stageTimes.map((x) => x.stage),
      ['backlog', 'current', 'qa', 'merge'],
    );
    assert.deepEqual(byStage.backlog, { stage: 'backlog', count: 2, medianMs: 2 * H, meanMs: 2 * H });
    assert.deepEqual(byStage.current, { stage: 'current', count: 2, medianMs: 6 * H, meanMs: 6 * H });
    assert.deepEqual(byStage.qa, { stage: 'qa', count: 3, medianMs: 2 * H, meanMs: ((1 + 19 + 2) * H) / 3 });
    assert.deepEqual(byStage.merge, { stage: 'merge', count: 2, medianMs: H, meanMs: H });
    assert.equal(s.skipped.audit, 2);
  });

  it('leaves out stays that ended before the window', async () => {
    fs.writeFileSync(
      files.audit,
      audit('2026-02-01T00:00:00Z', 1, undefined, 'backlog') + audit('2026-02-01T05:00:00Z', 1, 'backlog', 'current') + audit('2026-03-10T05:00:00Z', 1, 'current', 'qa'),
    );
    const s = await new ProjectStatsReader(files).stats(now, 'UTC', 30);
    assert.deepEqual(
      s.stageTimes.map((x) => [x.stage, x.count]),
      [['current', 1]],
    );
    assert.equal(s.stageTimes[0].meanMs, Date.parse('2026-03-10T05:00:00Z') - Date.parse('2026-02-01T05:00:00Z'));
  });

  it('moves the window on when the day changes, with nothing new in the logs', async () => {
    fs.writeFileSync(files.usage, usage('2026-03-10T08:00:00Z', 'coder-1', 1));
    const r = new ProjectStatsReader(files);
    assert.deepEqual((await r.stats(now, 'UTC', 2)).costPerDay, [0, 1]);
    assert.deepEqual((await r.stats(now + 60_000, 'UTC', 2)).costPerDay, [0, 1]);
    const tomorrow = await r.stats(now + 86_400_000, 'UTC', 2);
    assert.deepEqual(
      [tomorrow.days, tomorrow.costPerDay],
      [
        ['2026-03-10', '2026-03-11'],
        [1, 0],
      ],
    );
    assert.deepEqual((await r.stats(now + 86_400_000, 'Pacific/Kiritimati', 2)).days, ['2026-03-11', '2026-03-12'], 'another zone, other days');
  });

  it('gives empty charts for a project with no logs yet', async () => {
    const s = await new ProjectStatsReader(files).stats(now, 'UTC', 30);
    assert.equal(s.days.length, 30);
    assert.ok(s.costPerDay.every((c) => c === 0) && s.donePerDay.every((c) => c === 0));
    assert.deepEqual([s.costPerAgent, s.stageTimes, s.skipped], [[], [], { usage: 0, audit: 0 }]);
  });
});
