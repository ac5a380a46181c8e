// Contract tests: the orchestrator drives the REAL Gemini CLI (pinned @google/gemini-cli 0.61.0)
// against the scripted Gemini API in test/fixtures/mockGemini.ts. They pin what the
// orchestrator relies on: the launch flags are accepted, the agent's write and commit land in
// the story's worktree, the stream-json output parses into init / tool_use / tool_result /
// result with this run's usage, a quota 429 (exit 173) becomes a rate-limited run with its
// reset time and a resume timer, and a follow-up resumes the same session (`--resume <id>`)
// in the same worktree.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies as Orchestrator, type HuskiesOptions as OrchestratorOptions } from '../../src/core/api';
import { systemClock } from '../../src/core/ports/clock';
import type { RunRecord } from '../../src/core/model/run';
import { coalesceText } from '../../src/core/agents/agentProcess';
import { nextMidnight } from '../../src/core/agents/parsers';
import type { AgentMessage, TranscriptRecord } from '../../src/core/model/agentMessage';
import { gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';
import {
  startMockGemini,
  reply,
  text,
  writeFile,
  runShell,
  dailyQuotaExhausted,
  userTexts,
  modelTexts,
  functionResponses,
  toolNames,
  type MockGemini,
  type MockScript,
} from '../fixtures/mockGemini';
import { agentsToml, baseEnv, geminiSetup, hasGeminiBinary, makeAgentHome, type AgentHome, type GeminiSetupOptions } from '../fixtures/agentEnvs';

const describeIf = hasGeminiBinary() ? describe : describe.skip;

type Rec = TranscriptRecord;
const ofKind = <K extends AgentMessage['kind']>(recs: Rec[], kind: K) => recs.map((r) => r.msg).filter((m): m is Extract<AgentMessage, { kind: K }> => m.kind === kind);

describeIf('gemini contract: the orchestrator drives the real gemini 0.61.0 against a scripted Gemini API', function () {
  this.timeout(60_000);

  let repo: TempRepo | undefined;
  let home: AgentHome | undefined;
  let mock: MockGemini | undefined;
  let orch: Orchestrator | undefined;

  afterEach(async function () {
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

  async function setUp(script: MockScript, o: { gemini?: Partial<GeminiSetupOptions>; projectToml?: string; orchestrator?: Partial<OrchestratorOptions> } = {}) {
    mock = await startMockGemini(script);
    home = makeAgentHome('huskies-gemini-');
    const setup = geminiSetup({ mockUrl: mock.url, home, ...o.gemini });
    repo = await makeRepo({ agentsToml: agentsToml({ name: 'gemini-1', runtime: 'gemini', setup }), projectToml: o.projectToml });
    repo.story(1, 'Add greeting', { criteria: ['greeting.txt says hello'] });
    gitIn(repo.dir, 'add', '-A');
    gitIn(repo.dir, 'commit', '-qm', 'story 1');
    orch = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 500, env: baseEnv(), ...o.orchestrator });
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
  const readTimers = (): any[] => {
    const f = path.join(repo!.dir, '.huskies', 'timers.json');
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')).timers ?? []) : [];
  };

  const writeAndCommit = () => [
    reply([text('I will add greeting.txt.'), writeFile('greeting.txt', 'hello from gemini\n')], {
      usage: { promptTokenCount: 1000, candidatesTokenCount: 40, cachedContentTokenCount: 200 },
    }),
    reply([runShell('git add -A && git commit -q -m "story 1: add greeting" && git log --oneline -1', 'Commit the greeting')], {
      usage: { promptTokenCount: 1100, candidatesTokenCount: 30, cachedContentTokenCount: 300 },
    }),
    reply('Done: greeting.txt says hello and is committed.', { usage: { promptTokenCount: 1200, candidatesTokenCount: 20, cachedContentTokenCount: 400 } }),
  ];

  it('success: the real write and commit land in the worktree, the story reaches qa, the transcript has init/tool_use/tool_result/result with usage', async () => {
    const o = await setUp(writeAndCommit());
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 45_000);
    const r = o.registry.get(run.runId)!;
    assert.equal(r.status, 'succeeded', r.reason);
    assert.equal(r.runtime, 'gemini');

    assert.ok(r.worktree && r.worktree.startsWith(path.join(repo!.dir, '.huskies', 'worktrees')), r.worktree);
    assert.equal(fs.readFileSync(path.join(r.worktree!, 'greeting.txt'), 'utf8'), 'hello from gemini\n');
    assert.match(gitIn(r.worktree!, 'log', '--format=%s', '-1'), /story 1: add greeting/);
    assert.equal(gitIn(r.worktree!, 'status', '--porcelain').trim(), '');
    assert.ok(!fs.existsSync(path.join(repo!.dir, 'greeting.txt')));

    // What gemini sent: the orchestrator's prompt, the yolo tool set, the tool outputs.
    assert.equal(mock!.requests.length, 3);
    const first = mock!.requests[0];
    assert.equal(first.model, 'gemini-2.5-pro');
    for (const t of ['write_file', 'replace', 'run_shell_command', 'read_file']) assert.ok(toolNames(first).includes(t), `${t} in ${toolNames(first).join(',')}`);
    assert.ok(
      userTexts(first).some((t) => t.includes('story 1') && t.includes('Add greeting')),
      'the prompt names the story',
    );
    const responses = functionResponses(mock!.requests[2]);
    assert.deepEqual(
      responses.map((x) => x.name),
      ['write_file', 'run_shell_command'],
    );
    assert.match(JSON.stringify(responses[0].response), /Successfully created and wrote to new file: .*greeting\.txt/);
    assert.ok(JSON.stringify(responses[0].response).includes(r.worktree!), 'relative paths resolve in the worktree');
    assert.match(JSON.stringify(responses[1].response), /story 1: add greeting/);

    const recs = await transcript(o, run.runId);
    const kinds = recs.map((x) => x.msg.kind);
    for (const k of ['init', 'text', 'tool_use', 'tool_result', 'result'] as const) assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
    const init = ofKind(recs, 'init')[0];
    assert.ok(init.sessionId && /^[0-9a-f-]{36}$/.test(init.sessionId), init.sessionId);
    assert.equal(init.model, 'gemini-2.5-pro');
    assert.equal(r.sessionId, init.sessionId);
    const uses = ofKind(recs, 'tool_use');
    assert.deepEqual(
      uses.map((u) => u.name),
      ['write_file', 'run_shell_command'],
    );
    assert.match(JSON.stringify(uses[1].input), /git commit/);
    const results = ofKind(recs, 'tool_result');
    assert.equal(results.length, 2);
    assert.deepEqual(
      results.map((x) => x.toolUseId),
      uses.map((u) => u.id),
    );
    assert.ok(
      results.every((x) => !x.isError),
      JSON.stringify(results),
    );
    assert.match(results[1].content, /story 1: add greeting/);
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Done: greeting.txt says hello and is committed.');
    // stats are this invocation's: the prompt tokens of the three requests, of which `cached` were cached.
    const usage = { inputTokens: 3300 - 900, outputTokens: 90, cacheReadTokens: 900, cacheWriteTokens: 0 };
    assert.deepEqual(result.usage, usage);
    assert.deepEqual(r.usage, usage);
  });

  it('streamed text: the delta chunks of one answer read as one text in the transcript', async () => {
    // The real API streams a sentence over several chunks; gemini prints one `message` with delta:true each.
    const [, second, third] = writeAndCommit();
    const o = await setUp([reply([text('I will add '), text('greeting.txt '), text('and commit it.'), writeFile('greeting.txt', 'hello from gemini\n')]), second, third]);
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 45_000);
    const recs = await transcript(o, run.runId);
    // Merged the way the pipeline merges consecutive texts (no separator between deltas).
    const texts = coalesceText(recs.map((r) => r.msg)).flatMap((m) => (m.kind === 'text' ? [m.text] : []));
    assert.equal(texts[0], 'I will add greeting.txt and commit it.', JSON.stringify(ofKind(recs, 'text')));
  });

  it('daily quota (429 RESOURCE_EXHAUSTED, exit 173): the run fails as rate_limited until midnight Pacific, and a resume timer is saved', async () => {
    const o = await setUp([dailyQuotaExhausted('gemini-2.5-pro', { repeat: Infinity })]);
    const run = await o.startAgent(1);
    const r = await ended(o, run.runId);
    assert.equal(r.status, 'failed');
    assert.equal(r.outcome, 'rate_limited', r.reason);
    assert.match(r.reason ?? '', /Gemini daily quota exhausted; resets at /);
    const midnight = nextMidnight(r.endedAt!, 'America/Los_Angeles');
    assert.equal(r.retryAt, midnight);
    assert.equal(mock!.requests.length, 1, 'a daily quota is not retried by the CLI');
    const recs = await transcript(o, run.runId);
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, 'rate_limited');
    assert.match(result.error ?? '', /\[API Error: You have exhausted your daily quota on this model\.\]/);
    assert.ok(r.sessionId, 'the session id is kept for the resume');

    await waitFor(() => readTimers().length > 0, 'a timer in timers.json', 5_000);
    const timers = readTimers();
    assert.equal(timers.length, 1);
    assert.equal(timers[0].kind, 'resume');
    assert.equal(timers[0].storyId, 1);
    assert.equal(timers[0].at, r.retryAt);
    assert.equal(timers[0].sessionId, r.sessionId);
    assert.equal(timers[0].runId, run.runId);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(o.registry.forStory(1).length, 1, 'nothing else starts meanwhile');
    assert.equal(o.store.get(1)?.stage, 'current');
  });

  /** A first run to qa, then o.followUp(1, 'one more thing') to its end. */
  async function firstRunThenFollowUp() {
    const o = await setUp([
      ...writeAndCommit(),
      reply([runShell('echo "one more" >> greeting.txt && git commit -qam "story 1: one more thing"', 'One more line')], {
        usage: { promptTokenCount: 2000, candidatesTokenCount: 25 },
      }),
      reply('Added one more line.', { usage: { promptTokenCount: 2100, candidatesTokenCount: 15 } }),
    ]);
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 45_000);
    const first = o.registry.get(run.runId)!;
    assert.equal(mock!.requests.length, 3);
    const follow = await o.followUp(1, 'one more thing');
    const second = await ended(o, follow.runId);
    return { o, first, second };
  }

  it('follow-up: o.followUp resumes the same session (--resume <session_id>) in the same worktree, and gemini resends the earlier conversation', async () => {
    const { o, first, second } = await firstRunThenFollowUp();
    assert.equal(second.status, 'succeeded', second.reason);
    assert.equal(second.sessionId, first.sessionId, 'the same session id');
    assert.equal(second.worktree, first.worktree, 'the same worktree');
    assert.equal(fs.readFileSync(path.join(second.worktree!, 'greeting.txt'), 'utf8'), 'hello from gemini\none more\n');
    assert.match(gitIn(second.worktree!, 'log', '--format=%s', '-2'), /one more thing\nstory 1: add greeting/);

    assert.equal(mock!.requests.length, 5);
    const resumed = mock!.requests[3];
    const texts = userTexts(resumed);
    assert.equal(texts.at(-1), 'one more thing');
    assert.ok(
      texts.some((t) => t.includes('Add greeting')),
      'the first prompt is in the resumed conversation',
    );
    assert.ok(modelTexts(resumed).includes('Done: greeting.txt says hello and is committed.'), 'the earlier answer too');
    // and the earlier tool calls. (gemini 0.61 rebuilds a resumed history with every functionResponse
    // part twice — [write_file, write_file, run_shell_command, run_shell_command] — which the mock takes.)
    assert.deepEqual([...new Set(functionResponses(resumed).map((x) => x.name))], ['write_file', 'run_shell_command']);

    const recs = await transcript(o, second.runId);
    assert.equal(ofKind(recs, 'init')[0].sessionId, first.sessionId);
    assert.ok(ofKind(recs, 'notice').some((n) => n.message.includes(`resuming session ${first.sessionId}`)));
    const result = ofKind(recs, 'result').at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Added one more line.');
    // Gemini's stats are per invocation: this run's two requests only.
    assert.deepEqual(second.usage, { inputTokens: 4100, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('when the daily quota has lifted, the run the resume timer starts carries the story on to qa', async () => {
    // The orchestrator's clock jumps past midnight Pacific once the timer is saved.
    let skew = 0;
    const turns = writeAndCommit();
    const o = await setUp((_req, i) => (i === 0 ? dailyQuotaExhausted() : (turns[i - 1] ?? reply('extra'))), {
      orchestrator: { clock: { ...systemClock, now: () => Date.now() + skew } },
    });
    const run = await o.startAgent(1);
    const first = await ended(o, run.runId);
    assert.equal(first.outcome, 'rate_limited', first.reason);
    await waitFor(() => readTimers().length > 0, 'a timer in timers.json', 5_000);
    skew = first.retryAt! - Date.now() + 1_000;
    await waitFor(() => o.registry.forStory(1).length >= 2, 'the timer to start a run', 10_000);
    const next = await ended(o, o.registry.forStory(1)[1].runId);
    assert.deepEqual(readTimers(), []);
    assert.equal(next.worktree, first.worktree);
    // gemini 0.61 lists a session only once it holds a model turn: `--resume <id>` of a session whose
    // only request hit the quota exits 42 "Error resuming session: No previous sessions found for this
    // project." Such a session cannot be resumed; the run has to start the story afresh.
    assert.equal(next.status, 'succeeded', `${next.outcome}: ${next.reason}`);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'story 1 in qa', 30_000);
    assert.ok(
      userTexts(mock!.requests[1]).some((t) => t.includes('Add greeting')),
      'the model is told the story',
    );
  });
});
