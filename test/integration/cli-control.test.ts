// `huskies pause|resume|note` and `huskies timer|trigger` as a user runs them: on a project nothing drives (the command
// applies them itself) and while `huskies run` drives it (they are sent to it as requests).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli } from '../fixtures/cliBuild';
import { ensureSimBuilt, gitRepoDir, REPO_ROOT, waitFor } from '../fixtures/repo';

const CLI = path.join(REPO_ROOT, 'dist', 'cli-control-test.js');

describe('huskies pause, resume and note (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  const env = { ...process.env, HUSKIES_SIM_DELAY_MS: '20', PATH: '/usr/bin:/bin' };
  const huskies = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  /** The same, without blocking this process (a leader's output keeps flowing meanwhile). */
  const huskiesAsync = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
  const agentsState = () => JSON.parse(fs.readFileSync(path.join(dir, '.huskies/agents_state.json'), 'utf8'));
  const storyFile = () => fs.readFileSync(path.join(dir, '.huskies/work/1_backlog/1_story_one.md'), 'utf8');

  before(() => {
    ensureSimBuilt();
    buildCli(CLI);
  });
  after(() => fs.rmSync(CLI, { force: true }));
  beforeEach(() => {
    dir = gitRepoDir('huskies-cli-control-');
    assert.equal(huskies('init').status, 0);
    fs.writeFileSync(path.join(dir, '.huskies/work/1_backlog/1_story_one.md'), '---\nname: One\n---\n- [ ] x\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pauses and resumes the project and a story, keeps notes, and status shows them', () => {
    const p = huskies('pause', 'release', 'freeze');
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /The project is paused: release freeze/);
    assert.equal(agentsState().paused.reason, 'release freeze');
    const again = huskies('pause');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /The project is paused already/);
    assert.equal(huskies('pause', '1', 'needs', 'a', 'design').status, 0);
    assert.match(storyFile(), /paused: true/);
    assert.match(storyFile(), /paused_reason: needs a design/);
    assert.equal(huskies('note', 'deploys on Monday').status, 0);
    assert.equal(huskies('note', '1', 'ask Ana first').status, 0);
    assert.match(storyFile(), /note: ask Ana first/);
    const st = huskies('status');
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /PAUSED since .* \(cli\): release freeze/);
    assert.match(st.stdout, /⏸ story #1 is paused: needs a design/);
    assert.match(st.stdout, /Notes\n {2}\S+ \(cli\) deploys on Monday\n {2}#1: ask Ana first/);
    assert.equal(huskies('resume', '1').status, 0);
    assert.doesNotMatch(storyFile(), /paused/);
    const r = huskies('resume');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(agentsState().paused, undefined);
    assert.doesNotMatch(huskies('status').stdout, /PAUSED/);
  });

  it('mcp-token says so when no process serves the project, and needs a story number', () => {
    const m = huskies('mcp-token', '1');
    assert.equal(m.status, 1);
    assert.match(m.stderr, /no Huskies serves this project now: open it in VS Code or run `huskies run`/);
    assert.equal(huskies('mcp-token').status, 2);
  });

  it('status lists what needs the user: a story waiting on one that does not exist', () => {
    fs.writeFileSync(path.join(dir, '.huskies/work/2_current/2_story_two.md'), '---\nname: Two\ndepends_on: [99]\n---\n- [ ] y\n');
    const st = huskies('status');
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /NEEDS YOU \(1\):\n {2}\? .*#99/);
  });

  it('bad input gets a clear usage error', () => {
    const n = huskies('note');
    assert.equal(n.status, 2);
    assert.match(n.stderr, /note needs the text/);
    assert.equal(huskies('note', '1').status, 2);
    const r = huskies('resume', 'now');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /resume takes at most a story number/);
    const missing = huskies('pause', '9');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /There is no story 9/);
  });

  it('timer and trigger: add, list, cancel, with clear usage errors', () => {
    const t = huskies('timer', 'add', '--every', '30m', '--tool', 'move_story', '--args', '{"story": 1, "to": "current"}');
    assert.equal(t.status, 0, t.stderr);
    const id = /Timer (t-[0-9a-f]+): every 30m → move_story/.exec(t.stdout)?.[1];
    assert.ok(id, t.stdout);
    const at = huskies('timer', 'add', '--at', '09:30', '--tz', 'Europe/Berlin', '--prompt', 'Morning summary');
    assert.equal(at.status, 0, at.stderr);
    // Listed by when each fires next, which depends on the time of day the test runs: each line alone.
    const listed = huskies('timer', 'list').stdout.split('\n');
    assert.equal(listed.filter((l) => new RegExp(`^${id}: every 30m → move_story .* · next \\S+ · fired 0×$`).test(l)).length, 1, listed.join('\n'));
    assert.equal(listed.filter((l) => /^t-[0-9a-f]+: at 09:30 \(Europe\/Berlin\) → prompt "Morning summary" · next \S+ · fired 0×$/.test(l)).length, 1, listed.join('\n'));
    assert.equal(huskies('timer', 'cancel', id!).status, 0);
    assert.doesNotMatch(huskies('timer', 'list').stdout, new RegExp(id!));
    const g = huskies('trigger', 'add', '--to', 'qa', '--type', 'bug', '--once', '--prompt', 'Check the fix');
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stdout, /Trigger g-[0-9a-f]+ \[once\]: a story moves \(type bug, to qa\) → prompt "Check the fix"/);
    assert.match(fs.readFileSync(path.join(dir, '.huskies/triggers.json'), 'utf8'), /"mode": "once"/);
    const gid = /Trigger (g-[0-9a-f]+)/.exec(g.stdout)![1];
    assert.equal(huskies('trigger', 'cancel', gid).status, 0);
    assert.match(huskies('trigger', 'list').stdout, /No triggers\./);
    const bad = huskies('timer', 'add', '--every', '10s', '--prompt', 'x');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /shorter than 60 seconds/);
    const both = huskies('timer', 'add', '--at', '09:00', '--cron', '0 9 * * *', '--prompt', 'x');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /exactly one of --at, --every, --cron/);
    assert.equal(huskies('trigger', 'add', '--prompt', 'x').status, 2);
    assert.match(huskies('trigger', 'frobnicate').stderr, /trigger needs add, list or cancel, not "frobnicate"/);
  });

  it('while `huskies run` drives the project, they are carried out by it', async () => {
    const leader = spawn(process.execPath, [CLI, 'run', '-q'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    leader.stdout.on('data', (d) => (out += d));
    leader.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => /Huskies is running/.test(out), 'the leader to start');
      const p = await huskiesAsync('pause', 'lunch');
      assert.equal(p.status, 0, p.stderr);
      assert.match(p.stdout, /sent to the orchestrator that drives the project, pid \d+/);
      assert.equal(agentsState().paused.reason, 'lunch');
      const n = await huskiesAsync('note', '1', 'later');
      assert.equal(n.status, 0, n.stderr);
      assert.match(storyFile(), /note: later/);
      const r = await huskiesAsync('resume');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(agentsState().paused, undefined);
      const t = await huskiesAsync('timer', 'add', '--cron', '0 9 * * 1-5', '--prompt', 'Standup notes');
      assert.equal(t.status, 0, t.stderr);
      assert.match(fs.readFileSync(path.join(dir, '.huskies/timers.json'), 'utf8'), /"cron": "0 9 \* \* 1-5"/);
      // a session started by hand gets the leader's MCP server and a token for its story
      const m = await huskiesAsync('mcp-token', '1');
      assert.equal(m.status, 0, m.stderr);
      const url = /^URL: +(\S+)$/m.exec(m.stdout)![1];
      const token = /^Token: +(\S+)/m.exec(m.stdout)![1];
      assert.match(m.stdout, /claude --mcp-config '\{"mcpServers":\{"huskies":\{"type":"http","url":"http:\/\/127\.0\.0\.1:\d+\/mcp"/);
      const list = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
      assert.equal(list.status, 200);
      assert.match(await list.text(), /check_criterion/);
    } finally {
      leader.kill('SIGINT');
      await new Promise((r) => leader.on('exit', r));
    }
  });
});
