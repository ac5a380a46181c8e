// The orchestrator against real git repositories, real files and the real simulated agent process.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies as Orchestrator } from '../../src/core/api';
import { ensureSimBuilt, gitIn, groupAlive, makeRepo, pidAlive, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

const SIM_AGENTS = `[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM_DELAY_MS = "20" }\n`;

describe('orchestrator with the simulated agent (integration)', function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let orch: Orchestrator | undefined;

  before(() => ensureSimBuilt());
  beforeEach(async () => {
    repo = await makeRepo({ agentsToml: SIM_AGENTS });
  });
  afterEach(async () => {
    await orch?.dispose();
    orch = undefined;
    repo.cleanup();
  });

  async function startOrch(extra: Partial<ConstructorParameters<typeof Orchestrator>[0]> = {}) {
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 500, ...extra });
    await orch.start();
    return orch;
  }

  it('runs a story from backlog to QA: worktree, branch, commits, transcript', async () => {
    repo.story(1, 'Add greeting', { criteria: ['Says hello', 'Says goodbye'] });
    gitIn(repo.dir, 'add', '-A');
    gitIn(repo.dir, 'commit', '-qm', 'story');
    const o = await startOrch();
    const run = await o.startAgent(1);
    assert.equal(o.store.get(1)?.stage, 'current');
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa');
    assert.ok(fs.existsSync(path.join(repo.dir, '.huskies/work/3_qa/1_story_add_greeting.md')));
    const r = o.registry.get(run.runId)!;
    assert.equal(r.status, 'succeeded');
    assert.ok(r.worktree && r.worktree.startsWith(path.join(repo.dir, '.huskies', 'worktrees')));
    assert.equal(r.branch, 'huskies/1_add_greeting');
    const files = fs.readdirSync(path.join(r.worktree!, 'huskies-sim', 'story-1'));
    assert.equal(files.length, 2);
    assert.match(gitIn(r.worktree!, 'log', '--oneline', '-1'), /story 1: Add greeting/);
    // The main checkout is untouched: the agent worked in its worktree only.
    assert.ok(!fs.existsSync(path.join(repo.dir, 'huskies-sim')));
    const { records } = await o.readTranscript(run.runId, undefined, 1000);
    const kinds = records.map((x) => x.msg.kind);
    assert.ok(kinds.includes('init') && kinds.includes('tool_use') && kinds.includes('tool_result') && kinds.includes('result'), kinds.join(','));
    const result = records.find((x) => x.msg.kind === 'result')!.msg as { ok: boolean; costUsd?: number; usage?: { inputTokens: number } };
    assert.equal(result.ok, true);
    assert.ok((result.costUsd ?? 0) > 0 && (result.usage?.inputTokens ?? 0) > 0);
    const audit = fs
      .readFileSync(path.join(repo.dir, '.huskies/audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // One audit line per applied command; the stage moves among them, in order.
    assert.deepEqual(
      audit.filter((a) => a.to !== undefined).map((a) => `${a.from}>${a.to}`),
      ['backlog>current', 'current>qa'],
    );
    assert.ok(audit.some((a) => a.cmd === 'run.ended' && a.runId === run.runId));
    assert.deepEqual(
      audit.map((a) => a.seq),
      audit.map((_, i) => i + 1),
      'numbered in the order applied',
    );
  });

  it('keeps a failed story in current with the reason, then blocks it after max_retries', async () => {
    repo.write('.huskies/project.toml', 'max_retries = 1\n');
    repo.story(2, 'Broken thing', { extra: 'sim: fail\n' });
    const o = await startOrch();
    await o.startAgent(2);
    await waitFor(() => o.store.get(2)?.blocked, 'story 2 blocked', 30_000);
    const item = o.store.get(2)!;
    assert.equal(item.stage, 'current');
    assert.match(item.blockedReason ?? '', /failed 2 times; last: .*failed on purpose/);
    const runs = o.registry.forStory(2);
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.status === 'failed'));
    assert.match(runs[1].prompt ?? (await fs.promises.readFile(runs[1].transcript, 'utf8')), /./);
  });

  it('a run that finishes without commits fails with that reason', async () => {
    repo.write('.huskies/project.toml', 'max_retries = 0\n');
    repo.story(3, 'Lazy', { extra: 'sim: no_commit\n' });
    const o = await startOrch();
    const run = await o.startAgent(3);
    await waitFor(() => o.registry.get(run.runId)?.status === 'failed', 'run failed');
    assert.match(o.registry.get(run.runId)!.reason!, /without committing/);
    assert.equal(o.store.get(3)!.stage, 'current');
  });

  it('stopping an agent kills its whole process group and leaves the story in current', async () => {
    const pidfile = path.join(repo.dir, 'sim.pids');
    repo.write(
      '.huskies/agents.toml',
      `[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM = "hang-hard", HUSKIES_SIM_PIDFILE = "${pidfile}", HUSKIES_SIM_DELAY_MS = "10" }\n`,
    );
    repo.story(4, 'Hangs');
    const o = await startOrch();
    const run = await o.startAgent(4);
    const readPids = () =>
      fs.existsSync(pidfile)
        ? fs
            .readFileSync(pidfile, 'utf8')
            .trim()
            .split('\n')
            .map(Number)
            .filter((n) => n > 0)
        : [];
    const pids = await waitFor(() => (readPids().length === 2 ? readPids() : undefined), 'sim pids (agent and grandchild)');
    if (!pids) throw new Error('no pids');
    const pgid = o.registry.get(run.runId)!.pid!;
    assert.ok(groupAlive(pgid));
    o.stopAgent(4);
    await waitFor(() => o.registry.get(run.runId)?.status === 'stopped', 'run stopped', 10_000);
    await waitFor(() => !pids.some(pidAlive), 'agent and grandchild gone', 5_000);
    assert.equal(groupAlive(pgid), false);
    assert.equal(o.store.get(4)!.stage, 'current');
    assert.match(o.registry.get(run.runId)!.reason!, /stopped by the user/);
  });

  it('picks up a story moved by hand into current and starts it', async () => {
    const o = await startOrch();
    const file = repo.story(5, 'By hand');
    await waitFor(() => o.store.get(5)?.stage === 'backlog', 'story 5 seen');
    fs.renameSync(file, path.join(repo.dir, '.huskies/work/2_current', path.basename(file)));
    await waitFor(() => o.store.get(5)?.stage === 'current', 'story 5 moved');
    await waitFor(() => o.store.get(5)?.stage === 'qa', 'story 5 in qa', 30_000);
    const audit = fs.readFileSync(path.join(repo.dir, '.huskies/audit.log'), 'utf8');
    assert.match(audit, /"cmd":"item.external","source":"watcher","id":5,"from":"backlog","to":"current"/);
  });

  it('respects max_coders: extra stories wait in the queue', async () => {
    repo.write('.huskies/project.toml', 'max_coders = 1\n');
    repo.write('.huskies/agents.toml', `[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM_DELAY_MS = "150" }\n`);
    repo.story(6, 'First');
    repo.story(7, 'Second');
    const o = await startOrch();
    await o.startAgent(6);
    await o.startAgent(7);
    await waitFor(() => o.snapshot().running === 1, 'one running');
    assert.equal(o.snapshot().queued, 1);
    await waitFor(() => o.store.get(7)?.stage === 'qa', 'both done', 30_000);
    assert.equal(o.store.get(6)?.stage, 'qa');
  });

  it('a missing agent program puts a readable reason on the story and does not retry', async () => {
    repo.write('.huskies/agents.toml', `[[agent]]\nname = "c"\nruntime = "claude"\nprogram = "/nonexistent/claude"\n`);
    repo.story(8, 'No program');
    const o = await startOrch();
    const run = await o.startAgent(8);
    await waitFor(() => o.registry.get(run.runId)?.status === 'failed', 'failed');
    assert.match(o.registry.get(run.runId)!.reason!, /Claude Code was not found \(\/nonexistent\/claude\)\. Install it/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(o.registry.forStory(8).length, 1);
  });

  it('runs any command: plain lines become text, secrets from the environment are masked in the transcript', async () => {
    repo.write(
      '.huskies/agents.toml',
      `[[agent]]\nname = "cmd"\ncommand = ["sh", "-c", "echo working on $HUSKIES_STORY_ID; echo token=$MY_API_KEY; echo ok > done.txt; git add done.txt; git -c user.name=t -c user.email=t@t commit -qm done"]\nenv = { MY_API_KEY = "sk-test-0123456789abcdef0123" }\n`,
    );
    repo.story(9, 'Shell agent');
    const o = await startOrch();
    const run = await o.startAgent(9);
    await waitFor(() => o.store.get(9)?.stage === 'qa', 'story 9 in qa');
    const raw = fs.readFileSync(o.registry.get(run.runId)!.transcript, 'utf8');
    assert.match(raw, /working on 9/);
    assert.ok(!raw.includes('sk-test-0123456789abcdef0123'), 'the secret never reaches the transcript');
    assert.match(raw, /token=\*\*\*/);
  });

  it('never runs an agent in an untrusted workspace', async () => {
    repo.story(10, 'Untrusted');
    const o = await startOrch({ trusted: false });
    await assert.rejects(o.startAgent(10), /not trusted/);
    fs.renameSync(path.join(repo.dir, '.huskies/work/1_backlog/10_story_untrusted.md'), path.join(repo.dir, '.huskies/work/2_current/10_story_untrusted.md'));
    await waitFor(() => o.store.get(10)?.stage === 'current', 'moved by hand');
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(o.registry.forStory(10).length, 0, 'auto-assign does not start it either');
    o.setTrusted(true);
    await waitFor(() => o.store.get(10)?.stage === 'qa', 'runs once trusted', 30_000);
  });

  it('a broken agents.toml keeps the last good config running and reports file, line and key', async () => {
    const o = await startOrch();
    assert.equal(o.agents()[0].name, 'sim-1');
    repo.write('.huskies/agents.toml', '[[agent]]\nname = "sim-1"\nruntime = "sim"\nmax_turns = "lots"\n');
    await waitFor(() => o.snapshot().problems.some((p) => p.includes('agents.toml:4') && p.includes('max_turns')), 'the problem is reported');
    assert.ok(o.snapshot().problems.some((p) => /last good/.test(p)));
    assert.equal(o.agents()[0].name, 'sim-1', 'the last good agents stay');
    repo.story(11, 'Still works');
    await o.startAgent(11);
    await waitFor(() => o.store.get(11)?.stage === 'qa', 'runs on the last good config', 30_000);
  });

  it('a malformed story is shown as invalid, never dropped or rewritten, and no agent starts on it', async () => {
    const bad = '---\nname: [unclosed\n---\n# Broken\n- [ ] x\n';
    const file = repo.write('.huskies/work/2_current/12_story_broken.md', bad);
    const o = await startOrch();
    const item = o.store.get(12)!;
    assert.ok(item.invalid && /12_story_broken\.md:[23]: front matter is not valid YAML: Flow sequence/.test(item.invalid), item.invalid);
    await assert.rejects(o.startAgent(12), /invalid/);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(o.registry.forStory(12).length, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), bad, 'the file is untouched');
  });

  it('the same number in two stage folders is a conflict, never two agents', async () => {
    repo.write('.huskies/work/2_current/13_story_one.md', '---\nname: One\n---\n');
    repo.write('.huskies/work/3_qa/13_story_two.md', '---\nname: Two\n---\n');
    const o = await startOrch();
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(o.snapshot().problems.some((p) => /Story 13 is in two places/.test(p)));
    assert.equal(o.registry.forStory(13).length, 0);
  });

  it('starting many stories at once never gives one story two agents', async () => {
    repo.write('.huskies/project.toml', 'max_coders = 12\n');
    for (let i = 20; i < 32; i++) repo.story(i, `Parallel ${i}`);
    const o = await startOrch();
    // Auto-assign running right as each story lands in current (as a watcher event would) is the race.
    o.on('transition', () => o.kick());
    await Promise.all(Array.from({ length: 12 }, (_, k) => o.startAgent(20 + k)));
    await waitFor(() => Array.from({ length: 12 }, (_, k) => o.store.get(20 + k)?.stage).every((st) => st === 'qa'), 'all in qa', 45_000);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 20; i < 32; i++) assert.equal(o.registry.forStory(i).length, 1, `story ${i} has exactly one run`);
  });
});
