// Contract with the real Gemini CLI (pinned @google/gemini-cli 0.61.0): launched by the pool, it
// finds the orchestrator's MCP server in the run's settings (<worktree>/.gemini/settings.json,
// the token read from HUSKIES_MCP_TOKEN), offers the tools to the model as
// mcp_huskies_<tool>, and the scripted model's calls land in the story files and on the board.
// (Gemini CLI skips a settings file named by GEMINI_CLI_SYSTEM_SETTINGS_PATH unless it and every
// folder above it are root's alone: the first test shows it with the program itself.)
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { assertMcpEffects, closeContract } from '../fixtures/mcpEffects';
import { geminiMcpSettings } from '../../src/core/agents/runtimes';
import { functionCall, functionResponses, reply, startMockGemini, toolNames, type MockGemini, type MockRequest } from '../fixtures/mockGemini';
import { agentsToml, baseEnv, geminiBinary, geminiSetup, hasGeminiBinary, makeAgentHome, type AgentHome } from '../fixtures/agentEnvs';
import { gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

const describeIf = hasGeminiBinary() ? describe : describe.skip;

describeIf('contract: the real Gemini CLI calls the MCP tools', function () {
  this.timeout(120_000);
  let repo: TempRepo | undefined;
  let home: AgentHome | undefined;
  let mock: MockGemini | undefined;
  let o: Huskies | undefined;

  afterEach(async function () {
    await closeContract({ o, mock, repo, home }, this.currentTest?.state === 'failed', toolNames);
    o = mock = repo = home = undefined;
  });

  it('Gemini CLI skips a system settings file in a folder others may write to (so the run names its server in the worktree)', async () => {
    mock = await startMockGemini([reply('done', { repeat: Infinity })]);
    home = makeAgentHome('huskies-gemini-mcp-');
    const setup = geminiSetup({ mockUrl: mock.url, home });
    const work = path.join(home.root, 'work');
    fs.mkdirSync(work);
    gitIn(work, 'init', '-q');
    // A folder everyone may write to, as /tmp is: what the logs folder of a project under /tmp was.
    const open = path.join(home.root, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o1777);
    const file = path.join(open, 'settings.json');
    fs.writeFileSync(file, geminiMcpSettings('http://127.0.0.1:9/mcp'), { mode: 0o600 });
    // Asynchronously: the scripted API answers from this process.
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const args = ['--prompt=hi', '-o', 'stream-json', '--skip-trust', '--approval-mode', 'yolo', '-m', setup.model, '--debug'];
      const env = { ...baseEnv(), ...setup.env, GEMINI_CLI_TRUST_WORKSPACE: 'true', GEMINI_CLI_SYSTEM_SETTINGS_PATH: file, HUSKIES_MCP_TOKEN: 'x' };
      const child = execFile(geminiBinary(), args, { cwd: work, env, timeout: 60_000 }, (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
      child.stdin?.end();
    });
    assert.equal(r.code, 0, r.stderr);
    // Its own words (the checks of the file's folders: owner uid 0, no write for group or others).
    assert.match(r.stderr, /Security Warning: Skipping system settings file '.*settings\.json': Parent directory '.*' is (insecure|not owned by root)/);
    assert.ok(!toolNames(mock.requests[0]).some((n) => n.startsWith('mcp_huskies_')), toolNames(mock.requests[0]).join(','));
  });

  it('mcp_huskies_check_criterion, create_story and ask_question: the story file is ticked, a new story exists, the story is blocked with the question', async () => {
    let during: { settings: boolean; status: string } | undefined;
    const script = (req: MockRequest, i: number) => {
      if (i === 0) {
        const wt = o!.registry.forStory(1)[0].worktree!;
        during = { settings: fs.existsSync(path.join(wt, '.gemini', 'settings.json')), status: gitIn(wt, 'status', '--porcelain', '--untracked-files=all') };
        return reply([functionCall('mcp_huskies_check_criterion', { index: 0 })]);
      }
      if (i === 1) return reply([functionCall('mcp_huskies_create_story', { name: 'Follow-up found by the agent', criteria: ['Handles the edge case'] })]);
      if (i === 2) return reply([functionCall('mcp_huskies_ask_question', { question: 'Should the greeting be formal?', options: ['formal', 'casual'] })]);
      return reply('I asked the user and stop here.');
    };
    mock = await startMockGemini(script);
    home = makeAgentHome('huskies-gemini-mcp-');
    const setup = geminiSetup({ mockUrl: mock.url, home });
    repo = await makeRepo({ agentsToml: agentsToml({ name: 'gemini-1', runtime: 'gemini', setup }), projectToml: 'max_retries = 0\n' });
    repo.story(1, 'Add greeting', { criteria: ['Says hello', 'Says goodbye'] });
    gitIn(repo.dir, 'add', '-A');
    gitIn(repo.dir, 'commit', '-qm', 'story 1');
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 500, env: baseEnv(), autoAssign: false });
    await o.start();
    const run = await o.startAgent(1);
    const r = (await waitFor(
      () => {
        const x = o!.registry.get(run.runId);
        return x && x.status !== 'running' && x.status !== 'queued' ? x : undefined;
      },
      'the run to end',
      90_000,
    )) as RunRecord;

    // The run's settings were in the worktree while it ran, out of git's sight, and are gone now.
    assert.deepEqual(during, { settings: true, status: '' });
    assert.ok(!fs.existsSync(path.join(r.worktree!, '.gemini')), 'the settings go with the run');
    // Gemini offers our tools as mcp_huskies_<tool>.
    for (const t of ['check_criterion', 'create_story', 'ask_question']) assert.ok(toolNames(mock.requests[0]).includes(`mcp_huskies_${t}`), toolNames(mock.requests[0]).join(','));
    // every MCP call came back to the model without an error
    assert.equal(mock.requests.length, 4, mock.problems.join('; '));
    const responses = functionResponses(mock.requests[3]);
    assert.deepEqual(
      responses.map((x) => x.name),
      ['mcp_huskies_check_criterion', 'mcp_huskies_create_story', 'mcp_huskies_ask_question'],
    );
    for (const x of responses) assert.ok(!x.response?.error, JSON.stringify(x.response));
    assert.match(JSON.stringify(responses[0].response), /Ticked criterion 0 of story 1/);
    assert.match(JSON.stringify(responses[1].response), /Created story 2/);
    const transcript = await assertMcpEffects(o, repo.dir, r, 'gemini-1');
    const recs = transcript
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).msg);
    assert.deepEqual(
      recs.filter((m) => m.kind === 'tool_use').map((m) => m.name),
      ['mcp_huskies_check_criterion', 'mcp_huskies_create_story', 'mcp_huskies_ask_question'],
    );
    assert.ok(
      recs.filter((m) => m.kind === 'tool_result').every((m) => !m.isError),
      transcript,
    );
  });
});
