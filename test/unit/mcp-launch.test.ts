// How each agent program is pointed at the orchestrator's MCP server, and the token registry.
import * as assert from 'node:assert/strict';
import type { AgentSpec } from '../../src/core/config/config';
import { buildLaunch, MCP_TOOL_NAMES, type LaunchContext } from '../../src/core/agents/runtimes';
import { randomBytes } from 'node:crypto';
import { bearerOf, storyOfToken, storyToken, TokenRegistry } from '../../src/core/mcp/tokens';
import { scheduleTools } from '../../src/core/mcp/scheduleTools';
import { STORY_TOOLS } from '../../src/core/mcp/storyTools';
import { TestJobs, testTools } from '../../src/core/mcp/testTools';

const TOKEN = 'hk_secret-token-value-1234567890';
const URL_ = 'http://127.0.0.1:4567/mcp';

function ctx(over: Partial<LaunchContext> = {}): LaunchContext {
  return {
    prompt: 'p',
    worktree: '/w',
    storyId: 7,
    storyFile: '/w/7.md',
    simAgentPath: '/dist/sim-agent.js',
    nodePath: '/usr/bin/node',
    baseEnv: { PATH: '/bin' },
    isRoot: false,
    mcp: { url: URL_, token: TOKEN, geminiSettings: '/logs/r1.gemini-settings.json' },
    ...over,
  };
}
const agent = (runtime: AgentSpec['runtime'], extra: Partial<AgentSpec> = {}): AgentSpec => ({ name: 'a', stage: 'coder', runtime, args: [], env: {}, ...extra });

describe('MCP wiring of the agent programs', () => {
  it('Claude Code: --mcp-config names the server and reads the token from the environment; the tools are allowed', () => {
    const spec = buildLaunch(agent('claude'), ctx());
    const i = spec.args.indexOf('--mcp-config');
    assert.ok(i > 0);
    const cfg = JSON.parse(spec.args[i + 1]);
    assert.deepEqual(cfg.mcpServers.huskies, { type: 'http', url: URL_, headers: { Authorization: 'Bearer ${HUSKIES_MCP_TOKEN}' } });
    const allowed = spec.args[spec.args.indexOf('--allowedTools') + 1].split(',');
    assert.deepEqual(
      allowed,
      MCP_TOOL_NAMES.map((t) => `mcp__huskies__${t}`),
    );
    assert.ok(spec.args.indexOf('--mcp-config') < spec.args.indexOf('--'), 'before the prompt');
    assert.ok(!spec.args.some((a) => a.includes(TOKEN)), 'the token is not in the arguments');
    assert.equal(spec.env.HUSKIES_MCP_TOKEN, TOKEN);
  });

  it('Codex: the server URL and the bearer token variable as -c overrides', () => {
    const spec = buildLaunch(agent('codex'), ctx());
    assert.ok(spec.args.includes(`mcp_servers.huskies.url="${URL_}"`));
    assert.ok(spec.args.includes('mcp_servers.huskies.bearer_token_env_var="HUSKIES_MCP_TOKEN"'));
    assert.ok(!spec.args.some((a) => a.includes(TOKEN)));
    assert.equal(spec.env.HUSKIES_MCP_TOKEN, TOKEN);
  });

  it("Gemini CLI: the run's settings are the worktree's (never the machine's system settings); command and sim agents get the variables", () => {
    const gemini = buildLaunch(agent('gemini'), ctx());
    assert.equal(gemini.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH, undefined);
    assert.equal(gemini.env.GEMINI_CLI_TRUST_WORKSPACE, 'true');
    assert.equal(gemini.env.HUSKIES_MCP_TOKEN, TOKEN);
    for (const rt of ['command', 'sim'] as const) {
      const spec = buildLaunch(agent(rt, rt === 'command' ? { program: '/bin/x' } : {}), ctx());
      assert.equal(spec.env.HUSKIES_MCP_URL, URL_);
      assert.equal(spec.env.HUSKIES_MCP_TOKEN, TOKEN);
    }
  });

  it('without an endpoint nothing is added', () => {
    const spec = buildLaunch(agent('claude'), ctx({ mcp: undefined }));
    assert.ok(!spec.args.includes('--mcp-config'));
    assert.equal(spec.env.HUSKIES_MCP_TOKEN, undefined);
  });

  it('the allowed tool names are the tools the server offers', () => {
    assert.deepEqual([...MCP_TOOL_NAMES].sort(), [...STORY_TOOLS, ...testTools(new TestJobs()), ...scheduleTools()].map((t) => t.name).sort());
  });
});

describe('MCP token registry', () => {
  it('finds a session by its token only; a new registration and a revoke end the old token', () => {
    const reg = new TokenRegistry();
    const t1 = reg.register({ key: 'r1', runId: 'r1', storyId: 1 });
    assert.match(t1, /^hk_[A-Za-z0-9_-]{43}$/);
    assert.equal(reg.lookup(t1)?.storyId, 1);
    assert.equal(reg.lookup(t1.slice(0, -1)), undefined);
    assert.equal(reg.lookup(''), undefined);
    assert.equal(reg.lookup(undefined), undefined);
    assert.equal(reg.lookup('x'.repeat(10_000)), undefined);
    const t2 = reg.register({ key: 'r1', runId: 'r1', storyId: 1 });
    assert.notEqual(t1, t2);
    assert.equal(reg.lookup(t1), undefined);
    assert.ok(reg.revoke('r1'));
    assert.equal(reg.lookup(t2), undefined);
    assert.equal(reg.size, 0);
  });

  it('reads the bearer token of an Authorization header', () => {
    assert.equal(bearerOf('Bearer abc'), 'abc');
    assert.equal(bearerOf('bearer  abc '), 'abc');
    assert.equal(bearerOf('Basic abc'), undefined);
    assert.equal(bearerOf('Bearer a b'), undefined);
    assert.equal(bearerOf(undefined), undefined);
  });
});

describe('MCP tokens for sessions started by hand', () => {
  it('a story token is derived from the key and the story, and recognized for that story only', () => {
    const key = randomBytes(32);
    const t = storyToken(key, 12);
    assert.match(t, /^hk_s12_[A-Za-z0-9_-]{43}$/);
    assert.equal(storyOfToken(key, t), 12);
    assert.equal(storyOfToken(randomBytes(32), t), undefined, 'another process’s key');
    assert.equal(storyOfToken(key, t.replace('hk_s12_', 'hk_s13_')), undefined, 'another story');
    assert.equal(storyOfToken(key, `${t}x`), undefined);
    const reg = new TokenRegistry((p) => {
      const id = storyOfToken(key, p);
      return id === undefined ? undefined : { key: `hand-${id}`, storyId: id };
    });
    assert.equal(reg.lookup(t)?.storyId, 12);
    assert.equal(reg.lookup('hk_s12_nope'), undefined);
  });
});
