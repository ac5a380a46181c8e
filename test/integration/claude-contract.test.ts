// Contract with the real Claude Code program: the orchestrator drives the pinned `claude` binary
// through whole stories against a scripted Anthropic-compatible API on 127.0.0.1.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Huskies as Orchestrator } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { startMockAnthropic, reply, text, toolUse, usageLimited, userTexts, type MockAnthropic, type MockScript } from '../fixtures/mockAnthropic';
import { claudeBinary, claudeTestEnv } from '../fixtures/claudeEnv';
import { ensureSimBuilt, gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

describe('contract: the real Claude Code program driven by the orchestrator', function () {
  this.timeout(90_000);
  let repo: TempRepo;
  let mock: MockAnthropic | undefined;
  let orch: Orchestrator | undefined;
  let home: string;

  before(() => ensureSimBuilt());
  afterEach(async () => {
    await orch?.dispose();
    orch = undefined;
    await mock?.close();
    mock = undefined;
    repo?.cleanup();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function setup(script: MockScript, auth: 'apiKey' | 'oauth' = 'apiKey') {
    mock = await startMockAnthropic(script);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-claude-home-'));
    repo = await makeRepo({
      agentsToml: `[[agent]]\nname = "claude-1"\nruntime = "claude"\nprogram = "${claudeBinary()}"\nmodel = "claude-sonnet-4-5"\nmax_turns = 10\nmax_budget_usd = 5\n`,
      projectToml: 'max_retries = 0\n',
    });
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, env: claudeTestEnv(mock.url, home, { auth }), graceMs: 1000 });
    await orch.start();
    return orch;
  }

  const ended = (o: Orchestrator, runId: string) =>
    waitFor(
      () => {
        const r = o.registry.get(runId);
        return r && r.status !== 'running' && r.status !== 'queued' ? r : undefined;
      },
      'the run to end',
      60_000,
    ) as Promise<RunRecord>;

  const storyScript = (wtFile: (cwd: string) => string) => (req: Parameters<Exclude<MockScript, unknown[]>>[0], i: number) => {
    if (i === 0)
      return reply([text('I will write the greeting.'), toolUse('Write', { file_path: wtFile(String(req.body?.system ? '' : '')), content: 'hello world\n' })], {
        stop_reason: 'tool_use',
      });
    if (i === 1) return reply([toolUse('Bash', { command: 'git add greeting.txt && git commit -m "Add greeting"', description: 'Commit' })], { stop_reason: 'tool_use' });
    return reply('Done: greeting.txt added and committed.');
  };

  it('runs a story end to end: real edit and commit in the worktree, live messages, usage and cost', async () => {
    let worktree = '';
    const o = await setup(storyScript(() => path.join(worktree, 'greeting.txt')));
    repo.story(1, 'Add greeting');
    worktree = path.join(repo.dir, '.huskies', 'worktrees', '1_add_greeting');
    const live: string[] = [];
    o.subscribe('*', (b) => live.push(...b.records.map((r) => r.msg.kind)));
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    assert.equal(r.status, 'succeeded', r.reason);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story in qa');
    assert.equal(fs.readFileSync(path.join(worktree, 'greeting.txt'), 'utf8'), 'hello world\n');
    assert.match(gitIn(worktree, 'log', '--oneline', '-1'), /Add greeting/);
    assert.ok(r.sessionId && /^[0-9a-f-]{36}$/.test(r.sessionId), `a real session id: ${r.sessionId}`);
    assert.ok((r.costUsd ?? 0) > 0, 'cost parsed from the real result line');
    assert.ok((r.usage?.inputTokens ?? 0) > 0 && (r.usage?.outputTokens ?? 0) > 0, 'usage parsed');
    const { records } = await o.readTranscript(run.runId, undefined, 1000);
    const kinds = records.map((x) => x.msg.kind);
    for (const k of ['init', 'text', 'tool_use', 'tool_result', 'result']) assert.ok(kinds.includes(k as never), `${k} in ${kinds.join(',')}`);
    const write = records.find((x) => x.msg.kind === 'tool_use' && x.msg.name === 'Write');
    assert.ok(write, 'the Write tool call with its input');
    assert.ok(live.includes('tool_use') && live.includes('result'), 'the live fan-out saw the stream');
    const usage = fs
      .readFileSync(path.join(repo.dir, '.huskies/token_usage.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(usage.length, 1);
    assert.equal(usage[0].runtime, 'claude');
    assert.ok(usage[0].costUsd > 0);
    // The prompt carried the story.
    assert.ok(userTexts(mock!.requests[0].body).some((t) => t.includes('Add greeting')));
  });

  it('a subscription usage limit → rate-limited with the reset time and a persisted resume timer; the resume continues the same session', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 8;
    let worktree = '';
    const turns = storyScript(() => path.join(worktree, 'greeting.txt'));
    // The limit hits mid-story: after the first tool call, so there is a conversation to resume.
    const o = await setup((req, i) => (i === 1 ? usageLimited(resetsAt) : turns(req, i === 0 ? 0 : i - 1)), 'oauth');
    repo.story(2, 'Limited greeting');
    worktree = path.join(repo.dir, '.huskies', 'worktrees', '2_limited_greeting');
    const limited = new Promise<void>((r) => o.once('rateLimited', () => r()));
    const first = await ended(o, (await o.startAgent(2)).runId);
    await limited; // the timer is saved before the event
    assert.equal(first.outcome, 'rate_limited', first.reason);
    assert.ok(
      (first.retryAt ?? 0) >= resetsAt * 1000 && (first.retryAt ?? 0) <= Math.max(resetsAt * 1000, (first.endedAt ?? 0) + 1000) + 100,
      `retryAt ${first.retryAt} vs resetsAt ${resetsAt * 1000}`,
    );
    const timers = JSON.parse(fs.readFileSync(path.join(repo.dir, '.huskies/timers.json'), 'utf8')).timers;
    assert.equal(timers.length, 1);
    assert.ok(Object.keys(o.snapshot().rateLimits).includes('runtime:claude'), 'account-wide: the whole runtime is marked');
    await waitFor(() => o.store.get(2)?.stage === 'qa', 'resumed and done', 60_000);
    const runs = o.registry.forStory(2);
    assert.equal(runs.length, 2);
    assert.equal(runs[1].sessionId, first.sessionId, 'the resume kept the session');
  });

  it('a follow-up resumes the same session: the API sees the earlier conversation', async () => {
    let worktree = '';
    const turns = storyScript(() => path.join(worktree, 'greeting.txt'));
    const o = await setup((req, i) => (i < 3 ? turns(req, i) : reply('Also noted: add a test next time.')));
    repo.story(3, 'Greeting then more');
    worktree = path.join(repo.dir, '.huskies', 'worktrees', '3_greeting_then_more');
    const first = await ended(o, (await o.startAgent(3)).runId);
    assert.equal(first.status, 'succeeded', first.reason);
    const f = await ended(o, (await o.followUp(3, 'Please remember the tests')).runId);
    assert.equal(f.status, 'succeeded', f.reason);
    assert.equal(f.sessionId, first.sessionId);
    const last = mock!.requests[mock!.requests.length - 1].body;
    const texts = userTexts(last).join('\n');
    assert.match(texts, /Please remember the tests/);
    assert.match(texts, /Greeting then more/, 'the earlier prompt is in the resumed conversation');
  });
});
