// Contract of the launch recipes and stream parsers with the REAL programs (pinned Claude Code,
// Codex CLI and Gemini CLI) against the scripted APIs on 127.0.0.1, without the orchestrator:
// buildLaunch → AgentProcess → parser. A prompt that starts with "---" or "-" reaches the API as
// the user's message, fresh and resumed; Claude Code's retry waits do not trip the inactivity
// watchdog; a dead endpoint, a permanent 529 and a bad key end fast with their outcome kinds.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildLaunch, type LaunchContext } from '../../src/core/agents/runtimes';
import { AgentProcess, type ProcessLimits } from '../../src/core/agents/agentProcess';
import { createParser } from '../../src/core/agents/parsers';
import type { AgentSpec } from '../../src/core/config/config';
import type { AgentMessage, RunOutcome } from '../../src/core/model/agentMessage';
import * as anthropic from '../fixtures/mockAnthropic';
import * as openai from '../fixtures/mockOpenAI';
import * as gemini from '../fixtures/mockGemini';
import { claudeBinary, claudeTestEnv, hasClaudeBinary } from '../fixtures/claudeEnv';
import { baseEnv, codexSetup, geminiSetup, hasCodexBinary, hasGeminiBinary, makeAgentHome, type AgentHome, type AgentSetup } from '../fixtures/agentEnvs';

const FRONT_MATTER_PROMPT = '---\nname: Add greeting\n---\nAdd greeting.txt that says hello.';
const FOLLOW_UP = '- also add a test';

interface Ran {
  outcome: RunOutcome;
  msgs: AgentMessage[];
}

/** One run of an agent in `worktree`, the way the orchestrator launches it. */
async function runAgent(agent: AgentSpec, worktree: string, baseEnvironment: NodeJS.ProcessEnv, prompt: string, o: { resume?: string; limits?: ProcessLimits } = {}): Promise<Ran> {
  const ctx: LaunchContext = {
    prompt,
    worktree,
    storyId: 1,
    storyFile: path.join(worktree, 'story.md'),
    resumeSessionId: o.resume,
    simAgentPath: '',
    nodePath: process.execPath,
    baseEnv: baseEnvironment,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
  };
  const msgs: AgentMessage[] = [];
  const proc = new AgentProcess(buildLaunch(agent, ctx), createParser(agent.runtime), (m) => msgs.push(...m), { timeoutMs: 45_000, graceMs: 500, ...o.limits });
  proc.start();
  return { outcome: await proc.done, msgs };
}

const sessionOf = (r: Ran) => r.outcome.sessionId ?? '';
const agentFrom = (runtime: AgentSpec['runtime'], s: AgentSetup): AgentSpec => ({
  name: `${runtime}-1`,
  stage: 'coder',
  runtime,
  program: s.program,
  model: s.model,
  args: s.args,
  env: s.env,
});

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function gitRepo(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: dir });
}

(hasClaudeBinary() ? describe : describe.skip)('launch contract: the real Claude Code', function () {
  this.timeout(60_000);
  let tmp: string;
  let mock: anthropic.MockAnthropic | undefined;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-launch-claude-')));
    gitRepo(path.join(tmp, 'wt'));
  });
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const claude: AgentSpec = { name: 'claude-1', stage: 'coder', runtime: 'claude', program: claudeBinary(), model: 'claude-sonnet-4-5', args: [], env: {} };
  /** The test env without CLAUDE_CODE_MAX_RETRIES, so the launch's own default applies. */
  const env = (url: string) => claudeTestEnv(url, path.join(tmp, 'home'), { extra: { CLAUDE_CODE_MAX_RETRIES: undefined } });

  it('a prompt starting with "---", then a follow-up starting with "-", reach the API as the user messages', async () => {
    mock = await anthropic.startMockAnthropic([anthropic.reply('Done.'), anthropic.reply('Noted.')]);
    const wt = path.join(tmp, 'wt');
    const first = await runAgent(claude, wt, env(mock.url), FRONT_MATTER_PROMPT);
    assert.equal(first.outcome.kind, 'success', first.outcome.reason);
    assert.ok(anthropic.userTexts(mock.requests[0].body).includes(FRONT_MATTER_PROMPT), JSON.stringify(anthropic.userTexts(mock.requests[0].body)));
    const second = await runAgent(claude, wt, env(mock.url), FOLLOW_UP, { resume: sessionOf(first) });
    assert.equal(second.outcome.kind, 'success', second.outcome.reason);
    assert.equal(sessionOf(second), sessionOf(first));
    const texts = anthropic.userTexts(mock.requests[1].body);
    assert.ok(texts.includes(FRONT_MATTER_PROMPT) && texts.includes(FOLLOW_UP), JSON.stringify(texts));
  });

  it("Claude Code's own retry wait (429 with retry-after 6 s) does not trip a 3 s inactivity watchdog", async () => {
    mock = await anthropic.startMockAnthropic([anthropic.rateLimited(6), anthropic.reply('Done after the wait.')]);
    const r = await runAgent(claude, path.join(tmp, 'wt'), env(mock.url), 'Say done.', { limits: { inactivityMs: 3000 } });
    assert.equal(r.outcome.kind, 'success', r.outcome.reason);
    const retries = r.msgs.filter((m): m is Extract<AgentMessage, { kind: 'retry' }> => m.kind === 'retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].delayMs, 6000);
    assert.equal(retries[0].cause, 'rate_limit');
  });

  it('a dead endpoint fails fast as network: two retries, not ten', async () => {
    const r = await runAgent(claude, path.join(tmp, 'wt'), env(`http://127.0.0.1:${await deadPort()}`), 'hi');
    assert.equal(r.outcome.kind, 'network', r.outcome.reason);
    assert.match(r.outcome.reason!, /^Claude Code could not reach the API after 2 retries: API Error: Unable to connect to API/);
    assert.equal(r.msgs.filter((m) => m.kind === 'retry').length, 2);
  });

  it('a permanent 529 is overloaded and a bad key is auth, each with its HTTP status', async () => {
    mock = await anthropic.startMockAnthropic([anthropic.overloaded({ repeat: 3 }), anthropic.unauthorized({ repeat: Infinity })]);
    const o = await runAgent(claude, path.join(tmp, 'wt'), env(mock.url), 'hi');
    assert.equal(o.outcome.kind, 'overloaded', o.outcome.reason);
    assert.match(o.outcome.reason!, /\(HTTP 529\)/);
    const a = await runAgent(claude, path.join(tmp, 'wt'), env(mock.url), 'hi');
    assert.equal(a.outcome.kind, 'auth', a.outcome.reason);
    assert.match(a.outcome.reason!, /^Claude Code could not authenticate \(HTTP 401\)/);
  });
});

/**
 * A first run with a prompt starting with "---", then a resume with one starting with "-": both
 * succeed in the same session and the last request carries both as user messages.
 */
async function promptThenFollowUp(agent: AgentSpec, wt: string, userTexts: (i: number) => string[], requests: () => number): Promise<void> {
  const first = await runAgent(agent, wt, baseEnv(), FRONT_MATTER_PROMPT);
  assert.equal(first.outcome.kind, 'success', first.outcome.reason);
  assert.ok(userTexts(0).includes(FRONT_MATTER_PROMPT), JSON.stringify(userTexts(0)));
  const second = await runAgent(agent, wt, baseEnv(), FOLLOW_UP, { resume: sessionOf(first) });
  assert.equal(second.outcome.kind, 'success', second.outcome.reason);
  assert.equal(sessionOf(second), sessionOf(first));
  const texts = userTexts(requests() - 1);
  assert.ok(texts.includes(FRONT_MATTER_PROMPT) && texts.includes(FOLLOW_UP), JSON.stringify(texts));
}

function workTree(home: AgentHome): string {
  const wt = path.join(home.root, 'wt');
  gitRepo(wt);
  return wt;
}

interface OtherProgram {
  name: string;
  installed: () => boolean;
  /** Starts the scripted API (two plain replies) and returns the agent and the mock's user texts. */
  start(home: AgentHome): Promise<{ agent: AgentSpec; userTexts: (i: number) => string[]; requests: () => number; close(): Promise<void> }>;
}

const OTHERS: OtherProgram[] = [
  {
    name: 'Codex CLI ("exec resume <id>")',
    installed: hasCodexBinary,
    async start(home) {
      const m = await openai.startMockOpenAI([openai.reply('Done.'), openai.reply('Noted.')]);
      return {
        agent: agentFrom('codex', codexSetup({ mockUrl: m.url, home })),
        userTexts: (i) => openai.userTexts(m.requests[i]),
        requests: () => m.requests.length,
        close: () => m.close(),
      };
    },
  },
  {
    name: 'Gemini CLI ("--resume <id>")',
    installed: hasGeminiBinary,
    async start(home) {
      const m = await gemini.startMockGemini([gemini.reply('Done.'), gemini.reply('Noted.')]);
      return {
        agent: agentFrom('gemini', geminiSetup({ mockUrl: m.url, home })),
        userTexts: (i) => gemini.userTexts(m.requests[i]),
        requests: () => m.requests.length,
        close: () => m.close(),
      };
    },
  },
];

for (const program of OTHERS) {
  (program.installed() ? describe : describe.skip)(`launch contract: the real ${program.name}`, function () {
    this.timeout(90_000);
    let home: AgentHome | undefined;
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
      close = undefined;
      home?.cleanup();
    });

    it('a prompt starting with "---", then a resume with one starting with "-", reach the API as the user messages', async () => {
      home = makeAgentHome('huskies-launch-');
      const started = await program.start(home);
      close = started.close;
      await promptThenFollowUp(started.agent, workTree(home), started.userTexts, started.requests);
    });
  });
}
