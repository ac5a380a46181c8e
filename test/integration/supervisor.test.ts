// Supervised runs with the real supervisor bundle, the simulated agent and small node scripts as
// agents: runs outlive their host, are re-attached with no gap or duplicate, stop as a whole group,
// end with an outcome on disk however they end, and are reaped only when they are still ours.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunOutcome, TranscriptRecord } from '../../src/core/model/agentMessage';
import type { AgentLaunch, RunHandle, RunSignal } from '../../src/core/ports/spawner';
import { SupervisedSpawner } from '../../src/core/agents/supervisor/spawner';
import { readStatus, statusFileFor, writeStatus } from '../../src/core/agents/runStatus';
import { lastSeqOf, readAfter } from '../../src/core/agents/transcript';
import { bootId, groupMembers, isSameProcess, processStartTime } from '../../src/core/util/proc';
import { ensureSupervisorBuilt } from '../fixtures/supervisorBuild';
import { ensureSimBuilt, REPO_ROOT, SIM_AGENT } from '../fixtures/repo';
import { groupNice, Leftovers, running, sleeper, waitFor } from '../fixtures/processes';

const SECRET = 'sv-secret-value-0123456789';

/** Prints a line per SIGUSR1 and ends on SIGUSR2; with GRANDCHILD=1 it first starts a sleep in its group. */
const STEPPER = `
if (process.env.GRANDCHILD) require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
let n = 0;
process.on('SIGUSR1', () => console.log('line ' + ++n));
process.on('SIGUSR2', () => { console.log('bye'); process.exit(0); });
console.log('ready');
setInterval(() => {}, 1 << 30);
`;

describe('supervisor: runs that outlive their host', function () {
  this.timeout(60_000);
  const left = new Leftovers();
  let dir: string;
  let supervisorPath: string;
  let n = 0;

  before(function () {
    this.timeout(120_000);
    ensureSimBuilt();
    supervisorPath = ensureSupervisorBuilt();
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-supervisor-'));
  });
  afterEach(() => {
    left.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spawner = () => new SupervisedSpawner({ supervisorPath, pollMs: 200 });

  function launchOf(script: string | undefined, over: Partial<AgentLaunch> = {}, env: NodeJS.ProcessEnv = {}): AgentLaunch {
    const runId = `run-${++n}`;
    let args: string[] = [];
    if (script !== undefined) {
      const file = path.join(dir, `${runId}-agent.js`);
      fs.writeFileSync(file, script);
      args = [file];
    }
    return {
      runId,
      runtime: 'command',
      label: 'Test agent',
      spec: { program: process.execPath, args, cwd: dir, env: { ...process.env, MY_API_KEY: SECRET, ...env }, label: 'Test agent (node)', missingHint: 'Install it.' },
      limits: { graceMs: 3000 },
      transcript: path.join(dir, 'logs', `${runId}.jsonl`),
      fromSeq: 0,
      secrets: [SECRET],
      ...over,
    };
  }

  /** Follows a handle: every signal, in order. */
  function follow(h: RunHandle) {
    const signals: RunSignal[] = [];
    h.onSignal((s) => {
      signals.push(s);
      if (s.kind === 'started') {
        left.group(s.pid);
        left.pid(s.supervisorPid);
      }
    });
    const records = () => signals.flatMap((s) => (s.kind === 'records' ? s.records : []));
    const started = async () => {
      await waitFor(() => signals.some((s) => s.kind === 'started'), 'the agent to start');
      return signals.find((s): s is Extract<RunSignal, { kind: 'started' }> => s.kind === 'started')!;
    };
    return { signals, records, started };
  }

  /** A running stepper that has started a grandchild in its group. */
  async function launchWithGrandchild() {
    const l = launchOf(STEPPER, {}, { GRANDCHILD: '1' });
    const h = spawner().launch(l);
    const { pid, supervisorPid } = await follow(h).started();
    await waitFor(() => groupMembers(pid).length === 2, 'the grandchild to start');
    return { l, h, pid, supervisorPid: supervisorPid! };
  }

  const texts = (recs: TranscriptRecord[]) => recs.map((r) => (r.msg.kind === 'text' ? r.msg.text.trim() : r.msg.kind));
  const seqs = (recs: TranscriptRecord[]) => recs.map((r) => r.seq);
  const linesOnDisk = (l: AgentLaunch) => lastSeqOf(l.transcript);

  it('runs the simulated agent to its end: transcript, signals and outcome on disk; the supervisor leaves', async () => {
    const l = launchOf(undefined, { runtime: 'sim' }, { HUSKIES_SIM: 'no_commit', HUSKIES_SIM_DELAY_MS: '20' });
    l.spec = { ...l.spec, args: [SIM_AGENT, '-p', 'do it', '--output-format', 'stream-json', '--verbose'] };
    const h = spawner().launch(l);
    const f = follow(h);
    const outcome = await h.done;
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const started = await f.started();
    assert.ok(started.supervisorPid && started.supervisorPid !== process.pid);
    assert.ok(f.signals.some((s) => s.kind === 'session') && f.signals.some((s) => s.kind === 'replied'));
    const onDisk = await readAfter(l.transcript, 0);
    assert.deepEqual(f.records(), onDisk);
    assert.deepEqual(
      seqs(onDisk),
      onDisk.map((_, i) => i + 1),
    );
    const st = readStatus(l.transcript)!;
    assert.deepEqual(st.outcome, outcome);
    assert.equal(st.lastSeq, onDisk.length);
    await waitFor(() => !running(started.supervisorPid!), 'the supervisor to exit');
    assert.deepEqual(fs.readdirSync(path.dirname(l.transcript)).sort(), [`${l.runId}.jsonl`, `${l.runId}.status.json`], 'only the transcript and the status stay');
  });

  it('runs the supervisor and the agent below this process’s priority, each session’s scheduling group too', async () => {
    const l = launchOf(STEPPER, { limits: { graceMs: 3000, nice: 10 } });
    const h = spawner().launch(l);
    const { pid, supervisorPid } = await follow(h).started();
    const want = Math.max(10, os.getPriority());
    assert.equal(os.getPriority(supervisorPid!), want, 'the supervisor');
    assert.equal(os.getPriority(pid), want, 'the agent');
    const mine = groupNice('self');
    if (mine !== undefined) {
      // Each leads its own session (so the agent's group can be stopped as one): each is its own group.
      assert.equal(groupNice(supervisorPid!), Math.max(10, mine), 'the supervisor’s group');
      assert.equal(groupNice(pid), Math.max(10, mine), 'the agent’s group');
    }
    await waitFor(() => linesOnDisk(l) >= 1, 'ready on disk');
    process.kill(pid, 'SIGUSR2');
    assert.equal((await h.done).ok, true);
  });

  it('records nobody follows stay on disk unparsed (only the newest seq is told); once followed they come one by one', async () => {
    let wanted = false;
    const l = launchOf(STEPPER);
    const h = new SupervisedSpawner({ supervisorPath, pollMs: 200, wantsRecords: (id) => (assert.equal(id, l.runId), wanted) }).launch(l);
    const f = follow(h);
    const { pid } = await f.started();
    const upTo = () => Math.max(0, ...f.signals.map((s) => (s.kind === 'records' ? (s.upTo ?? 0) : 0)));
    await waitFor(() => linesOnDisk(l) >= 1, 'ready on disk');
    for (let i = 2; i <= 4; i++) {
      process.kill(pid, 'SIGUSR1'); // one at a time: signals sent together may arrive as one
      await waitFor(() => linesOnDisk(l) >= i, `record ${i} on disk`);
    }
    await waitFor(() => upTo() === 4, 'the newest seq told');
    assert.deepEqual(f.records(), [], 'no record parsed nor told while nobody follows the run');
    wanted = true;
    const told = upTo();
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => f.records().length >= 1, 'a followed record');
    process.kill(pid, 'SIGUSR2');
    await h.done;
    const onDisk = await readAfter(l.transcript, told);
    assert.deepEqual(f.records(), onDisk, 'every record after the last seq told, once, in order');
    assert.deepEqual(texts(onDisk).slice(0, 2), ['line 4', 'bye']);
  });

  it('keeps env and secrets off the disk and masks the secret in what the agent prints', async () => {
    const l = launchOf(`console.log('key=' + process.env.MY_API_KEY)`);
    const h = spawner().launch(l);
    const f = follow(h);
    assert.equal((await h.done).ok, true);
    assert.ok(
      texts(f.records()).some((t) => t.includes('***')),
      JSON.stringify(texts(f.records())),
    );
    for (const file of fs.readdirSync(path.dirname(l.transcript))) {
      assert.ok(!fs.readFileSync(path.join(path.dirname(l.transcript), file), 'utf8').includes(SECRET), file);
    }
  });

  it('a new host attaches to a run whose host detached: the rest of the records, no gap, no duplicate, and the outcome', async () => {
    const l = launchOf(STEPPER);
    const a = spawner().launch(l);
    const fa = follow(a);
    const { pid } = await fa.started();
    await waitFor(() => texts(fa.records()).includes('ready'), 'the agent to be ready');
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => texts(fa.records()).includes('line 1'), 'line 1 at the first host');
    await a.detach();
    const seenByA = fa.records();
    // One signal at a time: signals of one kind that arrive together are delivered once.
    for (const more of [1, 2]) {
      process.kill(pid, 'SIGUSR1');
      await waitFor(() => linesOnDisk(l) >= seenByA.length + more, 'a line written while no host watches');
    }

    const attached = await spawner().attach(l.runId, l.transcript, seenByA[seenByA.length - 1].seq);
    assert.equal(attached.state, 'live');
    if (attached.state !== 'live') return;
    const fb = follow(attached.handle);
    await waitFor(() => texts(fb.records()).includes('line 3'), 'the missed lines at the new host');
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => texts(fb.records()).includes('line 4'), 'a live line at the new host');
    process.kill(pid, 'SIGUSR2');
    const outcome = await attached.handle.done;
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(fa.records().length, seenByA.length, 'a detached handle tells nothing more');
    const all = [...seenByA, ...fb.records()];
    assert.deepEqual(all, await readAfter(l.transcript, 0));
    assert.deepEqual(
      seqs(all),
      all.map((_, i) => i + 1),
    );
    assert.deepEqual(texts(all), ['ready', 'line 1', 'line 2', 'line 3', 'line 4', 'bye']);
  });

  it('the run survives its host being killed with its whole process group', async () => {
    const l = launchOf(STEPPER);
    const hostScript = path.join(dir, 'host.ts');
    fs.writeFileSync(
      hostScript,
      `import { SupervisedSpawner } from ${JSON.stringify(path.join(REPO_ROOT, 'src/core/agents/supervisor/spawner'))};
       const h = new SupervisedSpawner({ supervisorPath: ${JSON.stringify(supervisorPath)} }).launch(${JSON.stringify(l)});
       h.onSignal((s) => { if (s.kind === 'started') console.log(JSON.stringify(s)); });`,
    );
    const host = spawn(process.execPath, ['--import', 'tsx', hostScript], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    left.group(host.pid);
    const started = await new Promise<Extract<RunSignal, { kind: 'started' }>>((resolve) => host.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)))));
    left.group(started.pid);
    left.pid(started.supervisorPid);
    const exited = new Promise((r) => host.once('exit', r));
    process.kill(-host.pid!, 'SIGKILL');
    await exited;
    assert.ok(running(started.supervisorPid!), 'the supervisor outlives its host');
    assert.ok(running(started.pid), 'and so does the agent');

    const attached = await spawner().attach(l.runId, l.transcript, 0);
    assert.equal(attached.state, 'live');
    if (attached.state !== 'live') return;
    const f = follow(attached.handle);
    await waitFor(() => texts(f.records()).includes('ready'), 'the agent to be ready');
    process.kill(started.pid, 'SIGUSR1');
    await waitFor(() => texts(f.records()).includes('line 1'), 'a line at the new host');
    process.kill(started.pid, 'SIGUSR2');
    assert.equal((await attached.handle.done).ok, true);
    assert.deepEqual(texts(f.records()), ['ready', 'line 1', 'bye']);
  });

  it('a stop from a re-attached handle takes the whole group down with its kind and reason', async () => {
    const { l, h: a, pid, supervisorPid } = await launchWithGrandchild();
    await a.detach();
    const attached = await spawner().attach(l.runId, l.transcript, 0);
    assert.equal(attached.state, 'live');
    if (attached.state !== 'live') return;
    attached.handle.stop('cancelled', 'stopped by the user');
    const outcome = await attached.handle.done;
    assert.deepEqual([outcome.kind, outcome.reason], ['cancelled', 'stopped by the user']);
    assert.deepEqual(groupMembers(pid), [], 'no process of the group is left');
    await waitFor(() => !running(supervisorPid), 'the supervisor to exit');
    assert.equal(readStatus(l.transcript)!.outcome?.kind, 'cancelled');
    assert.equal(fs.existsSync(l.transcript.replace('.jsonl', '.control.json')), false);
  });

  it('an agent killed from outside still ends with an outcome written by its supervisor', async () => {
    const l = launchOf(STEPPER);
    const h = spawner().launch(l);
    const f = follow(h);
    const { pid, supervisorPid } = await f.started();
    await waitFor(() => texts(f.records()).includes('ready'), 'the agent to print');
    process.kill(pid, 'SIGKILL');
    const outcome = await h.done;
    assert.equal(outcome.ok, false);
    assert.match(outcome.reason ?? '', /SIGKILL|signal/i);
    assert.deepEqual(readStatus(l.transcript)!.outcome, outcome);
    await waitFor(() => !running(supervisorPid!), 'the supervisor to exit');
  });

  it('a supervisor that cannot start the agent writes the failure and exits', async () => {
    const l = launchOf('');
    l.spec = { ...l.spec, program: path.join(dir, 'no-such-agent'), args: [] };
    const h = spawner().launch(l);
    const outcome = await h.done;
    assert.equal(outcome.kind, 'missing_program');
    const st = readStatus(l.transcript)!;
    assert.equal(st.outcome?.kind, 'missing_program');
    await waitFor(() => !running(st.supervisorPid), 'the supervisor to exit');
  });

  it('a supervisor that never starts ends the run as failed with its reason', async () => {
    const l = launchOf(STEPPER);
    const h = new SupervisedSpawner({ supervisorPath, nodePath: path.join(dir, 'no-such-node'), pollMs: 200 }).launch(l);
    const outcome: RunOutcome = await h.done;
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.reason ?? '', /supervisor.*ENOENT/);
    assert.equal(readStatus(l.transcript)!.outcome?.kind, 'failed');
  });

  it('a launch whose transcript folder cannot be made fails at once and starts nothing', async () => {
    const l = launchOf(STEPPER);
    fs.writeFileSync(path.dirname(l.transcript), 'a file where the folder should be');
    const h = spawner().launch(l);
    const signals = follow(h).signals;
    const outcome = await h.done;
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.reason ?? '', /could not start: .*logs/);
    assert.deepEqual(signals, []);
  });

  it('a watched supervisor killed from outside: its agent group is killed and the run ends as orphaned', async () => {
    const { l, h, pid, supervisorPid } = await launchWithGrandchild();
    process.kill(supervisorPid, 'SIGKILL');
    const outcome = await h.done;
    assert.equal(outcome.kind, 'orphaned');
    await waitFor(() => groupMembers(pid).length === 0, 'the agent group to be gone');
    assert.equal(readStatus(l.transcript)!.outcome?.kind, 'orphaned');
  });

  it('reap ends an orphan left by a dead supervisor, and attach then reads it as ended', async () => {
    const { l, h: a, pid, supervisorPid } = await launchWithGrandchild();
    await a.detach();
    process.kill(supervisorPid, 'SIGKILL');
    await waitFor(() => !running(supervisorPid), 'the supervisor to die');
    const s = spawner();
    assert.deepEqual(await s.attach(l.runId, l.transcript, 0), { state: 'unknown' });
    await s.reap(l.runId, l.transcript);
    assert.deepEqual(groupMembers(pid), []);
    const again = await s.attach(l.runId, l.transcript, 0);
    assert.equal(again.state, 'ended');
    if (again.state === 'ended') assert.equal(again.outcome.kind, 'orphaned');
  });

  it('reap kills nothing whose start time differs from the recorded one (a reused pid)', async () => {
    const sup = sleeper();
    const agent = sleeper();
    left.group(sup.pid);
    left.group(agent.pid);
    const transcript = path.join(dir, 'logs', 'old.jsonl');
    writeStatus(transcript, {
      runId: 'old',
      supervisorPid: sup.pid!,
      supervisorStart: processStartTime(sup.pid!)! - 1,
      bootId: bootId(),
      pid: agent.pid!,
      startTime: processStartTime(agent.pid!)! - 1,
      lastSeq: 0,
    });
    const s = spawner();
    assert.deepEqual(await s.attach('old', transcript, 0), { state: 'unknown' }, 'not ours, so not live');
    await s.reap('old', transcript);
    assert.ok(running(sup.pid!) && running(agent.pid!), 'both processes that took the pids are left alone');
    assert.equal(readStatus(transcript)!.outcome?.kind, 'orphaned');
    assert.ok(isSameProcess(agent.pid!, processStartTime(agent.pid!)));
    assert.ok(fs.existsSync(statusFileFor(transcript)));
  });
});
