// The launch recipes: a prompt can never be read as an option, whatever it starts with; the
// user's git identity and a short Claude retry budget are in every launch env unless set there.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildLaunch, CLAUDE_MAX_RETRIES, type LaunchContext } from '../../src/core/agents/runtimes';
import { AgentProcess } from '../../src/core/agents/agentProcess';
import { createParser } from '../../src/core/agents/parsers';
import type { AgentSpec } from '../../src/core/config/config';
import type { AgentMessage } from '../../src/core/model/agentMessage';
import { ensureSimBuilt, SIM_AGENT } from '../fixtures/repo';

const PROMPTS = ['---\nname: story\n---\nDo it', '- also add a test', '--help', '-p', '-'];

function agent(runtime: AgentSpec['runtime'], over: Partial<AgentSpec> = {}): AgentSpec {
  return { name: `${runtime}-1`, stage: 'coder', runtime, args: [], env: {}, ...over };
}

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
    ...over,
  };
}

describe('runtimes: the prompt is never an option', () => {
  for (const prompt of PROMPTS) {
    for (const resume of [undefined, 'sess-1']) {
      const when = `${JSON.stringify(prompt.slice(0, 12))}${resume ? ', resuming' : ''}`;

      it(`claude and sim: "--" then the prompt, last, after the agent's own args (${when})`, () => {
        for (const runtime of ['claude', 'sim'] as const) {
          const { args } = buildLaunch(agent(runtime, { args: ['--add-dir', '/x'] }), ctx({ prompt, resumeSessionId: resume }));
          assert.deepEqual(args.slice(-2), ['--', prompt], args.join(' '));
          assert.equal(args.indexOf('--'), args.length - 2, 'nothing after the end of the options but the prompt');
          assert.ok(args.indexOf('--add-dir') < args.indexOf('--'));
          assert.ok(args.includes('-p'), '-p is the print switch, with no value');
          if (resume) assert.ok(args.indexOf('--resume') < args.indexOf('--'));
        }
      });

      it(`codex: "--" then the prompt, after "resume <id>" when resuming (${when})`, () => {
        const { args } = buildLaunch(agent('codex', { args: ['-c', 'x=1'] }), ctx({ prompt, resumeSessionId: resume }));
        // "-" alone would make Codex read the prompt from stdin.
        assert.deepEqual(args.slice(-2), ['--', prompt === '-' ? '-\n' : prompt]);
        if (resume) assert.deepEqual(args.slice(-4, -2), ['resume', resume]);
        assert.ok(args.indexOf('x=1') < args.indexOf('--'));
      });

      it(`gemini: the attached --prompt=<text> form (${when})`, () => {
        const { args } = buildLaunch(agent('gemini', { args: ['--debug'] }), ctx({ prompt, resumeSessionId: resume }));
        assert.equal(args.filter((a) => a.startsWith('--prompt=')).length, 1);
        assert.ok(args.includes(`--prompt=${prompt}`));
        assert.ok(!args.includes(prompt), 'the prompt is never a separate argument');
        assert.ok(!args.includes('-p'));
      });
    }
  }
});

describe('runtimes: launch environment', () => {
  const id = { name: 'Ada Lovelace', email: 'ada@example.org' };

  it('every runtime gets the git identity as author and committer', () => {
    for (const runtime of ['claude', 'sim', 'codex', 'gemini', 'command'] as const) {
      const { env } = buildLaunch(agent(runtime, { program: runtime === 'command' ? '/bin/true' : undefined }), ctx({ gitIdentity: id }));
      assert.equal(env.GIT_AUTHOR_NAME, 'Ada Lovelace', runtime);
      assert.equal(env.GIT_AUTHOR_EMAIL, 'ada@example.org', runtime);
      assert.equal(env.GIT_COMMITTER_NAME, 'Ada Lovelace', runtime);
      assert.equal(env.GIT_COMMITTER_EMAIL, 'ada@example.org', runtime);
    }
  });

  it("the agent's env, then the user's environment, win over the repository identity", () => {
    const fromAgent = buildLaunch(agent('gemini', { env: { GIT_AUTHOR_NAME: 'Bot', GIT_COMMITTER_EMAIL: 'bot@x' } }), ctx({ gitIdentity: id })).env;
    assert.equal(fromAgent.GIT_AUTHOR_NAME, 'Bot');
    assert.equal(fromAgent.GIT_COMMITTER_EMAIL, 'bot@x');
    assert.equal(fromAgent.GIT_AUTHOR_EMAIL, 'ada@example.org');
    const fromUser = buildLaunch(agent('codex'), ctx({ gitIdentity: id, baseEnv: { GIT_AUTHOR_NAME: 'Shell User' } })).env;
    assert.equal(fromUser.GIT_AUTHOR_NAME, 'Shell User');
  });

  it('without an identity nothing is invented', () => {
    const { env } = buildLaunch(agent('claude'), ctx());
    assert.equal(env.GIT_AUTHOR_NAME, undefined);
    assert.equal(env.GIT_COMMITTER_EMAIL, undefined);
  });

  it("Claude Code gets CLAUDE_CODE_MAX_RETRIES=2 unless the user's env or agents.toml sets it", () => {
    assert.equal(CLAUDE_MAX_RETRIES, '2');
    assert.equal(buildLaunch(agent('claude'), ctx()).env.CLAUDE_CODE_MAX_RETRIES, '2');
    assert.equal(buildLaunch(agent('claude'), ctx({ baseEnv: { CLAUDE_CODE_MAX_RETRIES: '7' } })).env.CLAUDE_CODE_MAX_RETRIES, '7');
    assert.equal(buildLaunch(agent('claude', { env: { CLAUDE_CODE_MAX_RETRIES: '0' } }), ctx({ baseEnv: { CLAUDE_CODE_MAX_RETRIES: '7' } })).env.CLAUDE_CODE_MAX_RETRIES, '0');
    assert.equal(buildLaunch(agent('codex'), ctx()).env.CLAUDE_CODE_MAX_RETRIES, undefined);
  });
});

describe('runtimes: the simulated agent reads its prompt as Claude Code does', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => ensureSimBuilt());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-runtimes-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function runSim(prompt: string, resumeSessionId?: string, env: Record<string, string> = { HUSKIES_SIM: 'no_commit' }, limits = {}) {
    const spec = buildLaunch(
      agent('sim', { env: { HUSKIES_SIM_DELAY_MS: '1', ...env } }),
      ctx({
        prompt,
        resumeSessionId,
        worktree: dir,
        storyFile: path.join(dir, 'none.md'),
        simAgentPath: SIM_AGENT,
        nodePath: process.execPath,
        baseEnv: { PATH: process.env.PATH },
      }),
    );
    const msgs: AgentMessage[] = [];
    const p = new AgentProcess(spec, createParser('sim'), (m) => msgs.push(...m), { timeoutMs: 15_000, ...limits });
    p.start();
    return { outcome: await p.done, msgs };
  }

  it('a prompt that starts with "---" runs, and a resume sees it whole', async () => {
    const fresh = await runSim('---\nname: x\n---\nbody');
    assert.equal(fresh.outcome.kind, 'success', fresh.outcome.reason);
    const resumed = await runSim('- also this', 'sess-42');
    assert.equal(resumed.outcome.kind, 'success', resumed.outcome.reason);
    assert.ok(resumed.msgs.some((m) => m.kind === 'text' && m.text === 'Resuming session sess-42: - also this'));
  });

  it('like Claude Code, it refuses an unknown option (so a misplaced prompt shows up in tests)', async () => {
    const spec = buildLaunch(agent('sim'), ctx({ worktree: dir, simAgentPath: SIM_AGENT, nodePath: process.execPath, baseEnv: { PATH: process.env.PATH } }));
    const p = new AgentProcess({ ...spec, args: [SIM_AGENT, '-p', '---x', '--output-format', 'stream-json', '--verbose'] }, createParser('sim'), () => undefined, {
      timeoutMs: 15_000,
    });
    p.start();
    const o = await p.done;
    assert.equal(o.kind, 'failed');
    assert.match(o.reason!, /unknown option '---x'/);
  });

  it('ends as Claude Code does on a permanent 529, a bad key and a dead endpoint, each named as the simulated agent', async () => {
    const expected = {
      overloaded: /^The API is overloaded \(HTTP 529\)/,
      auth: /^The simulated agent could not authenticate \(HTTP 401\)/,
      network: /^The simulated agent could not reach the API after 2 retries/,
    };
    for (const [mode, reason] of Object.entries(expected)) {
      const { outcome } = await runSim('go', undefined, { HUSKIES_SIM: mode });
      assert.equal(outcome.kind, mode, outcome.reason);
      assert.match(outcome.reason!, reason);
    }
  });

  it('announces a retry wait with its delay, then succeeds', async () => {
    const { outcome, msgs } = await runSim('go', undefined, { HUSKIES_SIM: 'retry', HUSKIES_SIM_RETRY_MS: '50' });
    assert.equal(outcome.kind, 'success', outcome.reason);
    assert.deepEqual(
      msgs.filter((m) => m.kind === 'retry').map((m) => (m as { delayMs?: number }).delayMs),
      [50],
    );
  });

  it('a reset time that is not a number still gives a rate limit, not a crash', async () => {
    const { outcome } = await runSim('go', undefined, { HUSKIES_SIM: 'rate_limit', HUSKIES_SIM_RESET_S: 'soon' });
    assert.equal(outcome.kind, 'rate_limited', outcome.reason);
  });
});
