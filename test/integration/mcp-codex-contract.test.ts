// Contract with the real Codex CLI (pinned @openai/codex 0.169.0): launched by the pool with the
// orchestrator's MCP server in `-c mcp_servers.huskies.url=…` and the run's bearer token named by
// `bearer_token_env_var`, Codex lists our tools and the scripted model calls them. Codex 0.169
// does not offer an MCP server's tools up front: they are "deferred" behind its client-side
// `tool_search` tool, which answers with a namespace `mcp__huskies` holding the tools; the model
// then calls `check_criterion` etc. in that namespace. Their effects land in the story files and
// on the board.
import { strict as assert } from 'node:assert';
import { Huskies } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { assertMcpEffects, closeContract } from '../fixtures/mcpEffects';
import { inputItems, namespacedCall, reply, startMockOpenAI, toolNames, toolOutputs, toolSearch, type MockOpenAI, type MockRequest } from '../fixtures/mockOpenAI';
import { agentsToml, baseEnv, codexSetup, hasCodexBinary, makeAgentHome, type AgentHome } from '../fixtures/agentEnvs';
import { gitIn, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

const describeIf = hasCodexBinary() ? describe : describe.skip;

/** The tools a tool_search found, as Codex sent them back to the model: namespace → tool names. */
function searchedTools(req: MockRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const it of inputItems(req)) {
    if (it?.type !== 'tool_search_output') continue;
    for (const t of it.tools ?? []) {
      if (t?.type === 'namespace') out[t.name] = [...(out[t.name] ?? []), ...(t.tools ?? []).map((x: any) => x?.name)];
      else if (t?.name) out[''] = [...(out[''] ?? []), t.name];
    }
  }
  return out;
}

describeIf('contract: the real Codex CLI calls the MCP tools', function () {
  this.timeout(120_000);
  let repo: TempRepo | undefined;
  let home: AgentHome | undefined;
  let mock: MockOpenAI | undefined;
  let o: Huskies | undefined;

  afterEach(async function () {
    await closeContract({ o, mock, repo, home }, this.currentTest?.state === 'failed', toolNames);
    o = mock = repo = home = undefined;
  });

  it('tool_search finds the huskies tools; check_criterion, create_story and ask_question: the story file is ticked, a new story exists, the story is blocked with the question', async () => {
    let found: Record<string, string[]> = {};
    const script = (req: MockRequest, i: number) => {
      if (i === 0) return reply([toolSearch('huskies story acceptance criterion question', 20)]);
      if (i === 1) {
        found = searchedTools(req);
        return reply([namespacedCall('mcp__huskies', 'check_criterion', { index: 0 })]);
      }
      if (i === 2) return reply([namespacedCall('mcp__huskies', 'create_story', { name: 'Follow-up found by the agent', criteria: ['Handles the edge case'] })]);
      if (i === 3) return reply([namespacedCall('mcp__huskies', 'ask_question', { question: 'Should the greeting be formal?', options: ['formal', 'casual'] })]);
      return reply('I asked the user and stop here.');
    };
    mock = await startMockOpenAI(script);
    home = makeAgentHome('huskies-codex-mcp-');
    const setup = codexSetup({ mockUrl: mock.url, home });
    repo = await makeRepo({ agentsToml: agentsToml({ name: 'codex-1', runtime: 'codex', setup }), projectToml: 'max_retries = 0\n' });
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

    // Codex offers the MCP tools only through tool_search; the search found ours in the namespace mcp__huskies.
    assert.ok(toolNames(mock.requests[0]).includes('tool_search'), toolNames(mock.requests[0]).join(','));
    assert.ok(!toolNames(mock.requests[0]).some((n) => n.includes('check_criterion')), 'not offered up front');
    for (const t of ['check_criterion', 'create_story', 'ask_question']) assert.ok(found.mcp__huskies?.includes(t), `${t} in ${JSON.stringify(found)}`);
    // every MCP call came back without an error
    assert.equal(mock.requests.length, 5, mock.problems.join('; '));
    const outputs = toolOutputs(mock.requests[4]);
    assert.equal(outputs.length, 3, JSON.stringify(outputs));
    // Codex hands the model the tool's structured result (after a "Wall time" line).
    assert.match(outputs[0].output, /\{"story":1,"index":0,"done":true,"left":1\}/);
    assert.match(outputs[1].output, /\{"id":2,"file":"2_story_follow_up_found_by_the_agent\.md","stage":"backlog"\}/);
    assert.match(outputs[2].output, /\{"story":1,"blocked":true,"options":\["formal","casual"\]\}/);
    const transcript = await assertMcpEffects(o, repo.dir, r, 'codex-1');
    // codex's mcp_tool_call items read as tool_use mcp__huskies__<tool> / tool_result in the transcript
    const recs = transcript
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).msg);
    assert.deepEqual(
      recs.filter((m) => m.kind === 'tool_use').map((m) => m.name),
      ['mcp__huskies__check_criterion', 'mcp__huskies__create_story', 'mcp__huskies__ask_question'],
    );
    const results = recs.filter((m) => m.kind === 'tool_result');
    assert.ok(results.length === 3 && results.every((m) => !m.isError), JSON.stringify(results));
    assert.match(results[0].content, /Ticked criterion 0 of story 1/);
  });
});
