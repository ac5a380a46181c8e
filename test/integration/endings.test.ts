// Every way a run can end, with the real simulated agent process: each asserts that no process is left.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Huskies as Orchestrator } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { ensureSimBuilt, groupAlive, makeRepo, pidAlive, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

function simAgents(env: Record<string, string> = {}, extra = ''): string {
  const e = Object.entries({ HUSKIES_SIM_DELAY_MS: '10', ...env })
    .map(([k, v]) => `${k} = "${v}"`)
    .join(', ');
  return `[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { ${e} }\n${extra}`;
}

describe('every ending of a run (integration, simulated agent)', function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let orch: Orchestrator | undefined;
  const pgids = new Set<number>();

  before(() => ensureSimBuilt());
  afterEach(async () => {
    await orch?.dispose();
    orch = undefined;
    // Nothing the orchestrator started may outlive it.
    await waitFor(() => [...pgids].every((g) => !groupAlive(g)), 'every agent process group gone', 5_000);
    pgids.clear();
    repo.cleanup();
  });

  async function setup(agentsToml: string, projectToml = 'max_retries = 0\n') {
    repo = await makeRepo({ agentsToml, projectToml });
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300 });
    orch.on('changed', () => {
      for (const r of orch?.registry.active() ?? []) if (r.pid) pgids.add(r.pid);
    });
    await orch.start();
    return orch;
  }

  const ended = (o: Orchestrator, runId: string) =>
    waitFor(
      () => {
        const r = o.registry.get(runId);
        return r && r.status !== 'running' && r.status !== 'queued' ? r : undefined;
      },
      `run ${runId} to end`,
      30_000,
    ) as Promise<RunRecord>;

  it('hang → the inactivity watchdog stops it, grandchild included', async () => {
    const pidfile = path.join(os.tmpdir(), `huskies-pids-${process.pid}-${Date.now()}`);
    const o = await setup(simAgents({ HUSKIES_SIM: 'hang', HUSKIES_SIM_PIDFILE: pidfile }, 'inactivity_timeout = 1\n'));
    repo.story(1, 'Hangs');
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    assert.equal(r.outcome, 'inactivity');
    assert.match(r.reason!, /no output for 1 s/);
    const pids = fs.readFileSync(pidfile, 'utf8').trim().split('\n').map(Number);
    await waitFor(() => !pids.some(pidAlive), 'agent and its grandchild gone', 5_000);
    fs.rmSync(pidfile, { force: true });
  });

  it('wall-clock timeout stops a run that keeps talking', async () => {
    const o = await setup(simAgents({ HUSKIES_SIM: 'slow', HUSKIES_SIM_DELAY_MS: '400' }, 'timeout = 1\n'));
    repo.story(2, 'Slow');
    const r = await ended(o, (await o.startAgent(2)).runId);
    assert.equal(r.outcome, 'timeout');
    assert.match(r.reason!, /time limit of 1 s/);
  });

  it('crash → failed with the exit code and the last stderr line', async () => {
    const o = await setup(simAgents({ HUSKIES_SIM: 'crash' }));
    repo.story(3, 'Crashes');
    const r = await ended(o, (await o.startAgent(3)).runId);
    assert.equal(r.status, 'failed');
    assert.match(r.reason!, /code 2/);
    assert.match(r.reason!, /simulated crash/);
    assert.equal(o.store.get(3)!.stage, 'current');
  });

  it('max turns → failed with the turn limit as the reason', async () => {
    const o = await setup(simAgents({}, 'max_turns = 1\n'));
    repo.story(4, 'Many criteria', { criteria: ['a', 'b', 'c'] });
    const r = await ended(o, (await o.startAgent(4)).runId);
    assert.equal(r.outcome, 'max_turns');
    assert.match(r.reason!, /turn/i);
  });

  it('rate limit → agent marked, resume timer persisted, same session resumed in the same worktree', async () => {
    const o = await setup(simAgents({ HUSKIES_SIM: 'rate_limit', HUSKIES_SIM_RESET_S: '5' }));
    repo.story(5, 'Limited');
    const limited = new Promise<void>((r) => o.once('rateLimited', () => r()));
    const first = await ended(o, (await o.startAgent(5)).runId);
    await limited; // the timer is saved before the event
    assert.equal(first.outcome, 'rate_limited');
    assert.ok(first.retryAt && first.retryAt > Date.now() - 1000);
    const timers = JSON.parse(fs.readFileSync(path.join(repo.dir, '.huskies/timers.json'), 'utf8')).timers;
    assert.equal(timers.length, 1);
    assert.equal(timers[0].storyId, 5);
    assert.equal(timers[0].sessionId, first.sessionId);
    const snap = o.snapshot();
    assert.ok(Object.keys(snap.rateLimits).length === 1, 'the agent is marked rate-limited');
    assert.ok(Object.values(snap.rateLimits)[0].until > Date.now() - 1000, 'until the reset');
    // The timer fires on the tick once the reset time has passed.
    await waitFor(() => o.store.get(5)?.stage === 'qa', 'story resumed and done', 20_000);
    const runs = o.registry.forStory(5);
    assert.equal(runs.length, 2);
    assert.equal(runs[1].sessionId, first.sessionId, 'same session');
    assert.equal(runs[1].worktree, first.worktree, 'same worktree');
    assert.equal(o.snapshot().timers.length, 0);
  });

  it('a rate-limit timer survives a restart', async () => {
    const o = await setup(simAgents({ HUSKIES_SIM: 'rate_limit', HUSKIES_SIM_RESET_S: '6' }));
    repo.story(6, 'Limited across restarts');
    const limited = new Promise<void>((r) => o.once('rateLimited', () => r()));
    const first = await ended(o, (await o.startAgent(6)).runId);
    await limited;
    assert.equal(first.outcome, 'rate_limited');
    await o.dispose();
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300 });
    await orch.start();
    assert.equal(orch.snapshot().timers.length, 1);
    const o2 = orch;
    await waitFor(() => o2.store.get(6)?.stage === 'qa', 'resumed after restart', 20_000);
    assert.equal(o2.registry.latest(6)!.sessionId, first.sessionId);
  });

  it('daily budget reached → new starts are refused with a clear message', async () => {
    const o = await setup(simAgents(), 'max_retries = 0\ndaily_budget_usd = 0.001\n');
    repo.story(7, 'Spends');
    repo.story(8, 'Would spend');
    await waitFor(() => o.store.get(8), 'stories seen');
    const r = await ended(o, (await o.startAgent(7)).runId);
    assert.ok((r.costUsd ?? 0) > 0.001);
    await assert.rejects(o.startAgent(8), /daily budget of \$0\.00 is spent|daily budget/i);
    const lines = fs
      .readFileSync(path.join(repo.dir, '.huskies/token_usage.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].story, 7);
    assert.ok(lines[0].inputTokens > 0 && lines[0].costUsd > 0);
    assert.ok(o.snapshot().paused?.includes('budget'));
  });

  it('drain: two failures in a row stop the agent taking work until acknowledged', async () => {
    const o = await setup(simAgents(), 'max_retries = 0\ndrain_after_failures = 2\n');
    repo.story(9, 'Bad one', { extra: 'sim: fail\n' });
    repo.story(10, 'Bad two', { extra: 'sim: crash\n' });
    repo.story(11, 'Good');
    await waitFor(() => o.store.get(11), 'stories seen');
    let drainedEvent = '';
    o.on('agentDrained', (name: string) => (drainedEvent = name));
    await ended(o, (await o.startAgent(9)).runId);
    await ended(o, (await o.startAgent(10)).runId);
    await waitFor(() => drainedEvent === 'sim-1', 'the agent is drained');
    const queued = await o.startAgent(11);
    // The queued run says why it waits, and stays queued: a drained agent takes no work.
    await waitFor(() => /sim-1 is drained after 2 failures/.test(o.snapshot().waits.get(11) ?? ''), 'the wait reason on the story');
    assert.equal(o.registry.get(queued.runId)!.status, 'queued');
    assert.ok(await o.acknowledgeAgent('sim-1'));
    await waitFor(() => o.store.get(11)?.stage === 'qa', 'story 11 done after acknowledge', 20_000);
  });

  it('question → story blocked with the question; answering resumes the same session', async () => {
    const o = await setup(simAgents());
    repo.story(12, 'Needs an answer', { extra: 'sim: question\n' });
    const first = await ended(o, (await o.startAgent(12)).runId);
    await waitFor(() => o.store.get(12)?.blocked, 'story blocked with the question');
    const item = o.store.get(12)!;
    assert.match(item.blockedReason!, /Question from sim-1: Which greeting should story 12 use\?/);
    assert.deepEqual(item.frontMatter.question_options, ['Hello', 'Hi'], 'the choices in the question file reach the story');
    assert.equal(o.registry.get(first.runId)!.outcome, 'question');
    assert.ok(!fs.existsSync(path.join(first.worktree!, '.huskies-question.json')), 'the question file is taken out of the worktree');
    const second = await o.answer(12, 'Hello');
    await waitFor(() => o.store.get(12)?.stage === 'qa', 'story done after the answer', 20_000);
    const r2 = o.registry.get(second.runId)!;
    assert.equal(r2.sessionId, first.sessionId);
    assert.match(r2.prompt!, /The user answers: Hello/);
    assert.equal(o.store.get(12)!.blocked, false);
  });

  it('follow-up resumes a finished run in the same session and worktree', async () => {
    const o = await setup(simAgents());
    repo.story(13, 'Done then more');
    const first = await ended(o, (await o.startAgent(13)).runId);
    await waitFor(() => o.store.get(13)?.stage === 'qa', 'in qa');
    const f = await o.followUp(13, 'Please also add a test');
    const r = await ended(o, f.runId);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.sessionId, first.sessionId);
    assert.equal(r.worktree, first.worktree);
    const { records } = await o.readTranscript(f.runId, undefined, 100);
    assert.ok(records.some((x) => x.msg.kind === 'text' && /Resuming session .*Please also add a test/.test(x.msg.text)));
  });

  it('orphans: a run recorded as running whose process is gone is resumed at start-up', async () => {
    repo = await makeRepo({ agentsToml: simAgents() });
    repo.story(14, 'Orphaned', { stage: '2_current' });
    const now = Date.now();
    fs.writeFileSync(
      path.join(repo.dir, '.huskies/runs.json'),
      JSON.stringify({
        version: 1,
        runs: [
          {
            runId: '14-old',
            storyId: 14,
            agent: 'sim-1',
            runtime: 'sim',
            status: 'running',
            queuedAt: now - 5000,
            startedAt: now - 4000,
            pid: 999999,
            transcript: path.join(repo.dir, '.huskies/logs/14-old.jsonl'),
            lastSeq: 0,
            attempt: 1,
            stage: 'current',
            sessionId: 'sess-orphan',
          },
        ],
      }),
    );
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300 });
    await orch.start();
    const o = orch;
    assert.equal(o.registry.get('14-old')!.outcome, 'orphaned');
    await waitFor(() => o.store.get(14)?.stage === 'qa', 'orphan resumed to qa', 20_000);
    const latest = o.registry.latest(14)!;
    assert.equal(latest.sessionId, 'sess-orphan', 'resumed the same session');
  });
});
