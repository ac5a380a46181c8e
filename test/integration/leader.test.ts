// Two processes on one project: `huskies run` drives it, and other `huskies` commands send it
// requests. A stop sticks; an answer reaches the leader; with no leader answering, nothing changes.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSimBuilt, gitRepoDir, groupAlive, REPO_ROOT, waitFor } from '../fixtures/repo';
import { processStartTime } from '../../src/core/util/proc';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

describe('a leader and the commands sent to it (integration)', function () {
  this.timeout(90_000);
  let dir: string;
  const children: ChildProcess[] = [];
  const env = { ...process.env, HUSKIES_SIM_DELAY_MS: '20', HUSKIES_REQUEST_TIMEOUT_MS: '1500', PATH: '/usr/bin:/bin', GIT_CONFIG_GLOBAL: '/dev/null' };
  const huskies = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  const runs = (): { runId: string; storyId: number; status: string; handled?: string; pid?: number }[] =>
    fs.existsSync(path.join(dir, '.huskies/runs.json')) ? JSON.parse(fs.readFileSync(path.join(dir, '.huskies/runs.json'), 'utf8')).runs : [];
  const story = (stage: string, file: string, fm: string) => fs.writeFileSync(path.join(dir, '.huskies/work', stage, file), `---\n${fm}---\n- [ ] x\n`);

  /** Starts `huskies run` and resolves once it says it is running. */
  async function leader(): Promise<{ child: ChildProcess; out: () => string }> {
    const child = spawn(process.execPath, [CLI, 'run', '--quiet'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(() => /Huskies is running/.test(out), 'the leader to start');
    return { child, out: () => out };
  }

  before(() => ensureSimBuilt());
  beforeEach(() => {
    dir = gitRepoDir('huskies-leader-');
    assert.equal(huskies('init').status, 0);
    fs.writeFileSync(path.join(dir, '.huskies/agents.toml'), '[[agent]]\nname = "sim-1"\nruntime = "sim"\n');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGINT');
        await new Promise((r) => c.once('exit', r));
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('huskies stop while huskies run drives the project: the stop sticks, nothing retries it', async () => {
    story('2_current', '1_story_long.md', 'name: Long\nsim: hang\n');
    await leader();
    const pid = (await waitFor(() => runs().find((r) => r.pid)?.pid, 'the agent to start')) as number;
    const stop = huskies('stop', '1');
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, /the stop sticks/);
    await waitFor(() => runs()[0]?.status === 'stopped', 'the run stopped');
    assert.equal(runs()[0].handled, 'stopped-by-user');
    await waitFor(() => !groupAlive(pid), 'the agent group gone', 5_000);
    // More work flows through the leader meanwhile; story 1 gets no second run.
    story('2_current', '2_story_other.md', 'name: Other\n');
    await waitFor(() => fs.existsSync(path.join(dir, '.huskies/work/3_qa/2_story_other.md')), 'story 2 done', 30_000);
    assert.equal(runs().filter((r) => r.storyId === 1).length, 1);
    const status = huskies('status');
    assert.match(status.stdout, /#1 Long .*stopped by you/);
  });

  it('huskies answer reaches the leader, which resumes the session', async () => {
    story('2_current', '3_story_ask.md', 'name: Ask\nsim: question\n');
    await leader();
    await waitFor(() => /blocked: true/.test(fs.readFileSync(path.join(dir, '.huskies/work/2_current/3_story_ask.md'), 'utf8')), 'the question blocks the story', 30_000);
    const a = huskies('answer', '3', 'Hello');
    assert.equal(a.status, 0, a.stderr + a.stdout);
    await waitFor(() => fs.existsSync(path.join(dir, '.huskies/work/3_qa/3_story_ask.md')), 'the story goes on to QA', 30_000);
    const r = runs().filter((x) => x.storyId === 3);
    assert.equal(r.length, 2);
  });

  it('with a leader that does not answer, answer and followup exit non-zero and change nothing', async () => {
    story('2_current', '4_story_q.md', 'name: Q\nblocked: true\nquestion: Which?\n');
    // A live process that is not an orchestrator holds the lock.
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    await waitFor(() => processStartTime(sleeper.pid!) !== undefined, 'the sleeper to run');
    fs.writeFileSync(
      path.join(dir, '.huskies/orchestrator.lock'),
      JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startedAt: new Date().toISOString(), by: 'test', startTime: processStartTime(sleeper.pid!) }),
    );
    const before = fs.readFileSync(path.join(dir, '.huskies/work/2_current/4_story_q.md'), 'utf8');
    const a = huskies('answer', '4', 'This one');
    assert.notEqual(a.status, 0);
    assert.match(a.stderr, /did not take the request in time; nothing was changed/);
    assert.equal(fs.readFileSync(path.join(dir, '.huskies/work/2_current/4_story_q.md'), 'utf8'), before, 'the question is still there');
    assert.deepEqual(fs.readdirSync(path.join(dir, '.huskies/requests')), [], 'the request was withdrawn');
    const f = huskies('followup', '4', 'more');
    assert.notEqual(f.status, 0);
  });

  it('SIGHUP (the terminal closes) stops the agents, records them and releases the lock', async () => {
    story('2_current', '5_story_long.md', 'name: Long\nsim: hang\n');
    const { child, out } = await leader();
    const pid = (await waitFor(() => runs().find((r) => r.pid)?.pid, 'the agent to start')) as number;
    child.kill('SIGHUP');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 0, out());
    assert.match(out(), /SIGHUP: stopping agents/);
    await waitFor(() => !groupAlive(pid), 'no agent process left', 5_000);
    assert.equal(runs()[0].status, 'failed');
    assert.ok(!fs.existsSync(path.join(dir, '.huskies/orchestrator.lock')), 'the lock is released');
  });
});
