// RunHost with small node scripts as agents: the masked transcript, the status file beside it
// (written as soon as pid, session and reply are known, and at the end), signals, stop and failures;
// and the InProcessSpawner built on it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentMessage, RunOutcome, TranscriptRecord } from '../../src/core/model/agentMessage';
import type { AgentLaunch, RunSignal } from '../../src/core/ports/spawner';
import { RunHost, type MaskFn } from '../../src/core/agents/runHost';
import { readStatus, statusFileFor, writeStatus, type RunStatus } from '../../src/core/agents/runStatus';
import { InProcessSpawner } from '../../src/core/agents/inProcessSpawner';
import { readAfter } from '../../src/core/agents/transcript';
import { bootId, isSameProcess, processStartTime, selfIdentity } from '../../src/core/util/proc';
import { Leftovers, sleeper, waitFor } from '../fixtures/processes';

const SECRET = 'hunter2-very-secret';
const testMask: MaskFn = (m: AgentMessage, secrets) => JSON.parse(secrets.reduce((t, s) => t.split(s).join('***'), JSON.stringify(m))) as AgentMessage;

/** Claude stream-json lines, as the sim and Claude Code print them. */
const CLAUDE_SCRIPT = `
const sid = 'sess-1234';
const out = (o) => process.stdout.write(JSON.stringify({ ...o, session_id: sid }) + '\\n');
out({ type: 'system', subtype: 'init', cwd: process.cwd(), model: 'm', tools: [] });
out({ type: 'assistant', message: { id: 'a1', role: 'assistant', content: [{ type: 'text', text: 'the key is ${SECRET}' }] } });
out({ type: 'result', subtype: 'success', is_error: false, result: 'done', num_turns: 1, usage: { input_tokens: 1, output_tokens: 1 } });
`;

/** A fresh temp folder per test (removed after it) and the processes to kill after it. */
function perTest(prefix: string) {
  const t = { dir: '', left: new Leftovers() };
  beforeEach(() => {
    t.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    t.left.killAll();
    fs.rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

describe('runHost: one run to its end', function () {
  this.timeout(15_000);
  const t = perTest('huskies-runhost-');

  function launchOf(script: string, over: Partial<AgentLaunch> = {}): AgentLaunch {
    const file = path.join(t.dir, `agent-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, script);
    return {
      runId: 'run-1',
      runtime: 'command',
      label: 'Test agent',
      spec: { program: process.execPath, args: [file], cwd: t.dir, env: { ...process.env }, label: 'Test agent (node)', missingHint: 'Install it.' },
      limits: { graceMs: 2000 },
      transcript: path.join(t.dir, 'logs', 'run-1.jsonl'),
      fromSeq: 0,
      secrets: [SECRET],
      ...over,
    };
  }

  function run(l: AgentLaunch, mask: MaskFn = testMask) {
    const host = new RunHost(l, { mask, owner: selfIdentity() });
    const signals: RunSignal[] = [];
    /** The status file as it was on disk when each signal arrived. */
    const statusAt: (RunStatus | undefined)[] = [];
    host.onSignal((s) => {
      signals.push(s);
      statusAt.push(readStatus(l.transcript));
      if (s.kind === 'started') t.left.group(s.pid);
    });
    host.start();
    const records = () => signals.flatMap((s) => (s.kind === 'records' ? s.records : []));
    return { host, signals, statusAt, records };
  }

  it('writes masked records, tells started → records → session → replied, and leaves the outcome in the status file', async () => {
    const l = launchOf(CLAUDE_SCRIPT, { runtime: 'claude' });
    const { host, signals, statusAt, records } = run(l);
    const outcome = await host.done;
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(signals[0].kind, 'started');
    const started = signals[0] as Extract<RunSignal, { kind: 'started' }>;
    assert.equal(started.supervisorPid, process.pid);
    assert.equal(typeof started.startTime, process.platform === 'linux' ? 'number' : 'undefined');
    assert.equal(statusAt[0]?.pid, started.pid, 'the pid is on disk before anyone hears of it');
    const iSession = signals.findIndex((s) => s.kind === 'session');
    const iReplied = signals.findIndex((s) => s.kind === 'replied');
    assert.ok(iSession > 0 && iReplied > iSession, signals.map((s) => s.kind).join());
    assert.equal(statusAt[iSession]?.sessionId, 'sess-1234');
    assert.equal(statusAt[iReplied]?.replied, true);
    assert.equal(signals.filter((s) => s.kind === 'session').length, 1, 'a session is told once');

    const onDisk = await readAfter(l.transcript, 0);
    assert.deepEqual(onDisk, records(), 'the signals carry exactly what was written');
    assert.deepEqual(
      onDisk.map((r) => r.seq),
      onDisk.map((_, i) => i + 1),
    );
    const text = fs.readFileSync(l.transcript, 'utf8');
    assert.ok(!text.includes(SECRET) && text.includes('the key is ***'), text);

    const st = readStatus(l.transcript)!;
    assert.equal(st.runId, 'run-1');
    assert.equal(st.supervisorPid, process.pid);
    assert.equal(st.lastSeq, onDisk.length);
    assert.deepEqual(st.outcome, outcome);
    assert.equal(st.sessionId, 'sess-1234');
    assert.ok(!isSameProcess(st.pid!, st.startTime), 'the agent is gone');
  });

  it('continues an existing transcript after fromSeq', async () => {
    const l = launchOf(`console.log('more')`, { fromSeq: 2 });
    fs.mkdirSync(path.dirname(l.transcript), { recursive: true });
    const old: TranscriptRecord[] = [1, 2].map((seq) => ({ seq, ts: 1, msg: { kind: 'text', text: `old ${seq}` } }));
    fs.writeFileSync(l.transcript, old.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { host, records } = run(l);
    await host.done;
    assert.deepEqual(
      records().map((r) => r.seq),
      [3],
    );
    assert.deepEqual(
      (await readAfter(l.transcript, 0)).map((r) => r.seq),
      [1, 2, 3],
    );
    assert.equal(readStatus(l.transcript)!.lastSeq, 3);
  });

  it('a stop before start ends the run without starting the program', async () => {
    const marker = path.join(t.dir, 'ran');
    const l = launchOf(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);
    const host = new RunHost(l, { mask: testMask, owner: selfIdentity() });
    const signals: RunSignal[] = [];
    host.onSignal((s) => signals.push(s));
    host.stop('cancelled', 'removed by the user');
    host.start();
    const outcome = await host.done;
    assert.deepEqual(outcome, { ok: false, kind: 'cancelled', reason: 'removed by the user' });
    assert.deepEqual(signals, []);
    assert.equal(fs.existsSync(marker), false);
    assert.deepEqual(readStatus(l.transcript)!.outcome, outcome);
  });

  it('a stop takes the whole group down and keeps the kind and reason', async () => {
    const pidfile = path.join(t.dir, 'pids');
    const l = launchOf(`
      const { spawn } = require('child_process');
      const c = spawn('sleep', ['60'], { stdio: 'ignore' });
      require('fs').writeFileSync(${JSON.stringify(pidfile)}, String(c.pid));
      console.log('working');
      setInterval(() => {}, 1000);
    `);
    const { host, signals } = run(l);
    await waitFor(() => fs.existsSync(pidfile) && signals.some((s) => s.kind === 'records'), 'the agent to start its grandchild');
    const grandchild = Number(fs.readFileSync(pidfile, 'utf8'));
    host.stop('timeout', 'stopped after the time limit');
    const outcome = await host.done;
    assert.equal(outcome.kind, 'timeout');
    assert.equal(outcome.reason, 'stopped after the time limit');
    assert.equal(isSameProcess(grandchild, undefined), false, 'the grandchild went with the group');
    assert.equal(readStatus(l.transcript)!.outcome?.kind, 'timeout');
  });

  it('a program that is not there ends as missing_program, with the outcome on disk', async () => {
    const l = launchOf('', {});
    l.spec = { ...l.spec, program: path.join(t.dir, 'no-such-agent'), args: [] };
    const { host, signals } = run(l);
    const outcome = await host.done;
    assert.equal(outcome.kind, 'missing_program');
    assert.ok(outcome.reason?.includes('Install it.'), outcome.reason);
    assert.equal(
      signals.some((s) => s.kind === 'started'),
      false,
    );
    assert.equal(readStatus(l.transcript)!.outcome?.kind, 'missing_program');
  });

  it('a transcript that cannot be opened fails the run with a reason naming it', async () => {
    const blocker = path.join(t.dir, 'logs');
    fs.writeFileSync(blocker, 'a file where the folder should be');
    const l = launchOf(`console.log('never')`);
    const host = new RunHost(l, { mask: testMask, owner: selfIdentity() });
    host.start();
    const outcome: RunOutcome = await host.done;
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.reason ?? '', /could not start: .*logs/);
    assert.equal(fs.existsSync(statusFileFor(l.transcript)), false);
  });

  it('masks every message with the launch secrets before it is written or told', async () => {
    const l = launchOf(`console.log('a ${SECRET} b'); console.error('err ${SECRET}')`);
    const seen: (readonly string[])[] = [];
    const { host, records } = run(l, (m, secrets) => {
      seen.push(secrets);
      return testMask(m, secrets);
    });
    await host.done;
    assert.ok(seen.length >= 1 && seen.every((s) => s.includes(SECRET)));
    assert.ok(!JSON.stringify(records()).includes(SECRET));
    assert.ok(!fs.readFileSync(l.transcript, 'utf8').includes(SECRET));
  });
});

describe('runHost: InProcessSpawner', function () {
  this.timeout(15_000);
  const t = perTest('huskies-inproc-');

  const launchOf = (script: string, runId = 'run-1'): AgentLaunch => ({
    runId,
    runtime: 'command',
    label: 'Test agent',
    spec: { program: process.execPath, args: ['-e', script], cwd: t.dir, env: { ...process.env }, label: 'Test agent (node)', missingHint: 'Install it.' },
    limits: { graceMs: 2000 },
    transcript: path.join(t.dir, 'logs', `${runId}.jsonl`),
    fromSeq: 0,
    secrets: [],
  });

  it('tells a listener that subscribes right after launch every signal, started first', async () => {
    const h = new InProcessSpawner({ mask: testMask }).launch(launchOf(`console.log('hi')`));
    const kinds: string[] = [];
    h.onSignal((s) => kinds.push(s.kind));
    assert.equal((await h.done).ok, true);
    assert.deepEqual(kinds, ['started', 'records', 'replied']);
  });

  it('detach stops the run as orphaned; attach then reads the outcome from disk', async () => {
    const l = launchOf(`console.log('up'); setInterval(() => {}, 1000)`);
    const s = new InProcessSpawner({ mask: testMask });
    const h = s.launch(l);
    const kinds: string[] = [];
    h.onSignal((sig) => {
      kinds.push(sig.kind);
      if (sig.kind === 'started') t.left.group(sig.pid);
    });
    await waitFor(() => kinds.includes('records'), 'the agent to print');
    await h.detach();
    const outcome = await h.done;
    assert.equal(outcome.kind, 'orphaned');
    const attached = await s.attach(l.runId, l.transcript);
    assert.equal(attached.state, 'ended');
    if (attached.state === 'ended') assert.deepEqual(attached.outcome, outcome);
    assert.deepEqual(await s.attach('another-run', l.transcript), { state: 'unknown' });
    assert.deepEqual(await s.attach('run-9', path.join(t.dir, 'logs', 'run-9.jsonl')), { state: 'unknown' });
  });

  it('reap kills the group a crashed host left behind, and only when its start time matches', async () => {
    const s = new InProcessSpawner({ mask: testMask });
    const mine = sleeper();
    const stranger = sleeper();
    t.left.group(mine.pid);
    t.left.group(stranger.pid);
    const status = (pid: number, startTime: number) => ({
      runId: 'r',
      supervisorPid: process.pid,
      supervisorStart: processStartTime(process.pid),
      bootId: bootId(),
      inProcess: true,
      pid,
      startTime,
      lastSeq: 0,
    });
    const tMine = path.join(t.dir, 'logs', 'mine.jsonl');
    const tStranger = path.join(t.dir, 'logs', 'stranger.jsonl');
    writeStatus(tMine, status(mine.pid!, processStartTime(mine.pid!)!));
    writeStatus(tStranger, status(stranger.pid!, processStartTime(stranger.pid!)! + 1));
    await s.reap('r', tMine);
    await s.reap('r', tStranger);
    assert.equal(isSameProcess(mine.pid!, undefined), false, 'our left-behind agent is killed');
    assert.equal(isSameProcess(stranger.pid!, undefined), true, 'a process that reused the pid is left alone');
    assert.equal(isSameProcess(process.pid, undefined), true, 'the host named as owner of an in-process run is never killed');
    assert.equal(readStatus(tMine)!.outcome?.kind, 'orphaned');
  });
});
