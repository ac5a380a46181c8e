// Contract tests: the orchestrator drives the REAL Codex CLI (pinned @openai/codex 0.169.0)
// against the scripted Responses API in test/fixtures/mockOpenAI.ts. They pin what the
// orchestrator relies on: the launch flags are accepted, the agent's edit and commit land in
// the story's worktree, the `--json` stream parses into init / tool_use / tool_result /
// result with this run's usage, a usage limit becomes a rate-limited run with its reset time
// and a resume timer, and a follow-up resumes the same thread (`exec resume <thread_id>`)
// in the same worktree.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies as Orchestrator } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import type { AgentMessage, TranscriptRecord } from '../../src/core/model/agentMessage';
import { gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';
import {
  startMockOpenAI,
  reply,
  reasoning,
  message,
  execCommand,
  applyPatch,
  addFilePatch,
  usageLimitReached,
  rateLimited,
  userTexts,
  assistantTexts,
  toolOutputs,
  toolNames,
  type MockOpenAI,
  type MockScript,
} from '../fixtures/mockOpenAI';
import { agentsToml, baseEnv, codexLaunchArgs, codexSetup, hasCodexBinary, makeAgentHome, type AgentHome, type CodexSetupOptions } from '../fixtures/agentEnvs';

const describeIf = hasCodexBinary() ? describe : describe.skip;

type Rec = TranscriptRecord;
const ofKind = <K extends AgentMessage['kind']>(recs: Rec[], kind: K) => recs.map((r) => r.msg).filter((m): m is Extract<AgentMessage, { kind: K }> => m.kind === kind);

describeIf('codex contract: the orchestrator drives the real codex 0.169.0 against a scripted Responses API', function () {
  this.timeout(60_000);

  let repo: TempRepo | undefined;
  let home: AgentHome | undefined;
  let mock: MockOpenAI | undefined;
  let orch: Orchestrator | undefined;

  afterEach(async function () {
    // A failing test leaves what the mock saw in the output.
    if (this.currentTest?.state === 'failed' && mock) {
      console.error(`mock requests: ${mock.allRequests.map((r) => `${r.method} ${r.path} → ${r.served}`).join('; ')}; problems: ${mock.problems.join('; ')}`);
    }
    await orch?.dispose(); // stops any run still going (its whole process group)
    orch = undefined;
    // dispose() does not wait for the end-of-run work already under way (usage log, runs.json, a
    // block in audit.log); let it land before the folder goes, or it recreates .huskies/.
    await new Promise((res) => setTimeout(res, 400));
    await mock?.close();
    mock = undefined;
    repo?.cleanup();
    repo = undefined;
    home?.cleanup();
    home = undefined;
  });

  async function setUp(script: MockScript, o: { codex?: Partial<CodexSetupOptions>; projectToml?: string } = {}) {
    mock = await startMockOpenAI(script);
    home = makeAgentHome('huskies-codex-');
    const setup = codexSetup({ mockUrl: mock.url, home, ...o.codex });
    repo = await makeRepo({ agentsToml: agentsToml({ name: 'codex-1', runtime: 'codex', setup }), projectToml: o.projectToml });
    repo.story(1, 'Add greeting', { criteria: ['greeting.txt says hello'] });
    gitIn(repo.dir, 'add', '-A');
    gitIn(repo.dir, 'commit', '-qm', 'story 1');
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 500, env: baseEnv() });
    await orch.start();
    return orch;
  }

  const transcript = async (o: Orchestrator, runId: string) => (await o.readTranscript(runId, undefined, 1000)).records;
  const ended = async (o: Orchestrator, runId: string): Promise<RunRecord> => {
    const r = await waitFor(
      () => {
        const x = o.registry.get(runId);
        return x && x.status !== 'running' && x.status !== 'queued' ? x : undefined;
      },
      `run ${runId} to end`,
      45_000,
    );
    return r!;
  };

  /** The timers the orchestrator saved in .huskies/timers.json. */
  const readTimers = (): any[] => {
    const f = path.join(repo!.dir, '.huskies', 'timers.json');
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')).timers ?? []) : [];
  };

  const editAndCommit = () => [
    reply([reasoning('**Adding the greeting**'), message('I will add greeting.txt.'), applyPatch(addFilePatch('greeting.txt', 'hello from codex\n'))], {
      usage: { input_tokens: 1000, cached_tokens: 200, output_tokens: 40, reasoning_tokens: 8 },
    }),
    reply([execCommand('git add -A && git commit -q -m "story 1: add greeting" && git log --oneline -1')], {
      usage: { input_tokens: 1100, cached_tokens: 300, output_tokens: 30 },
    }),
    reply('Done: greeting.txt says hello and is committed.', { usage: { input_tokens: 1200, cached_tokens: 400, output_tokens: 20 } }),
  ];

  it('success: the real edit and commit land in the worktree, the story reaches qa, the transcript has init/tool_use/tool_result/result with usage', async () => {
    const o = await setUp(editAndCommit());
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 45_000);
    const r = o.registry.get(run.runId)!;
    assert.equal(r.status, 'succeeded', r.reason);
    assert.equal(r.runtime, 'codex');

    // The edit and the commit are real, in the story's worktree, not in the main checkout.
    assert.ok(r.worktree && r.worktree.startsWith(path.join(repo!.dir, '.huskies', 'worktrees')), r.worktree);
    assert.equal(fs.readFileSync(path.join(r.worktree!, 'greeting.txt'), 'utf8'), 'hello from codex\n');
    assert.match(gitIn(r.worktree!, 'log', '--format=%s', '-1'), /story 1: add greeting/);
    assert.equal(gitIn(r.worktree!, 'status', '--porcelain').trim(), '');
    assert.ok(!fs.existsSync(path.join(repo!.dir, 'greeting.txt')));

    // What codex sent: the orchestrator's prompt in the worktree, the tools the script relies on, the tool outputs.
    assert.equal(mock!.requests.length, 3);
    const first = mock!.requests[0];
    assert.ok(toolNames(first).includes('exec_command') && toolNames(first).includes('apply_patch'), toolNames(first).join(','));
    assert.ok(
      userTexts(first).some((t) => t.includes('story 1') && t.includes('Add greeting')),
      'the prompt names the story',
    );
    assert.ok(
      userTexts(first).some((t) => t.includes(`<cwd>${r.worktree}</cwd>`)),
      'codex runs in the worktree',
    );
    const outputs = toolOutputs(mock!.requests[2])
      .map((x) => x.output)
      .join('\n');
    assert.match(outputs, /Success\. Updated the following files:\nA greeting\.txt/);
    assert.match(outputs, /story 1: add greeting/);

    // The transcript.
    const recs = await transcript(o, run.runId);
    const kinds = recs.map((x) => x.msg.kind);
    for (const k of ['init', 'thinking', 'text', 'tool_use', 'tool_result', 'result'] as const) assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
    const init = ofKind(recs, 'init')[0];
    assert.ok(init.sessionId && /^[0-9a-f-]{36}$/.test(init.sessionId), init.sessionId);
    assert.equal(first.headers['thread-id'], init.sessionId, 'thread.started carries the thread id codex sends');
    assert.equal(r.sessionId, init.sessionId);
    const uses = ofKind(recs, 'tool_use');
    assert.deepEqual(
      uses.map((u) => u.name),
      ['apply_patch', 'exec_command'],
    );
    assert.match(JSON.stringify(uses[1].input), /git commit/);
    const results = ofKind(recs, 'tool_result');
    assert.equal(results.length, 2);
    assert.ok(
      results.every((x) => !x.isError),
      JSON.stringify(results),
    );
    assert.match(results[0].content, /add .*greeting\.txt/);
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Done: greeting.txt says hello and is committed.');
    // turn.completed sums the turn's responses; OpenAI's input includes the cached part, ours does not.
    const usage = { inputTokens: 3300 - 900, outputTokens: 90, cacheReadTokens: 900, cacheWriteTokens: 0 };
    assert.deepEqual(result.usage, usage);
    assert.deepEqual(r.usage, usage);
  });

  it("buildLaunch's own codex flags let the agent `git commit` in its worktree (fails while they pass `-s workspace-write`, which mounts .git read-only)", async () => {
    // Only the flags buildLaunch passes: no --dangerously-bypass-approvals-and-sandbox from agents.toml.
    const o = await setUp(editAndCommit(), { codex: { sandbox: 'as-launched' }, projectToml: 'max_retries = 0\n' });
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    // What the model was told about its `git commit`. (Read from the mock: codex 0.169's --json stream
    // has no command_execution item for a command the sandbox refused.)
    const commit = mock!.requests.length > 2 ? toolOutputs(mock!.requests[2]).at(-1)?.output : undefined;
    assert.equal(r.status, 'succeeded', `flags ${JSON.stringify(codexLaunchArgs().slice(1, 6))}: ${r.reason}; the commit printed: ${commit?.match(/fatal:.*$/m)?.[0] ?? commit}`);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 10_000);
  });

  it('usage limit (429 usage_limit_reached): the run fails as rate_limited with the reset time parsed, and a resume timer is saved', async () => {
    const resetsAt = Date.now() + 90 * 60_000;
    const o = await setUp([usageLimitReached({ resetsAt, repeat: Infinity })]);
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    assert.equal(r.status, 'failed');
    assert.equal(r.outcome, 'rate_limited', r.reason);
    assert.match(r.reason ?? '', /Codex CLI usage limit reached; resets at /);
    // Codex prints the reset as local wall-clock minutes ("try again at 2:46 PM"): within the minute.
    assert.ok(
      r.retryAt !== undefined && Math.abs(r.retryAt - resetsAt) <= 61_000,
      `retryAt ${r.retryAt && new Date(r.retryAt).toISOString()} vs ${new Date(resetsAt).toISOString()}`,
    );
    assert.equal(mock!.requests.length, 1, 'a usage limit is not retried by codex');
    const recs = await transcript(o, run.runId);
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, 'rate_limited');
    assert.match(result.error ?? '', /You.ve hit your usage limit\..* try again at \d{1,2}:\d{2} [AP]M\./);
    assert.ok(r.sessionId, 'the thread id is kept for the resume');

    await waitFor(() => readTimers().length > 0, 'a timer in timers.json', 5_000);
    const timers = readTimers();
    assert.equal(timers.length, 1);
    assert.equal(timers[0].kind, 'resume');
    assert.equal(timers[0].storyId, 1);
    assert.equal(timers[0].at, r.retryAt);
    assert.equal(timers[0].sessionId, r.sessionId);
    assert.equal(timers[0].runId, run.runId);
    // Nothing else starts meanwhile: the story waits in current.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(o.registry.forStory(1).length, 1);
    assert.equal(o.store.get(1)?.stage, 'current');
  });

  it('plain 429 past the retry limit: rate_limited with a short retry, after codex retried once', async () => {
    const o = await setUp([rateLimited(0, { repeat: Infinity })], { codex: { requestMaxRetries: 1 } });
    const before = Date.now();
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    assert.equal(r.status, 'failed');
    assert.equal(r.outcome, 'rate_limited', r.reason);
    assert.match(r.reason ?? '', /Rate limited by the API \(HTTP 429\)/);
    assert.equal(mock!.requests.length, 2, 'request_max_retries = 1');
    assert.ok(r.retryAt !== undefined && r.retryAt >= before + 55_000 && r.retryAt <= Date.now() + 61_000, String(r.retryAt));
    const recs = await transcript(o, run.runId);
    assert.ok(
      ofKind(recs, 'retry').some((n) => /Reconnecting\.\.\. 1\/1/.test(n.message) && n.cause === 'rate_limit'),
      'the reconnect line is a typed retry',
    );
    assert.match(ofKind(recs, 'result').at(-1)!.error ?? '', /exceeded retry limit, last status: 429 Too Many Requests/);
  });

  it('after a usage limit that has already lifted, the timer resumes the same thread and the story reaches qa', async () => {
    // Reset "now": codex prints the current minute, which the parser reads as just passed → resume in about a second.
    const turns = editAndCommit();
    // The limit hits mid-story, after the first edit, so the thread holds a conversation to resume.
    const o = await setUp((req, i) => (i === 1 ? usageLimitReached({ resetsAt: Date.now() }) : (turns[i === 0 ? 0 : i - 1] ?? reply('extra'))));
    const run = await o.startAgent(1);
    const first = await ended(o, run.runId);
    assert.equal(first.outcome, 'rate_limited', first.reason);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa after the resume', 45_000);
    const runs = o.registry.forStory(1);
    assert.equal(runs.length, 2);
    const second = runs[1];
    assert.equal(second.status, 'succeeded', second.reason);
    assert.equal(second.sessionId, first.sessionId, 'same thread');
    assert.equal(second.worktree, first.worktree, 'same worktree');
    assert.equal(mock!.requests[2].headers['thread-id'], first.sessionId);
    // The resumed request carries the first prompt, then the resume prompt.
    const texts = userTexts(mock!.requests[2]);
    assert.ok(
      texts.some((t) => t.includes('Add greeting')),
      'the original prompt is still in the conversation',
    );
    assert.match(texts.at(-1) ?? '', /rate limit has lifted/);
    assert.deepEqual(readTimers(), []);
  });

  /** A first run to qa, then o.followUp(1, 'one more thing') to its end. */
  async function firstRunThenFollowUp() {
    const o = await setUp([
      ...editAndCommit(),
      reply([execCommand('echo "one more" >> greeting.txt && git commit -qam "story 1: one more thing"')], {
        usage: { input_tokens: 2000, cached_tokens: 1000, output_tokens: 25 },
      }),
      reply('Added one more line.', { usage: { input_tokens: 2100, cached_tokens: 1100, output_tokens: 15 } }),
    ]);
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 45_000);
    const first = o.registry.get(run.runId)!;
    assert.equal(mock!.requests.length, 3);
    const follow = await o.followUp(1, 'one more thing');
    const second = await ended(o, follow.runId);
    return { o, first, second };
  }

  it('follow-up: o.followUp resumes the same thread (exec resume <thread_id>) in the same worktree, and codex resends the earlier conversation', async () => {
    const { o, first, second } = await firstRunThenFollowUp();
    assert.equal(second.status, 'succeeded', second.reason);
    assert.equal(second.sessionId, first.sessionId, 'the same thread id');
    assert.equal(second.worktree, first.worktree, 'the same worktree');
    assert.equal(fs.readFileSync(path.join(second.worktree!, 'greeting.txt'), 'utf8'), 'hello from codex\none more\n');
    assert.match(gitIn(second.worktree!, 'log', '--format=%s', '-2'), /one more thing\nstory 1: add greeting/);

    assert.equal(mock!.requests.length, 5);
    const resumed = mock!.requests[3];
    assert.equal(resumed.headers['thread-id'], first.sessionId);
    const texts = userTexts(resumed);
    assert.equal(texts.at(-1), 'one more thing');
    assert.ok(
      texts.some((t) => t.includes('Add greeting')),
      'the first prompt is in the resumed conversation',
    );
    assert.ok(assistantTexts(resumed).includes('Done: greeting.txt says hello and is committed.'), 'the earlier answer too');
    assert.ok(
      toolOutputs(resumed).some((x) => /story 1: add greeting/.test(x.output)),
      'and the earlier tool outputs',
    );

    const recs = await transcript(o, second.runId);
    assert.equal(ofKind(recs, 'init')[0].sessionId, first.sessionId);
    assert.ok(ofKind(recs, 'notice').some((n) => n.message.includes(`resuming session ${first.sessionId}`)));
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Added one more line.');
  });

  it("follow-up usage: the resumed run reports its own tokens, not the thread's running total", async () => {
    const { first, second } = await firstRunThenFollowUp();
    assert.deepEqual(first.usage, { inputTokens: 3300 - 900, outputTokens: 90, cacheReadTokens: 900, cacheWriteTokens: 0 });
    // codex's turn.completed usage after `exec resume` counts the whole thread (3300 + 4100 input here);
    // the codex parser subtracts `previousUsage` when it is given one.
    assert.deepEqual(second.usage, { inputTokens: 4100 - 2100, outputTokens: 40, cacheReadTokens: 2100, cacheWriteTokens: 0 });
  });
});
