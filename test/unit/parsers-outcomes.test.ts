// Outcome kinds the orchestrator acts on (overloaded, rate_limited, auth, network) with the HTTP
// status in the reason, the program's own name in every reason, and reset / retry times that are
// always a time the orchestrator can act on and print. Lines as the real programs print them.
import * as assert from 'node:assert/strict';
import { createParser, type ParserRuntime } from '../../src/core/agents/parsers';
import { createClaudeParser } from '../../src/core/agents/parsers/claude';
import { createCodexParser } from '../../src/core/agents/parsers/codex';
import { createGeminiParser } from '../../src/core/agents/parsers/gemini';
import { formatResetTime, MAX_WAIT_MS } from '../../src/core/agents/parsers/common';
import { exit, feed, j, kinds, only } from './parsers-helpers';

const NOW = Date.UTC(2026, 10, 21, 13, 0, 0);
const clock = { now: () => NOW };
const S = 'sess-1';
const init = j({ type: 'system', subtype: 'init', session_id: S, model: 'claude-x', cwd: '/w', tools: [] });
const retry = (attempt: number, status: number | null, error: string, delay = 600) =>
  j({ type: 'system', subtype: 'api_retry', attempt, max_retries: 2, retry_delay_ms: delay, error_status: status, error, session_id: S });
const synthetic = (text: string, error: string) =>
  j({ type: 'assistant', message: { id: 'x', model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text }] }, session_id: S, error });
const errorResult = (status: number | null, text: string) =>
  j({ type: 'result', subtype: 'success', is_error: true, api_error_status: status, result: text, session_id: S, num_turns: 1, total_cost_usd: 0 });

/** What Claude Code 2.1.197 printed with CLAUDE_CODE_MAX_RETRIES=2 against each failure. */
const CLAUDE = {
  network: [
    init,
    retry(1, null, 'unknown', 567.18),
    retry(2, null, 'unknown', 1027.35),
    synthetic('API Error: Unable to connect to API (ConnectionRefused)', 'unknown'),
    errorResult(null, 'API Error: Unable to connect to API (ConnectionRefused)'),
  ],
  overloaded: [
    init,
    retry(1, 529, 'overloaded'),
    retry(2, 529, 'overloaded'),
    synthetic('API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.', 'overloaded'),
    errorResult(529, 'API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.'),
  ],
  forbidden: [init, synthetic('Failed to authenticate. API Error: 403 nope', 'authentication_failed'), errorResult(403, 'Failed to authenticate. API Error: 403 nope')],
  server: [
    init,
    retry(1, 500, 'server_error'),
    retry(2, 500, 'server_error'),
    synthetic('API Error: 500 nope. This is a server-side issue, usually temporary — try again in a moment.', 'server_error'),
    errorResult(500, 'API Error: 500 nope. This is a server-side issue, usually temporary — try again in a moment.'),
  ],
  unauthorized: [
    init,
    retry(1, 401, 'authentication_failed'),
    synthetic('Invalid API key · Fix external API key', 'authentication_failed'),
    errorResult(401, 'Invalid API key · Fix external API key'),
  ],
};

describe('parsers: outcome kinds', () => {
  it('Claude: a dead endpoint is network, with typed network retries and the retry count in the reason', () => {
    const { messages, outcome } = feed(createClaudeParser(), CLAUDE.network, exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'retry', 'retry', 'error', 'result']);
    assert.deepEqual(only(messages, 'retry')[0], {
      kind: 'retry',
      message: 'retrying after 0.6 s (no response), attempt 1/2',
      delayMs: 567,
      attempt: 1,
      maxRetries: 2,
      cause: 'network',
    });
    assert.equal(outcome.kind, 'network');
    assert.equal(outcome.reason, 'Claude Code could not reach the API after 2 retries: API Error: Unable to connect to API (ConnectionRefused)');
    assert.equal(only(messages, 'result')[0].errorKind, 'network');
  });

  it('Claude: a permanent 529 is overloaded (never rate_limited), with HTTP 529 and a short wait', () => {
    const { outcome } = feed(createClaudeParser(), CLAUDE.overloaded, exit(1), NOW);
    assert.equal(outcome.kind, 'overloaded');
    assert.match(outcome.reason!, /HTTP 529/);
    assert.ok(outcome.retryAt! > NOW && outcome.retryAt! <= NOW + 5 * 60_000);
  });

  it('Claude: 401 and 403 are auth with the status; a 500 is a failure with the status', () => {
    const a = feed(createClaudeParser(), CLAUDE.unauthorized, exit(1), NOW).outcome;
    assert.equal(a.kind, 'auth');
    assert.match(a.reason!, /^Claude Code could not authenticate \(HTTP 401\): Invalid API key/);
    const f = feed(createClaudeParser(), CLAUDE.forbidden, exit(1), NOW).outcome;
    assert.equal(f.kind, 'auth');
    assert.equal(f.reason, 'Claude Code could not authenticate (HTTP 403): Failed to authenticate. API Error: 403 nope');
    const s = feed(createClaudeParser(), CLAUDE.server, exit(1), NOW).outcome;
    assert.equal(s.kind, 'failed');
    assert.match(s.reason!, /^Claude Code failed \(HTTP 500\): API Error: 500 nope/);
    assert.equal(s.retryAt, undefined);
  });

  it('Claude: killed while retrying a dead endpoint, after its error text, is network too', () => {
    const { outcome } = feed(createClaudeParser(), CLAUDE.network.slice(0, 4), exit(1), NOW);
    assert.equal(outcome.kind, 'network');
  });

  it('Codex: network failures and retries, 403 as auth, a 529 as overloaded', () => {
    const start = [j({ type: 'thread.started', thread_id: 't-1' }), j({ type: 'turn.started' })];
    const wait = 'Reconnecting... waiting for network (Connection failed: error sending request)';
    const dead = 'stream disconnected before completion: error sending request for url (http://127.0.0.1:1/v1/responses)';
    const n = feed(
      createCodexParser(),
      [...start, j({ type: 'error', message: wait }), j({ type: 'error', message: dead }), j({ type: 'turn.failed', error: { message: dead } })],
      exit(1),
      NOW,
    );
    assert.deepEqual(only(n.messages, 'retry')[0], { kind: 'retry', message: wait, cause: 'network' });
    assert.equal(n.outcome.kind, 'network');
    assert.equal(n.outcome.reason, `Codex could not reach the API: ${dead}`);
    const forbidden = 'unexpected status 403 Forbidden: not allowed, url: http://x/v1/responses';
    const f = feed(createCodexParser(), [...start, j({ type: 'turn.failed', error: { message: forbidden } })], exit(1), NOW).outcome;
    assert.equal(f.kind, 'auth');
    assert.match(f.reason!, /\(HTTP 403\)/);
    const o = feed(createCodexParser(), [...start, j({ type: 'turn.failed', error: { message: 'exceeded retry limit, last status: 529' } })], exit(1), NOW).outcome;
    assert.equal(o.kind, 'overloaded');
    assert.match(o.reason!, /HTTP 529/);
  });

  it('Gemini: "fetch failed" retries are network retries, and a run that ends on them is network; exit 17 (529) is overloaded', () => {
    const p = createGeminiParser();
    const r = p.stderrLine('Attempt 3 failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request');
    assert.deepEqual(r, [
      { kind: 'retry', message: 'Attempt 3 failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request', cause: 'network', attempt: 3 },
    ]);
    const o = p.finish(exit(1, 'Error: exception TypeError: fetch failed sending request'), NOW);
    assert.equal(o.kind, 'network');
    assert.match(o.reason!, /^Gemini CLI could not reach the API: /);
    assert.equal(createGeminiParser().finish(exit(17), NOW).kind, 'overloaded');
  });
});

describe('parsers: reasons name the program that ran', () => {
  const cases: [string, string[]][] = [
    ['failed', [init, j({ type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['boom'], session_id: S })]],
    ['max_turns', [init, j({ type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['Reached maximum number of turns (2)'], session_id: S })]],
    ['auth', CLAUDE.unauthorized],
    ['network', CLAUDE.network],
    ['no result', [init]],
  ];
  for (const [what, lines] of cases) {
    it(`sim: "${what}" says "The simulated agent", never "Claude Code"`, () => {
      const { outcome } = feed(createParser('sim'), lines, exit(1), NOW);
      assert.match(outcome.reason!, /The simulated agent|exited with code 1/);
      assert.doesNotMatch(outcome.reason!, /Claude Code/);
    });
  }

  it('each runtime uses its label from RUNTIME_LABELS; an explicit label wins', () => {
    const failed = (runtime: ParserRuntime, lines: string[], opts = {}) => feed(createParser(runtime, opts), lines, exit(1), NOW).outcome.reason!;
    assert.match(failed('claude', cases[0][1]), /^Claude Code failed: boom/);
    assert.match(failed('sim', cases[0][1]), /^The simulated agent failed: boom/);
    assert.match(failed('codex', [j({ type: 'thread.started', thread_id: 't' }), j({ type: 'turn.failed', error: { message: 'boom' } })]), /^Codex CLI failed: boom/);
    assert.match(failed('gemini', [j({ type: 'result', timestamp: 't', status: 'error', error: { message: 'boom' } })]), /^Gemini CLI failed: boom/);
    assert.match(failed('sim', cases[0][1], { label: 'Sim 2' }), /^Sim 2 failed: boom/);
  });
});

describe('parsers: absurd reset and retry times', () => {
  const rejected = (resetsAt: unknown) => j({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: 'five_hour' }, session_id: S });
  const limited = [synthetic("You've hit your session limit", 'rate_limit'), errorResult(429, "You've hit your session limit")];

  for (const resetsAt of [1e300, -1, 0, '1795269321', 'soon', null, 1e12 * 1e6]) {
    it(`a rate_limit_event with resetsAt ${JSON.stringify(resetsAt)} gives an actionable, printable retryAt`, () => {
      const { messages, outcome } = feed(createClaudeParser(clock), [init, rejected(resetsAt), ...limited], exit(1), NOW);
      const rl = only(messages, 'rate_limit')[0];
      if (rl.resetsAt !== undefined) assert.ok(Number.isFinite(rl.resetsAt) && rl.resetsAt > 0 && rl.resetsAt <= NOW + MAX_WAIT_MS);
      assert.equal(outcome.kind, 'rate_limited');
      assert.ok(outcome.retryAt! > NOW - 1 && outcome.retryAt! <= NOW + MAX_WAIT_MS, String(outcome.retryAt));
      assert.doesNotThrow(() => new Date(outcome.retryAt!).toISOString());
      assert.doesNotMatch(outcome.reason!, /NaN|Invalid/);
    });
  }

  it('a huge resetsAt is cut to a week; a negative one gives the default wait', () => {
    assert.equal(feed(createClaudeParser(clock), [init, rejected(1e300), ...limited], exit(1), NOW).outcome.retryAt, NOW + MAX_WAIT_MS);
    assert.equal(feed(createClaudeParser(clock), [init, rejected(-1), ...limited], exit(1), NOW).outcome.retryAt, NOW + 60_000);
  });

  it('retry delays and texts from every program are capped the same way', () => {
    const huge = feed(
      createClaudeParser(clock),
      [init, retry(1, 429, 'rate_limit', 1e300), ...limited.slice(0, 1), errorResult(429, 'API Error: Request rejected (429)')],
      exit(1),
      NOW,
    );
    assert.equal(only(huge.messages, 'retry')[0].delayMs, MAX_WAIT_MS);
    assert.ok(huge.outcome.retryAt! <= NOW + MAX_WAIT_MS);
    const legacy = feed(createClaudeParser(clock), [init, errorResult(429, 'Claude AI usage limit reached|9999999999999')], exit(1), NOW).outcome;
    assert.equal(legacy.retryAt, NOW + MAX_WAIT_MS);
    const codex = feed(
      createCodexParser(),
      [j({ type: 'turn.failed', error: { message: 'You’ve hit your usage limit. Try again at Dec 31st, 9999 1:56 PM.' } })],
      exit(1),
      NOW,
    ).outcome;
    assert.equal(codex.retryAt, NOW + MAX_WAIT_MS);
    const gemini = createGeminiParser().finish(exit(173, 'Resource has been exhausted. Please retry in 99999999999999s'), NOW);
    assert.equal(gemini.retryAt, NOW + MAX_WAIT_MS);
    const bigRetry = createGeminiParser().stderrLine('Attempt 1 failed: 429. Retrying after 1e400ms...');
    assert.equal(bigRetry[0].kind, 'retry');
    assert.ok(!('delayMs' in bigRetry[0]) || bigRetry[0].delayMs! <= MAX_WAIT_MS);
  });

  it('formatResetTime prints any number', () => {
    for (const at of [Number.NaN, Infinity, -Infinity, 1e300, -1e300]) assert.equal(formatResetTime(at, NOW), 'an unknown time');
    assert.equal(formatResetTime(Date.UTC(2026, 10, 21, 13, 55), Number.NaN), '13:55 UTC');
  });
});
