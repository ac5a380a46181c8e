// The huskies command as a user runs it: a real process on a real repository.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli } from '../fixtures/cliBuild';
import { ensureSimBuilt, gitRepoDir, groupAlive, REPO_ROOT, waitFor } from '../fixtures/repo';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

describe('the huskies command (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  const env = { ...process.env, HUSKIES_SIM_DELAY_MS: '20', PATH: '/usr/bin:/bin' }; // no claude on PATH: the sim is the default
  const huskies = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });

  before(() => {
    ensureSimBuilt();
    buildCli(CLI);
  });
  beforeEach(() => {
    dir = gitRepoDir('huskies-cli-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('init, new, start, status: a story goes to QA with the simulated agent', () => {
    const init = huskies('init');
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /created \.huskies\/project\.toml/);
    assert.match(fs.readFileSync(path.join(dir, '.huskies/agents.toml'), 'utf8'), /^runtime = "sim"/m);
    const created = huskies('new', 'Add greeting', '-c', 'Says hello; Says bye');
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /#1 Add greeting → \.huskies\/work\/1_backlog\/1_story_add_greeting\.md/);
    const start = huskies('start', '1');
    assert.equal(start.status, 0, start.stdout + start.stderr);
    assert.match(start.stdout, /#1: backlog → current/);
    assert.match(start.stdout, /→ Write: .*01_says_hello\.md/);
    assert.match(start.stdout, /#1: current → qa/);
    const status = huskies('status');
    assert.equal(status.status, 0);
    assert.match(status.stdout, /QA \(1\)\n {2}#1 Add greeting 0\/2 \[sim-1: succeeded\]/);
    assert.match(status.stdout, /✓ sim-1 \(sim\)/);
  });

  it('approve, reject, abandon and demote from the command line, each through the stage rules', () => {
    huskies('init');
    const qa = path.join(dir, '.huskies/work/3_qa');
    fs.writeFileSync(path.join(qa, '1_story_one.md'), '---\nname: One\n---\n- [ ] x\n');
    fs.writeFileSync(path.join(qa, '2_story_two.md'), '---\nname: Two\n---\n- [ ] x\n');
    const a = huskies('approve', '1');
    assert.equal(a.status, 0, a.stderr);
    assert.ok(fs.existsSync(path.join(dir, '.huskies/work/4_merge/1_story_one.md')));
    const again = huskies('approve', '1');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /Story 1 is in merge; only a story in QA can be approved/);
    assert.equal(huskies('reject', '2').status, 2, 'feedback is required');
    const r = huskies('reject', '2', 'Use', 'French');
    assert.equal(r.status, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(dir, '.huskies/work/2_current/2_story_two.md'), 'utf8'), /qa_feedback: Use French/);
    assert.equal(huskies('demote', '2').status, 0);
    assert.ok(fs.existsSync(path.join(dir, '.huskies/work/1_backlog/2_story_two.md')));
    const ab = huskies('abandon', '2', 'not needed');
    assert.equal(ab.status, 0, ab.stderr);
    assert.match(fs.readFileSync(path.join(dir, '.huskies/work/6_archived/2_story_two.md'), 'utf8'), /archived_reason: not needed/);
  });

  it('bad input gets a clear error and a usage exit code', () => {
    huskies('init');
    const r = huskies('start', 'abc');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected a story number, got "abc"/);
    const m = huskies('move', '99', 'qa');
    assert.equal(m.status, 1);
    assert.match(m.stderr, /There is no story 99/);
  });

  it('run: Ctrl+C stops the agents cleanly; the next run resumes the interrupted story', async () => {
    huskies('init');
    fs.writeFileSync(path.join(dir, '.huskies/agents.toml'), '[[agent]]\nname = "sim-1"\nruntime = "sim"\n');
    fs.writeFileSync(path.join(dir, '.huskies/work/2_current/1_story_long.md'), '---\nname: Long\nsim: hang\n---\n- [ ] x\n');
    const child = spawn(process.execPath, [CLI, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const runs = () => (fs.existsSync(path.join(dir, '.huskies/runs.json')) ? JSON.parse(fs.readFileSync(path.join(dir, '.huskies/runs.json'), 'utf8')).runs : []);
    // The pid and the session are in runs.json while the agent runs, not only when it ends.
    const pid = (await waitFor(
      () => runs().find((r: { pid?: number; sessionId?: string }) => r.pid && r.sessionId)?.pid as number | undefined,
      'the agent to start and report its session',
    )) as number;
    assert.ok(groupAlive(pid));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0, out);
    assert.match(out, /SIGINT: stopping agents/);
    await waitFor(() => !groupAlive(pid), 'no agent process left', 3_000);
    assert.equal(runs()[0].outcome, 'orphaned');
    assert.ok(!fs.existsSync(path.join(dir, '.huskies/orchestrator.lock')), 'the lock is released');
    // The next run picks the interrupted story up again, in the same session.
    fs.writeFileSync(path.join(dir, '.huskies/work/2_current/1_story_long.md'), '---\nname: Long\n---\n- [ ] x\n');
    const again = spawn(process.execPath, [CLI, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitFor(() => fs.existsSync(path.join(dir, '.huskies/work/3_qa/1_story_long.md')), 'the story resumed and in qa', 30_000);
    } finally {
      again.kill('SIGINT');
      await new Promise((r) => again.on('exit', r));
    }
    const all = runs();
    assert.equal(all.length, 2);
    assert.equal(all[1].sessionId, all[0].sessionId, 'resumed the same session');
  });
});
