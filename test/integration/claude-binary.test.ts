// Runs the REAL `claude` binary (pinned @anthropic-ai/claude-code 2.1.197) offline against the
// scripted Messages API in test/fixtures/mockAnthropic.ts: proves the mock is faithful enough for
// Claude Code's agent loop, its error paths, usage-limit events and --resume.
import { strict as assert } from 'node:assert';
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import {
  startMockAnthropic,
  reply,
  text,
  thinking,
  toolUse,
  rateLimited,
  usageLimited,
  systemText,
  userTexts,
  toolResults,
  type MockAnthropic,
  type MockScript,
  type MockOptions,
} from '../fixtures/mockAnthropic';
import { claudeTestEnv, claudeBinary, claudeArgs, hasClaudeBinary, type ClaudeEnvOptions } from '../fixtures/claudeEnv';

interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: any[];
  unparsable: string[];
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Spawn the binary in its own process group, parse stdout JSONL, kill the group on timeout. */
function runClaude(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 25_000): Promise<ClaudeRun> {
  const started = Date.now();
  const child = spawn(claudeBinary(), args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: any[] = [];
  const unparsable: string[] = [];
  let stderr = '';
  let timedOut = false;
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    if (!l.trim()) return;
    try {
      lines.push(JSON.parse(l));
    } catch {
      unparsable.push(l);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // nothing the agent started may outlive the run
      resolve({ code, signal, lines, unparsable, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

function gitInit(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@huskies.invalid');
  git('config', 'user.name', 'Huskies Test');
  git('config', 'commit.gpgsign', 'false');
  fs.writeFileSync(path.join(dir, 'README.md'), '# test repo\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
}

const describeIf = hasClaudeBinary() ? describe : describe.skip;

describeIf('real claude binary against the scripted Anthropic API', function () {
  this.timeout(60_000);

  let tmp: string;
  let home: string;
  let repo: string;
  let mock: MockAnthropic | undefined;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-claude-')));
    home = path.join(tmp, 'home');
    repo = path.join(tmp, 'repo');
    fs.mkdirSync(home);
    gitInit(repo);
  });

  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function start(script: MockScript, opts?: MockOptions) {
    mock = await startMockAnthropic(script, opts);
    return mock;
  }

  const envFor = (m: MockAnthropic, o?: ClaudeEnvOptions) => claudeTestEnv(m.url, home, o);
  const ofType = (r: ClaudeRun, type: string, subtype?: string) => r.lines.filter((l) => l.type === type && (subtype === undefined || l.subtype === subtype));
  const resultOf = (r: ClaudeRun) => {
    const res = ofType(r, 'result');
    assert.equal(res.length, 1, `exactly one result line; stderr=${r.stderr}`);
    return res[0];
  };

  it('runs a story: Write a file, commit it with Bash, finish with text', async () => {
    const file = path.join(repo, 'src', 'greeting.txt');
    const m = await start([
      reply([thinking('Create the file, then commit.'), text('Creating the file.'), toolUse('Write', { file_path: file, content: 'hello from the agent\n' })]),
      reply([toolUse('Bash', { command: 'git add -A && git commit -q -m "story 7: add greeting" && git log --oneline -1', description: 'Commit' })]),
      reply('Done: added src/greeting.txt and committed it.', { usage: { input_tokens: 1200, output_tokens: 40, cache_read_input_tokens: 300 } }),
    ]);
    const run = await runClaude(claudeArgs('Add a greeting file and commit it.', ['--append-system-prompt', 'HUSKIES-STORY-7 marker']), repo, envFor(m));

    assert.equal(run.timedOut, false);
    assert.equal(run.code, 0, `exit code; stderr=${run.stderr}`);
    assert.equal(run.stderr, '', 'no stderr noise');
    assert.deepEqual(run.unparsable, []);

    // The work happened for real.
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello from the agent\n');
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: repo }).toString().trim().split('\n');
    assert.deepEqual(log, ['story 7: add greeting', 'initial']);
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: repo }).toString(), '');

    // The stream has the documented shape.
    const init = ofType(run, 'system', 'init')[0];
    assert.ok(init, 'init line');
    assert.equal(init.cwd, repo);
    assert.equal(init.permissionMode, 'bypassPermissions');
    assert.equal(init.apiKeySource, 'ANTHROPIC_API_KEY');
    assert.equal(init.claude_code_version, '2.1.197');
    const assistant = ofType(run, 'assistant');
    assert.deepEqual(
      assistant.map((l) => l.message.content[0].type),
      ['thinking', 'text', 'tool_use', 'tool_use', 'text'],
    );
    const users = ofType(run, 'user');
    assert.equal(users.length, 2);
    assert.ok(users.every((u) => u.message.content[0].type === 'tool_result' && u.message.content[0].is_error !== true));
    assert.match(users[1].message.content[0].content, /story 7: add greeting/);
    const result = resultOf(run);
    assert.equal(result.subtype, 'success');
    assert.equal(result.is_error, false);
    assert.equal(result.num_turns, 3);
    assert.equal(result.result, 'Done: added src/greeting.txt and committed it.');
    assert.equal(typeof result.total_cost_usd, 'number');
    assert.ok(result.total_cost_usd > 0);
    assert.ok(result.usage.input_tokens > 0 && result.usage.output_tokens > 0);
    assert.ok(result.modelUsage['claude-sonnet-4-5']);
    assert.ok(run.lines.every((l) => l.session_id === init.session_id));

    // The mock saw the agent loop: three main requests, tool results fed back, our system prompt.
    assert.deepEqual(m.problems, []);
    assert.equal(m.requests.length, 3);
    assert.match(systemText(m.requests[0].body), /HUSKIES-STORY-7 marker/);
    assert.ok(userTexts(m.requests[0].body).some((t) => t.includes('Add a greeting file and commit it.')));
    const writeId = assistant[2].message.content[0].id;
    const tr1 = toolResults(m.requests[1].body);
    assert.equal(tr1.length, 1);
    assert.equal(tr1[0].tool_use_id, writeId);
    assert.match(tr1[0].content, /created successfully/i);
    const tr2 = toolResults(m.requests[2].body);
    assert.equal(tr2.length, 2);
    assert.match(tr2[1].content, /story 7: add greeting/);
    assert.equal(m.requests[0].headers['x-api-key'], 'dummy');
  });

  it('API-key 429: retries as told, then a result with is_error and api_error_status 429, exit 1', async () => {
    const m = await start([rateLimited(0, { repeat: Infinity })]);
    const run = await runClaude(claudeArgs('hi'), repo, envFor(m, { maxRetries: 1 }));

    assert.equal(run.timedOut, false);
    assert.equal(run.code, 1);
    const retries = ofType(run, 'system', 'api_retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].error_status, 429);
    assert.equal(retries[0].error, 'rate_limit');
    const result = resultOf(run);
    assert.equal(result.is_error, true);
    assert.equal(result.api_error_status, 429);
    assert.match(result.result, /Request rejected \(429\)/);
    assert.equal(ofType(run, 'rate_limit_event').length, 0, 'API-key auth emits no rate_limit_event');
    assert.equal(m.requests.length, 2, 'first try + one retry');
  });

  it('subscription usage limit: rate_limit_event rejected with resetsAt, no retries', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600;
    const m = await start([usageLimited(resetsAt, 'five_hour', { repeat: Infinity })]);
    const run = await runClaude(claudeArgs('hi'), repo, envFor(m, { auth: 'oauth', maxRetries: 2 }));

    assert.equal(run.timedOut, false);
    assert.equal(run.code, 1);
    assert.equal(ofType(run, 'system', 'init')[0].apiKeySource, 'none');
    const events = ofType(run, 'rate_limit_event');
    assert.equal(events.length, 1);
    assert.equal(events[0].rate_limit_info.status, 'rejected');
    assert.equal(events[0].rate_limit_info.resetsAt, resetsAt);
    assert.equal(events[0].rate_limit_info.rateLimitType, 'five_hour');
    const result = resultOf(run);
    assert.equal(result.is_error, true);
    assert.equal(result.api_error_status, 429);
    assert.match(result.result, /You've hit your session limit · resets /);
    assert.equal(ofType(run, 'system', 'api_retry').length, 0);
    assert.equal(m.requests.length, 1, 'subscription 429s are not retried');
    assert.equal(m.requests[0].headers.authorization, 'Bearer dummy-oauth-token');
  });

  it('--resume continues the same session and resends the history', async () => {
    const m = await start([reply('The answer is 42.'), reply('You asked about the answer; it was 42.')]);
    const env = envFor(m);
    const first = await runClaude(claudeArgs('What is the answer?'), repo, env);
    assert.equal(first.code, 0, first.stderr);
    const sessionId = resultOf(first).session_id;
    assert.match(sessionId, /^[0-9a-f-]{36}$/);

    const second = await runClaude(claudeArgs('What did I ask before?', ['--resume', sessionId]), repo, env);
    assert.equal(second.code, 0, second.stderr);
    const result = resultOf(second);
    assert.equal(result.session_id, sessionId);
    assert.equal(result.result, 'You asked about the answer; it was 42.');
    assert.ok(second.lines.every((l) => l.session_id === sessionId));

    assert.equal(m.requests.length, 2);
    const body = m.requests[1].body;
    const users = userTexts(body);
    assert.ok(
      users.some((t) => t.includes('What is the answer?')),
      'first prompt resent',
    );
    assert.ok(
      users.some((t) => t.includes('What did I ask before?')),
      'new prompt appended',
    );
    const assistantTexts = body.messages
      .filter((msg: any) => msg.role === 'assistant')
      .flatMap((msg: any) => (Array.isArray(msg.content) ? msg.content : [{ type: 'text', text: msg.content }]))
      .filter((b: any) => b.type === 'text')
      .map((b: any) => b.text);
    assert.deepEqual(assistantTexts, ['The answer is 42.']);
    assert.equal(m.requests[1].headers['x-claude-code-session-id'], sessionId);
  });
});

// The mock on its own (no binary needed): wire formats, routing and turn bookkeeping.
describe('mockAnthropic server', function () {
  let m: MockAnthropic | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  const mainBody = (extra: Record<string, unknown> = {}) => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: 'You are an agent.' }],
    tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }],
    ...extra,
  });
  const post = (url: string, body: unknown, p = '/v1/messages?beta=true') =>
    fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Parse an SSE body into [event, data] pairs, checking each event name matches data.type. */
  async function sse(res: Response): Promise<any[]> {
    const raw = await res.text();
    return raw
      .split('\n\n')
      .filter((f) => f.trim())
      .map((frame) => {
        const ev = /^event: (.+)$/m.exec(frame)![1];
        const data = JSON.parse(/^data: (.+)$/m.exec(frame)![1]);
        assert.equal(data.type, ev);
        return data;
      });
  }

  it('streams text, thinking and tool_use blocks in the real event order', async () => {
    m = await startMockAnthropic([reply([thinking('plan'), text('x'.repeat(100)), toolUse('Bash', { command: 'echo "a long enough command to be chunked"' }, 'toolu_01X')])]);
    const res = await post(m.url, mainBody());
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    assert.ok(res.headers.get('request-id'));
    const events = await sse(res);
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'ping');
    assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
    assert.equal(events[0].message.model, 'claude-sonnet-4-5');
    assert.deepEqual(events[0].message.content, []);
    const starts = events.filter((e) => e.type === 'content_block_start');
    assert.deepEqual(
      starts.map((e) => [e.index, e.content_block.type]),
      [
        [0, 'thinking'],
        [1, 'text'],
        [2, 'tool_use'],
      ],
    );
    assert.deepEqual(starts[2].content_block, { type: 'tool_use', id: 'toolu_01X', name: 'Bash', input: {} });
    const deltas = (i: number) => events.filter((e) => e.type === 'content_block_delta' && e.index === i).map((e) => e.delta);
    assert.equal(
      deltas(0)
        .filter((d) => d.type === 'thinking_delta')
        .map((d) => d.thinking)
        .join(''),
      'plan',
    );
    assert.equal(deltas(0).filter((d) => d.type === 'signature_delta').length, 1);
    assert.equal(
      deltas(1)
        .map((d) => d.text)
        .join(''),
      'x'.repeat(100),
    );
    assert.ok(deltas(1).length > 1, 'text is chunked');
    const json = deltas(2)
      .map((d) => {
        assert.equal(d.type, 'input_json_delta');
        return d.partial_json;
      })
      .join('');
    assert.deepEqual(JSON.parse(json), { command: 'echo "a long enough command to be chunked"' });
    assert.equal(events.filter((e) => e.type === 'content_block_stop').length, 3);
    const md = events.at(-2);
    assert.equal(md.delta.stop_reason, 'tool_use');
    assert.ok(md.usage.output_tokens > 0);
  });

  it('answers non-streaming requests with a Message JSON', async () => {
    m = await startMockAnthropic([reply('hi', { usage: { input_tokens: 10, output_tokens: 2 } })]);
    const res = await post(m.url, mainBody({ stream: false }));
    assert.equal(res.status, 200);
    const msg: any = await res.json();
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.deepEqual(msg.content, [{ type: 'text', text: 'hi' }]);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.usage.input_tokens, 10);
    assert.equal(msg.usage.output_tokens, 2);
  });

  it('side requests, count_tokens and unknown paths never consume scripted turns', async () => {
    m = await startMockAnthropic([reply('first'), reply('second')]);
    const side = await post(m.url, { model: 'claude-haiku-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'title?' }], system: 'Generate a title, answer in JSON' });
    assert.equal(side.status, 200);
    assert.equal(((await side.json()) as any).type, 'message');
    const quota = await post(m.url, { model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'quota' }] });
    assert.equal(quota.status, 200);
    await quota.arrayBuffer();
    const count = await post(m.url, mainBody(), '/v1/messages/count_tokens?beta=true');
    assert.equal(count.status, 200);
    assert.ok(((await count.json()) as any).input_tokens > 0);
    const nf = await fetch(m.url + '/v1/models');
    assert.equal(nf.status, 404);
    assert.equal(((await nf.json()) as any).error.type, 'not_found_error');

    const first = await sse(await post(m.url, mainBody()));
    assert.equal(first.find((e) => e.type === 'content_block_delta').delta.text, 'first');
    assert.equal(m.requests.length, 1);
    assert.deepEqual(
      m.allRequests.map((r) => r.kind),
      ['side', 'side', 'count_tokens', 'other', 'main'],
    );
  });

  it('serves errors with their headers, honours repeat, and reports an exhausted script', async () => {
    m = await startMockAnthropic([rateLimited(3, { repeat: 2 }), reply('after')]);
    for (let i = 0; i < 2; i++) {
      const r = await post(m.url, mainBody());
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '3');
      const body: any = await r.json();
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'rate_limit_error');
    }
    await (await post(m.url, mainBody())).text();
    assert.deepEqual(m.problems, []);
    const extra = await sse(await post(m.url, mainBody()));
    assert.match(extra.find((e) => e.type === 'content_block_delta').delta.text, /script exhausted/);
    assert.equal(m.problems.length, 1);
    assert.deepEqual(
      m.requests.map((r) => r.served),
      ['error 429', 'error 429', 'reply', 'reply'],
    );
  });

  it('a hanging turn stalls mid-stream until close()', async () => {
    m = await startMockAnthropic([reply('never finished', { hang: true })]);
    const res = await post(m.url, mainBody());
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /event: message_start/);
    const rest = reader.read().then(
      () => 'ended',
      () => 'aborted',
    );
    await m.close();
    assert.ok(['ended', 'aborted'].includes(await rest));
  });

  it('calls a script function with the request and its main-loop index', async () => {
    const seen: number[] = [];
    m = await startMockAnthropic((req, index) => {
      seen.push(index);
      return index === 0 ? usageLimited(1_900_000_000) : reply(`echo ${userTexts(req.body).join(' ')}`);
    });
    const r0 = await post(m.url, mainBody());
    assert.equal(r0.status, 429);
    assert.equal(r0.headers.get('anthropic-ratelimit-unified-status'), 'rejected');
    assert.equal(r0.headers.get('anthropic-ratelimit-unified-reset'), '1900000000');
    assert.equal(r0.headers.get('anthropic-ratelimit-unified-representative-claim'), 'five_hour');
    await r0.arrayBuffer();
    const r1 = await sse(await post(m.url, mainBody()));
    assert.equal(
      r1
        .filter((e) => e.type === 'content_block_delta')
        .map((e) => e.delta.text)
        .join(''),
      'echo go',
    );
    assert.deepEqual(seen, [0, 1]);
  });
});

describe('claudeTestEnv', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-env-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('is hermetic: own HOME/config/tmp, dummy credentials, nothing leaked from the parent env', () => {
    const saved = process.env.ANTHROPIC_AUTH_TOKEN;
    process.env.ANTHROPIC_AUTH_TOKEN = 'real-secret';
    try {
      const env = claudeTestEnv('http://127.0.0.1:1', home);
      assert.equal(env.ANTHROPIC_AUTH_TOKEN, undefined);
      assert.equal(env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:1');
      assert.equal(env.ANTHROPIC_API_KEY, 'dummy');
      assert.equal(env.CLAUDE_CODE_OAUTH_TOKEN, undefined);
      assert.equal(env.HOME, home);
      assert.equal(env.CLAUDE_CONFIG_DIR, path.join(home, '.claude'));
      assert.ok(fs.statSync(env.CLAUDE_CODE_TMPDIR!).isDirectory());
      assert.equal(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, '1');
      assert.equal(env.CLAUDE_CODE_MAX_RETRIES, '0');
      assert.equal(env.IS_SANDBOX, process.getuid?.() === 0 ? '1' : undefined);
      const oauth = claudeTestEnv('http://127.0.0.1:1', home, { auth: 'oauth', maxRetries: 2, sandbox: false, extra: { FOO: 'bar', HOME: undefined } });
      assert.equal(oauth.ANTHROPIC_API_KEY, undefined);
      assert.ok(oauth.CLAUDE_CODE_OAUTH_TOKEN);
      assert.equal(oauth.CLAUDE_CODE_MAX_RETRIES, '2');
      assert.equal(oauth.IS_SANDBOX, undefined);
      assert.equal(oauth.FOO, 'bar');
      assert.equal('HOME' in oauth, false);
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_AUTH_TOKEN;
      else process.env.ANTHROPIC_AUTH_TOKEN = saved;
    }
  });
});
