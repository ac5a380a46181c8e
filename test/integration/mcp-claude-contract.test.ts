// Contract with the real Claude Code program: launched by the pool with the orchestrator's MCP
// server in --mcp-config, the scripted model calls mcp__huskies__* tools and their effects land
// in the story files and on the board.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Huskies } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { assertMcpEffects } from '../fixtures/mcpEffects';
import { reply, startMockAnthropic, toolResults, toolUse, type MockAnthropic, type MockRequest } from '../fixtures/mockAnthropic';
import { claudeBinary, claudeTestEnv } from '../fixtures/claudeEnv';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

describe('contract: the real Claude Code program calls the MCP tools', function () {
  this.timeout(120_000);
  let repo: TempRepo | undefined;
  let mock: MockAnthropic | undefined;
  let o: Huskies | undefined;
  let home = '';

  before(() => ensureSimBuilt());
  afterEach(async () => {
    await o?.dispose();
    await mock?.close();
    repo?.cleanup();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    o = mock = repo = undefined;
  });

  it('check_criterion, create_story and ask_question: the story file is ticked, a new story exists, the story is blocked with the question', async () => {
    let results: { tool_use_id: string; is_error: boolean; content: string }[] = [];
    const script = (req: MockRequest, i: number) => {
      results = toolResults(req.body); // the conversation so far: every tool result
      if (i === 0) return reply([toolUse('mcp__huskies__check_criterion', { index: 0 })]);
      if (i === 1) return reply([toolUse('mcp__huskies__create_story', { name: 'Follow-up found by the agent', criteria: ['Handles the edge case'] })]);
      if (i === 2) return reply([toolUse('mcp__huskies__ask_question', { question: 'Should the greeting be formal?', options: ['formal', 'casual'] })]);
      return reply('I asked the user and stop here.');
    };
    mock = await startMockAnthropic(script);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-claude-home-'));
    repo = await makeRepo({
      agentsToml: `[[agent]]\nname = "claude-1"\nruntime = "claude"\nprogram = "${claudeBinary()}"\nmodel = "claude-sonnet-4-5"\nmax_turns = 10\n`,
      projectToml: 'max_retries = 0\n',
    });
    repo.story(1, 'Add greeting', { criteria: ['Says hello', 'Says goodbye'] });
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, env: claudeTestEnv(mock.url, home, { auth: 'apiKey' }), graceMs: 1000, autoAssign: false });
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
    // every MCP call came back without an error
    assert.equal(results.length, 3, JSON.stringify(results));
    for (const t of results) assert.equal(t.is_error, false, t.content);
    assert.match(results[1].content, /"stage":"backlog"/);
    const transcript = await assertMcpEffects(o, repo.dir, r, 'claude-1');
    assert.match(transcript, /mcp__huskies__check_criterion/);
  });
});
