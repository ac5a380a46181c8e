import * as assert from 'node:assert/strict';
import { createClaudeParser } from '../../src/core/agents/parsers/claude';
import { createCodexParser } from '../../src/core/agents/parsers/codex';
import { createGeminiParser } from '../../src/core/agents/parsers/gemini';
import { createCommandParser } from '../../src/core/agents/parsers/command';
import { createParser } from '../../src/core/agents/parsers';
import type { AgentMessage } from '../../src/core/model/agentMessage';
import { exit, feed, fixtureLines, j, kinds, only } from './parsers-helpers';

const NOW = Date.UTC(2026, 10, 21, 13, 0, 0); // 2026-11-21 13:00 UTC, the day the transcripts were taken

describe('parsers: Claude Code stream-json', () => {
  it('maps the real read → edit → bash transcript and succeeds', () => {
    const { messages, outcome } = feed(createClaudeParser(), fixtureLines('claude-stream-json.real.jsonl'), exit(0), NOW);
    assert.deepEqual(kinds(messages), ['init', 'thinking', 'text', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'text', 'result']);
    const init = only(messages, 'init')[0];
    assert.equal(init.sessionId, '20b90b7b-b0c4-4ed0-a182-a7a6609b0b4d');
    assert.equal(init.model, 'claude-sonnet-4-5');
    assert.equal(init.cwd, '/home/user/project');
    assert.ok(init.tools?.includes('Bash'));
    assert.deepEqual(only(messages, 'thinking')[0], { kind: 'thinking', text: 'I should read the file first.' });
    assert.deepEqual(only(messages, 'tool_use')[0], {
      kind: 'tool_use',
      id: 'toolu_01Read',
      name: 'Read',
      input: { file_path: '/home/user/project/a.txt' },
    });
    const results = only(messages, 'tool_result');
    assert.deepEqual(results[0], { kind: 'tool_result', toolUseId: 'toolu_01Read', content: '1\thello\n2\t', isError: false });
    assert.equal(results[2].toolUseId, 'toolu_03Bash');
    assert.equal(results[2].content, 'hello world');
    const result = only(messages, 'result')[0];
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Done: a.txt now says "hello world".');
    assert.equal(result.costUsd, 0.030135);
    assert.equal(result.numTurns, 4);
    assert.equal(result.durationMs, 1084);
    // modelUsage (includes subagents) wins over usage
    assert.deepEqual(result.usage, { inputTokens: 8610, outputTokens: 167, cacheReadTokens: 6000, cacheWriteTokens: 0 });

    assert.equal(outcome.ok, true);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.sessionId, '20b90b7b-b0c4-4ed0-a182-a7a6609b0b4d');
    assert.equal(outcome.text, 'Done: a.txt now says "hello world".');
    assert.equal(outcome.costUsd, 0.030135);
    assert.equal(outcome.numTurns, 4);
    assert.deepEqual(outcome.usage, result.usage);
    assert.equal(outcome.reason, undefined);
  });

  it('a success result with a non-zero exit is not a success', () => {
    const { outcome } = feed(createClaudeParser(), fixtureLines('claude-stream-json.real.jsonl'), exit(1, 'boom: something broke'), NOW);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.kind, 'failed');
    assert.equal(outcome.reason, 'exited with code 1: boom: something broke');
  });

  it('reads the max-turns transcript', () => {
    const { messages, outcome } = feed(createClaudeParser(), fixtureLines('claude-max-turns.real.jsonl'), exit(1), NOW);
    const result = only(messages, 'result')[0];
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, 'max_turns');
    assert.equal(result.error, 'Reached maximum number of turns (2)');
    assert.equal(outcome.kind, 'max_turns');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.reason, 'Claude Code reached the turn limit (2 turns)');
    assert.equal(outcome.numTurns, 3);
    assert.deepEqual(outcome.usage, { inputTokens: 4100, outputTokens: 81, cacheReadTokens: 2400, cacheWriteTokens: 0 });
    assert.equal(outcome.sessionId, '7ed9e4df-9ea0-44e2-bf86-f26cbb906f29');
  });

  it('ignores stream_event / status lines of --include-partial-messages', () => {
    const { messages, outcome } = feed(createClaudeParser(), fixtureLines('claude-partial-messages.real.jsonl'), exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'thinking', 'text', 'tool_use', 'tool_result', 'result']);
    assert.equal(outcome.kind, 'max_turns');
    assert.equal(outcome.reason, 'Claude Code reached the turn limit (1 turns)');
  });

  it('reads the subscription usage-limit transcript: rate_limit_event resetsAt (seconds → ms)', () => {
    const { messages, outcome } = feed(createClaudeParser(), fixtureLines('claude-usage-limit-oauth.real.jsonl'), exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'rate_limit', 'error', 'result']);
    assert.deepEqual(only(messages, 'rate_limit')[0], {
      kind: 'rate_limit',
      status: 'rejected',
      resetsAt: 1795269321000,
      limitType: 'five_hour',
    });
    assert.equal(only(messages, 'error')[0].message, "You've hit your session limit · resets 1:55pm (UTC)");
    assert.equal(only(messages, 'result')[0].errorKind, 'rate_limited');
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, 1795269321000);
    assert.match(outcome.reason!, /^Claude Code usage limit: You've hit your session limit \(five_hour\); resets at 13:55 UTC$/);
  });

  it('falls back to the reset text when there is no rate_limit_event', () => {
    const lines = fixtureLines('claude-usage-limit-oauth.real.jsonl').filter((l) => !l.includes('rate_limit_event'));
    const { outcome } = feed(createClaudeParser(), lines, exit(1), NOW);
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, Date.UTC(2026, 10, 21, 13, 55));
  });

  it('reads the API-key 429 transcript: retries become typed retry messages, retryAt from the last retry delay', () => {
    const { messages, outcome } = feed(createClaudeParser(), fixtureLines('claude-429-apikey.real.jsonl'), exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'retry', 'retry', 'error', 'result']);
    assert.deepEqual(only(messages, 'retry')[0], {
      kind: 'retry',
      message: 'retrying after 7 s (429), attempt 1/2',
      delayMs: 7000,
      attempt: 1,
      maxRetries: 2,
      httpStatus: 429,
      cause: 'rate_limit',
    });
    assert.equal(only(messages, 'retry')[1].message, 'retrying after 7 s (429), attempt 2/2');
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, NOW + 7000);
    assert.equal(outcome.reason, 'Rate limited by the API (HTTP 429); resets at 13:00 UTC');
  });

  it('allowed_warning is a message, never a failure', () => {
    const lines = fixtureLines('claude-stream-json.real.jsonl');
    lines.splice(
      1,
      0,
      j({ type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning', resetsAt: 1795269321, rateLimitType: 'seven_day', utilization: 0.9 }, session_id: 's' }),
    );
    const { messages, outcome } = feed(createClaudeParser(), lines, exit(0), NOW);
    assert.equal(only(messages, 'rate_limit')[0].status, 'allowed_warning');
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.retryAt, undefined);
  });

  const init = j({ type: 'system', subtype: 'init', session_id: 'sess-1', model: 'claude-x', cwd: '/w', tools: [] });
  function errorResult(extra: Record<string, unknown>): string {
    return j({
      type: 'result',
      subtype: 'success',
      is_error: true,
      session_id: 'sess-1',
      num_turns: 1,
      total_cost_usd: 0,
      usage: { input_tokens: 0, output_tokens: 0 },
      modelUsage: {},
      ...extra,
    });
  }
  function synthetic(text: string, error: string): string {
    return j({ type: 'assistant', message: { id: 'x', model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text }] }, session_id: 'sess-1', error });
  }

  it('529 overloaded', () => {
    const lines = [
      init,
      j({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 1, retry_delay_ms: 600, error_status: 529, error: 'overloaded', session_id: 'sess-1' }),
      synthetic('API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.', 'overloaded'),
      errorResult({ api_error_status: 529, result: 'API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.' }),
    ];
    const { messages, outcome } = feed(createClaudeParser(), lines, exit(1), NOW);
    assert.equal(only(messages, 'retry')[0].message, 'retrying after 0.6 s (529), attempt 1/1');
    assert.equal(only(messages, 'retry')[0].cause, 'overloaded');
    assert.equal(outcome.kind, 'overloaded');
    assert.equal(outcome.reason, 'The API is overloaded (HTTP 529); try again in a moment');
    assert.ok(outcome.retryAt! >= NOW + 30_000);
  });

  it('401 invalid key and "Not logged in" are auth failures', () => {
    const bad = [
      init,
      j({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 1, retry_delay_ms: 500, error_status: 401, error: 'authentication_failed', session_id: 'sess-1' }),
      synthetic('Invalid API key · Fix external API key', 'authentication_failed'),
      errorResult({ api_error_status: 401, result: 'Invalid API key · Fix external API key' }),
    ];
    const a = feed(createClaudeParser(), bad, exit(1), NOW).outcome;
    assert.equal(a.kind, 'auth');
    assert.equal(a.reason, 'Claude Code could not authenticate (HTTP 401): Invalid API key · Fix external API key');

    const none = [init, synthetic('Not logged in · Please run /login', 'authentication_failed'), errorResult({ result: 'Not logged in · Please run /login' })];
    const b = feed(createClaudeParser(), none, exit(1), NOW).outcome;
    assert.equal(b.kind, 'auth');
    assert.match(b.reason!, /Not logged in/);
  });

  it('budget, bad resume', () => {
    const budget = [
      init,
      j({ type: 'result', subtype: 'error_max_budget_usd', is_error: true, session_id: 'sess-1', num_turns: 2, total_cost_usd: 0.02, errors: ['Reached maximum budget ($0.01)'] }),
    ];
    const o1 = feed(createClaudeParser(), budget, exit(1), NOW).outcome;
    assert.equal(o1.kind, 'budget');
    assert.equal(o1.reason, 'Claude Code reached the budget limit ($0.01)');
    assert.equal(o1.costUsd, 0.02);

    const resume = [j({ type: 'result', subtype: 'error_during_execution', is_error: true, session_id: 'abc', errors: ['No conversation found with session ID: abc'] })];
    const o2 = feed(createClaudeParser(), resume, exit(1, 'No conversation found with session ID: abc'), NOW).outcome;
    assert.equal(o2.kind, 'failed');
    assert.equal(o2.reason, 'Claude Code failed: No conversation found with session ID: abc');
  });

  it('a 429 result with a "resets Nov 22, 3pm (Europe/Paris)" text', () => {
    const text = "You've hit your weekly limit · resets Nov 22, 3pm (Europe/Paris)";
    const lines = [init, synthetic(text, 'rate_limit'), errorResult({ api_error_status: 429, result: text })];
    const { outcome } = feed(createClaudeParser(), lines, exit(1), NOW);
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, Date.UTC(2026, 10, 22, 14, 0));
    assert.equal(outcome.reason, "Claude Code usage limit: You've hit your weekly limit; resets at Nov 22 14:00 UTC");
  });

  it('a 429 with nothing to go on waits 60 s', () => {
    const lines = [init, errorResult({ api_error_status: 429, result: 'API Error: Request rejected (429)' })];
    const { outcome } = feed(createClaudeParser(), lines, exit(1), NOW);
    assert.equal(outcome.retryAt, NOW + 60_000);
  });

  it('tool_result array content is joined; is_error kept; uses usage when modelUsage is absent', () => {
    const lines = [
      init,
      j({
        type: 'user',
        message: {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              is_error: true,
              content: [
                { type: 'text', text: 'line a' },
                { type: 'text', text: 'line b' },
                { type: 'image', source: {} },
              ],
            },
          ],
        },
        session_id: 'sess-1',
      }),
      j({ type: 'user', message: { role: 'user', content: 'a plain replayed prompt' }, session_id: 'sess-1' }),
      j({
        type: 'result',
        subtype: 'success',
        is_error: false,
        session_id: 'sess-1',
        result: 'ok',
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 2 },
      }),
    ];
    const { messages, outcome } = feed(createClaudeParser(), lines, exit(0), NOW);
    assert.deepEqual(only(messages, 'tool_result')[0], { kind: 'tool_result', toolUseId: 't1', content: 'line a\nline b\n[image]', isError: true });
    assert.deepEqual(outcome.usage, { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 });
    assert.equal(outcome.kind, 'success');
  });

  it('sums modelUsage over several models (subagents)', () => {
    const lines = [
      j({
        type: 'result',
        subtype: 'success',
        is_error: false,
        session_id: 's',
        result: 'ok',
        usage: { input_tokens: 1, output_tokens: 1 },
        modelUsage: {
          a: { inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 5, cacheCreationInputTokens: 1, costUSD: 1 },
          b: { inputTokens: 200, outputTokens: 20, cacheReadInputTokens: 6, cacheCreationInputTokens: 2, costUSD: 1 },
        },
      }),
    ];
    const { outcome } = feed(createClaudeParser(), lines, exit(0), NOW);
    assert.deepEqual(outcome.usage, { inputTokens: 300, outputTokens: 30, cacheReadTokens: 11, cacheWriteTokens: 3 });
  });

  it('only the first init is reported', () => {
    const { messages } = feed(createClaudeParser(), [init, init], exit(0), NOW);
    assert.equal(only(messages, 'init').length, 1);
  });

  it('stderr-only failure: nothing on stdout, exit 1', () => {
    const p = createClaudeParser();
    const notices = p.stderrLine('Error: When using --print, --output-format=stream-json requires --verbose');
    assert.equal(notices.length, 1);
    const o = p.finish(exit(1, 'Error: When using --print, --output-format=stream-json requires --verbose\n'), NOW);
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, 'exited with code 1: Error: When using --print, --output-format=stream-json requires --verbose');
  });

  it('stderr lines seen by stderrLine are used when the tail is empty', () => {
    const p = createClaudeParser();
    p.stderrLine('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons');
    const o = p.finish(exit(1, ''), NOW);
    assert.equal(o.reason, 'exited with code 1: --dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons');
  });

  it('killed by a signal, empty stdout with exit 0, exit 0 without a result', () => {
    assert.equal(createClaudeParser().finish(exit(null, '', 'SIGKILL'), NOW).reason, 'killed by signal SIGKILL');
    const o = createClaudeParser().finish(exit(0), NOW);
    assert.equal(o.ok, false);
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, 'Claude Code ended without a result');
    const p = createClaudeParser();
    p.line(init);
    const o2 = p.finish(exit(null, '', 'SIGTERM'), NOW);
    assert.equal(o2.reason, 'killed by signal SIGTERM');
    assert.equal(o2.sessionId, 'sess-1');
  });

  it('a rejected rate limit and then a kill is still rate_limited', () => {
    const p = createClaudeParser();
    p.line(init);
    p.line(j({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: 1795269321, rateLimitType: 'five_hour' }, session_id: 'sess-1' }));
    const o = p.finish(exit(null, '', 'SIGTERM'), NOW);
    assert.equal(o.kind, 'rate_limited');
    assert.equal(o.retryAt, 1795269321000);
  });
});

describe('parsers: Codex exec --json', () => {
  it('maps the real read → patch → shell transcript and succeeds', () => {
    const { messages, outcome } = feed(createCodexParser(), fixtureLines('codex-exec-json.real.jsonl'), exit(0), NOW);
    assert.deepEqual(kinds(messages), ['init', 'thinking', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'text', 'result']);
    assert.deepEqual(messages[0], { kind: 'init', sessionId: '01a1fe2d-9f66-7a00-80c6-9a2fe28beb19' });
    assert.deepEqual(messages[1], { kind: 'thinking', text: '**Reading the file**' });
    assert.deepEqual(messages[2], { kind: 'tool_use', id: 'item_1', name: 'exec_command', input: { command: "/bin/bash -lc 'cat a.txt'" } });
    assert.deepEqual(messages[3], { kind: 'tool_result', toolUseId: 'item_1', content: 'hello\n', isError: false });
    assert.deepEqual(messages[4], {
      kind: 'tool_use',
      id: 'item_2',
      name: 'apply_patch',
      input: { changes: [{ path: '/home/user/project/a.txt', kind: 'update' }] },
    });
    assert.deepEqual(messages[5], { kind: 'tool_result', toolUseId: 'item_2', content: 'update /home/user/project/a.txt', isError: false });
    assert.deepEqual(messages[8], { kind: 'text', text: 'Done: a.txt now says "hello world".' });
    const usage = { inputTokens: 12600 - 8192, outputTokens: 206, cacheReadTokens: 8192, cacheWriteTokens: 0 };
    assert.deepEqual(messages[9], { kind: 'result', ok: true, sessionId: '01a1fe2d-9f66-7a00-80c6-9a2fe28beb19', text: 'Done: a.txt now says "hello world".', usage });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.sessionId, '01a1fe2d-9f66-7a00-80c6-9a2fe28beb19');
    assert.equal(outcome.text, 'Done: a.txt now says "hello world".');
    assert.deepEqual(outcome.usage, usage);
  });

  it('subtracts previousUsage (cumulative thread usage) on resume', () => {
    const previousUsage = { inputTokens: 4000, outputTokens: 100, cacheReadTokens: 8000, cacheWriteTokens: 0 };
    const { messages, outcome } = feed(createCodexParser({ previousUsage }), fixtureLines('codex-exec-json.real.jsonl'), exit(0), NOW);
    const expected = { inputTokens: 408, outputTokens: 106, cacheReadTokens: 192, cacheWriteTokens: 0 };
    assert.deepEqual(outcome.usage, expected);
    assert.deepEqual(only(messages, 'result')[0].usage, expected);
  });

  it('a previousUsage larger than the report means per-turn figures: kept as they are', () => {
    const previousUsage = { inputTokens: 999_999, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const { outcome } = feed(createCodexParser({ previousUsage }), fixtureLines('codex-exec-json.real.jsonl'), exit(0), NOW);
    assert.equal(outcome.usage!.inputTokens, 12600 - 8192);
  });

  it('reads the usage-limit transcript: "try again at 1:56 PM"', () => {
    const { messages, outcome } = feed(createCodexParser({ timeZone: 'UTC' }), fixtureLines('codex-usage-limit.real.jsonl'), exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'error', 'result']);
    const result = only(messages, 'result')[0];
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, 'rate_limited');
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, Date.UTC(2026, 10, 21, 13, 56));
    assert.equal(outcome.reason, 'Codex usage limit reached; resets at 13:56 UTC');
  });

  it('reads the usage-limit time in the zone Codex ran in', () => {
    const { outcome } = feed(createCodexParser({ timeZone: 'America/New_York' }), fixtureLines('codex-usage-limit.real.jsonl'), exit(1), NOW);
    assert.equal(outcome.retryAt, Date.UTC(2026, 10, 21, 18, 56));
  });

  it('reads the 429 transcript', () => {
    const { messages, outcome } = feed(createCodexParser(), fixtureLines('codex-429-ratelimit.real.jsonl'), exit(1), NOW);
    assert.deepEqual(kinds(messages), ['init', 'retry', 'error', 'result']);
    assert.deepEqual(only(messages, 'retry')[0], {
      kind: 'retry',
      message: 'Reconnecting... 1/1 (exceeded retry limit, last status: 429 Too Many Requests)',
      cause: 'rate_limit',
      attempt: 1,
      maxRetries: 1,
      httpStatus: 429,
    });
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.retryAt, NOW + 60_000);
    assert.equal(outcome.reason, 'Rate limited by the API (HTTP 429); resets at 13:01 UTC');
  });

  const start = [j({ type: 'thread.started', thread_id: 't-1' }), j({ type: 'turn.started' })];

  it('401 and missing env key are auth failures', () => {
    const m401 = 'unexpected status 401 Unauthorized: Incorrect API key provided, url: http://x/v1/responses';
    const a = feed(
      createCodexParser(),
      [...start, j({ type: 'error', message: `Reconnecting... 1/5 (${m401})` }), j({ type: 'error', message: m401 }), j({ type: 'turn.failed', error: { message: m401 } })],
      exit(1),
      NOW,
    ).outcome;
    assert.equal(a.kind, 'auth');
    assert.match(a.reason!, /^Codex could not authenticate \(HTTP 401\): unexpected status 401/);
    const b = feed(createCodexParser(), [...start, j({ type: 'turn.failed', error: { message: 'Missing environment variable: `MOCK_API_KEY`.' } })], exit(1), NOW);
    assert.equal(b.outcome.kind, 'auth');
    // no preceding error event: the failure is reported as an error message too
    assert.deepEqual(kinds(b.messages), ['init', 'error', 'result']);
  });

  it('failed commands, declined commands, MCP calls, error items, items completed without start', () => {
    const lines = [
      ...start,
      j({ type: 'item.started', item: { id: 'item_0', type: 'command_execution', command: 'bash -lc nope', aggregated_output: '', exit_code: null, status: 'in_progress' } }),
      j({
        type: 'item.updated',
        item: { id: 'item_0', type: 'command_execution', command: 'bash -lc nope', aggregated_output: 'partial', exit_code: null, status: 'in_progress' },
      }),
      j({
        type: 'item.completed',
        item: { id: 'item_0', type: 'command_execution', command: 'bash -lc nope', aggregated_output: 'nope: not found\n', exit_code: 127, status: 'failed' },
      }),
      j({ type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'rm -rf /', aggregated_output: '', exit_code: null, status: 'declined' } }),
      j({ type: 'item.started', item: { id: 'item_2', type: 'mcp_tool_call', server: 'fs', tool: 'read', arguments: { path: 'a' }, status: 'in_progress' } }),
      j({
        type: 'item.completed',
        item: {
          id: 'item_2',
          type: 'mcp_tool_call',
          server: 'fs',
          tool: 'read',
          arguments: { path: 'a' },
          result: { content: [{ type: 'text', text: 'hello' }], structured_content: null },
          status: 'completed',
        },
      }),
      j({ type: 'item.completed', item: { id: 'item_3', type: 'mcp_tool_call', server: 'fs', tool: 'write', arguments: {}, error: { message: 'denied' }, status: 'failed' } }),
      j({ type: 'item.completed', item: { id: 'item_4', type: 'error', message: 'Falling back from WebSockets to HTTPS transport.' } }),
      j({ type: 'item.completed', item: { id: 'item_5', type: 'file_change', changes: [{ path: 'b.txt', kind: 'add' }], status: 'failed' } }),
      j({ type: 'item.completed', item: { id: 'item_6', type: 'some_future_item', foo: 1 } }),
      j({ type: 'turn.completed', usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 2 } }),
    ];
    const { messages, outcome } = feed(createCodexParser(), lines, exit(0), NOW);
    const uses = only(messages, 'tool_use');
    const results = only(messages, 'tool_result');
    assert.deepEqual(
      uses.map((u) => u.name),
      ['exec_command', 'exec_command', 'mcp__fs__read', 'mcp__fs__write', 'apply_patch'],
    );
    assert.deepEqual(
      results.map((r) => [r.toolUseId, r.isError]),
      [
        ['item_0', true],
        ['item_1', true],
        ['item_2', false],
        ['item_3', true],
        ['item_5', true],
      ],
    );
    assert.equal(results[0].content, 'nope: not found\n');
    assert.equal(results[1].content, 'command declined');
    assert.equal(results[2].content, 'hello');
    assert.equal(results[3].content, 'denied');
    assert.deepEqual(only(messages, 'error'), [{ kind: 'error', message: 'Falling back from WebSockets to HTTPS transport.' }]);
    assert.equal(outcome.kind, 'success');
    assert.deepEqual(outcome.usage, { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('turn.completed but a non-zero exit is a failure', () => {
    const { outcome } = feed(createCodexParser(), fixtureLines('codex-exec-json.real.jsonl'), exit(1, 'ERROR codex_core: something went wrong at shutdown'), NOW);
    assert.equal(outcome.kind, 'failed');
    assert.equal(outcome.reason, 'exited with code 1: ERROR codex_core: something went wrong at shutdown');
  });

  it('stderr-only failure (bad resume id)', () => {
    const p = createCodexParser();
    const msg = 'Error: thread/resume: thread/resume failed: no rollout found for thread id 123 (code -32600)';
    assert.equal(p.stderrLine(msg).length, 1);
    assert.deepEqual(p.stderrLine('2026-11-21T12:00:00.000Z INFO codex_core: started'), []);
    const o = p.finish(exit(1, `${msg}\n`), NOW);
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, `exited with code 1: ${msg}`);
  });

  it('exit 0 without turn.completed is not a success', () => {
    const o = feed(createCodexParser(), start, exit(0), NOW).outcome;
    assert.equal(o.ok, false);
    assert.equal(o.reason, 'Codex ended without finishing its turn');
    assert.equal(o.sessionId, 't-1');
  });
});

describe('parsers: Gemini CLI stream-json', () => {
  it('maps the real read → replace → shell transcript and succeeds', () => {
    const { messages, outcome } = feed(createGeminiParser(), fixtureLines('gemini-stream-json.real.jsonl'), exit(0), NOW);
    assert.deepEqual(kinds(messages), ['init', 'text', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'text', 'result']);
    assert.deepEqual(messages[0], { kind: 'init', sessionId: 'e6dfb0f4-1f13-4904-b97d-7b0a23a49e3a', model: 'gemini-2.5-pro' });
    assert.deepEqual(messages[2], { kind: 'tool_use', id: 'read_file__read_file_1795265881786_0', name: 'read_file', input: { file_path: 'a.txt' } });
    assert.deepEqual(messages[5], { kind: 'tool_result', toolUseId: 'replace__replace_1795265881880_0', content: '', isError: false });
    assert.deepEqual(messages[7], { kind: 'tool_result', toolUseId: 'run_shell_command__run_shell_command_1795265881914_0', content: 'hello world', isError: false });
    const result = only(messages, 'result')[0];
    assert.equal(result.ok, true);
    assert.equal(result.text, 'Done: a.txt now says "hello world".');
    assert.equal(result.durationMs, 242);
    const usage = { inputTokens: 6600, outputTokens: 86, cacheReadTokens: 0, cacheWriteTokens: 0 };
    assert.deepEqual(result.usage, usage);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.ok, true);
    assert.equal(outcome.text, 'Done: a.txt now says "hello world".');
    assert.equal(outcome.sessionId, 'e6dfb0f4-1f13-4904-b97d-7b0a23a49e3a');
    assert.deepEqual(outcome.usage, usage);
  });

  it('reads the tool-error transcript: a failed tool does not fail the run', () => {
    const { messages, outcome } = feed(createGeminiParser(), fixtureLines('gemini-tool-error.real.jsonl'), exit(0), NOW);
    const failed = only(messages, 'tool_result').filter((r) => r.isError);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].toolUseId, 'replace__replace_1795266135895_0');
    assert.match(failed[0].content, /^Error: Could not find an exact match/);
    assert.match(failed[0].content, /please use ReadFile to inspect/);
    assert.equal(outcome.kind, 'success');
  });

  it('reads the daily-quota transcript (exit 173): retry at next midnight Pacific', () => {
    const { messages, outcome } = feed(
      createGeminiParser(),
      fixtureLines('gemini-daily-quota.real.jsonl'),
      exit(173, 'TerminalQuotaError: You have exhausted your daily quota on this model.\n    at foo (bundle.js:1:1)'),
      NOW,
    );
    const result = only(messages, 'result')[0];
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, 'rate_limited');
    assert.match(result.error!, /exhausted your daily quota/);
    assert.equal(outcome.kind, 'rate_limited');
    // 2026-11-21 13:00 UTC = 05:00 PST → next midnight PST = 2026-11-22 08:00 UTC
    assert.equal(outcome.retryAt, Date.UTC(2026, 10, 22, 8, 0));
    assert.equal(outcome.reason, 'Gemini daily quota exhausted; resets at Nov 22 08:00 UTC');
  });

  it('stderr-only: exit 41 no auth', () => {
    const p = createGeminiParser();
    const line =
      'Please set an Auth method in your /home/u/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA';
    assert.deepEqual(p.stderrLine(line), []);
    const o = p.finish(exit(41, line + '\n'), NOW);
    assert.equal(o.kind, 'auth');
    assert.equal(o.reason, `Gemini CLI could not authenticate (exit 41): ${line}`);
  });

  it('stderr-only: exit 41 even with no stderr at all', () => {
    const o = createGeminiParser().finish(exit(41), NOW);
    assert.equal(o.kind, 'auth');
    assert.match(o.reason!, /could not authenticate \(exit 41\)/);
  });

  it('stderr-only: exit 55 untrusted folder', () => {
    const line =
      'Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode.';
    const o = createGeminiParser().finish(exit(55, line), NOW);
    assert.equal(o.kind, 'failed');
    assert.match(o.reason!, /^Gemini CLI does not trust this folder .*\(exit 55\)/);
  });

  it('stderr-only: exit 42 bad resume, exit 53 turn limit', () => {
    const o = createGeminiParser().finish(exit(42, 'Error resuming session: Invalid session identifier "zzz".'), NOW);
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, 'Gemini CLI rejected its input (exit 42): Error resuming session: Invalid session identifier "zzz".');
    assert.equal(createGeminiParser().finish(exit(53), NOW).kind, 'max_turns');
  });

  it('per-minute 429 after retries (exit 173): retry after the suggested delay; retries are typed retry messages', () => {
    const p = createGeminiParser();
    const retries = p.stderrLine('Attempt 1 failed: Resource has been exhausted (e.g. check quota). Suggested retry after 2s.. Retrying after 5009ms...');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].kind, 'retry');
    assert.equal((retries[0] as Extract<AgentMessage, { kind: 'retry' }>).delayMs, 5009);
    assert.equal((retries[0] as Extract<AgentMessage, { kind: 'retry' }>).cause, 'rate_limit');
    const o = p.finish(exit(173, ''), NOW);
    assert.equal(o.kind, 'rate_limited');
    assert.equal(o.retryAt, NOW + 2000);
    assert.equal(o.reason, 'Rate limited by the Gemini API (HTTP 429); resets at 13:00 UTC');
  });

  it('error events: warnings are notices, errors are errors', () => {
    const lines = [
      j({ type: 'init', timestamp: 't', session_id: 's', model: 'm' }),
      j({ type: 'error', timestamp: 't', severity: 'warning', message: 'Loop detected' }),
      j({ type: 'error', timestamp: 't', severity: 'error', message: 'Maximum session turns exceeded' }),
      j({ type: 'result', timestamp: 't', status: 'error', stats: { input_tokens: 5, output_tokens: 1, cached: 2, input: 3 } }),
    ];
    const { messages, outcome } = feed(createGeminiParser(), lines, exit(53), NOW);
    assert.deepEqual(kinds(messages), ['init', 'notice', 'error', 'result']);
    assert.equal(outcome.kind, 'max_turns');
    assert.deepEqual(outcome.usage, { inputTokens: 3, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 0 });
  });

  it('the final text is the assistant text after the last tool result', () => {
    const lines = [
      j({ type: 'message', timestamp: 't', role: 'assistant', content: 'Let me look. ', delta: true }),
      j({ type: 'tool_use', timestamp: 't', tool_name: 'glob', tool_id: 'g1', parameters: {} }),
      j({ type: 'tool_result', timestamp: 't', tool_id: 'g1', status: 'success', output: 'x' }),
      j({ type: 'message', timestamp: 't', role: 'assistant', content: 'All ', delta: true }),
      j({ type: 'message', timestamp: 't', role: 'assistant', content: 'done.', delta: true }),
      j({ type: 'result', timestamp: 't', status: 'success', stats: {} }),
    ];
    const { outcome } = feed(createGeminiParser(), lines, exit(0), NOW);
    assert.equal(outcome.text, 'All done.');
  });

  it('result success but killed by a signal is a failure', () => {
    const o = feed(createGeminiParser(), fixtureLines('gemini-stream-json.real.jsonl'), exit(null, '', 'SIGKILL'), NOW).outcome;
    assert.equal(o.ok, false);
    assert.equal(o.reason, 'killed by signal SIGKILL');
  });
});

describe('parsers: any command', () => {
  it('plain text lines become text messages; exit 0 is success', () => {
    const { messages, outcome } = feed(createCommandParser(), ['building…', '', '\u001b[32mall 12 tests passed\u001b[0m'], exit(0), NOW);
    assert.deepEqual(messages, [
      { kind: 'text', text: 'building…\n' },
      { kind: 'text', text: '\n' },
      { kind: 'text', text: 'all 12 tests passed\n' },
    ]);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.text, 'all 12 tests passed');
  });

  it('a progress bar redrawn with \\r keeps its last drawing', () => {
    const { messages } = feed(createCommandParser(), ['10%\r50%\r100%'], exit(0), NOW);
    assert.deepEqual(messages, [{ kind: 'text', text: '100%\n' }]);
  });

  it('non-zero exit: reason from stderr, else from the last stdout line', () => {
    const p = createCommandParser();
    p.line('step 1');
    assert.deepEqual(p.stderrLine('fatal: not a git repository'), [{ kind: 'notice', message: 'fatal: not a git repository', level: 'info' }]);
    assert.equal(p.finish(exit(128, 'fatal: not a git repository\n'), NOW).reason, 'exited with code 128: fatal: not a git repository');
    const q = createCommandParser();
    q.line('FAILED: 3 tests');
    const o = q.finish(exit(2), NOW);
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, 'exited with code 2: FAILED: 3 tests');
    assert.equal(createCommandParser().finish(exit(null, '', 'SIGKILL'), NOW).reason, 'killed by signal SIGKILL');
    assert.equal(createCommandParser().finish(exit(3), NOW).reason, 'exited with code 3');
  });

  it('JSON that is in no agent format is just text', () => {
    const { messages, outcome } = feed(createCommandParser(), ['{"level":"info","msg":"hi"}', '[1,2]'], exit(0), NOW);
    assert.deepEqual(kinds(messages), ['text', 'text']);
    assert.equal(outcome.kind, 'success');
  });

  for (const [file, fmt] of [
    ['claude-stream-json.real.jsonl', 'claude'],
    ['claude-max-turns.real.jsonl', 'claude'],
    ['claude-usage-limit-oauth.real.jsonl', 'claude'],
    ['codex-exec-json.real.jsonl', 'codex'],
    ['codex-429-ratelimit.real.jsonl', 'codex'],
    ['gemini-stream-json.real.jsonl', 'gemini'],
    ['gemini-daily-quota.real.jsonl', 'gemini'],
  ] as const) {
    it(`detects the ${fmt} format in ${file} and parses it like the ${fmt} parser`, () => {
      const lines = fixtureLines(file);
      const code = file.includes('stream-json') || file.includes('exec-json') ? 0 : 1;
      const direct = fmt === 'claude' ? createClaudeParser() : fmt === 'codex' ? createCodexParser() : createGeminiParser();
      const expected = feed(direct, lines, exit(code), NOW);
      const cmd = createCommandParser();
      const got = feed(cmd, ['starting the agent…', ...lines], exit(code), NOW);
      assert.equal(cmd.format(), fmt);
      assert.deepEqual(got.messages, [{ kind: 'text', text: 'starting the agent…\n' }, ...expected.messages]);
      assert.deepEqual(got.outcome, expected.outcome);
    });
  }

  it('a detected format without a final verdict: exit 0 is success', () => {
    const lines = [j({ type: 'thread.started', thread_id: 't-9' }), j({ type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: 'hi' } })];
    const { outcome } = feed(createCommandParser(), lines, exit(0), NOW);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.sessionId, 't-9');
    assert.equal(outcome.text, 'hi');
  });

  it('after detection, JSON of another format is text', () => {
    const lines = [j({ type: 'thread.started', thread_id: 't' }), j({ type: 'init', timestamp: 'x', session_id: 's', model: 'm' })];
    const { messages } = feed(createCommandParser(), lines, exit(0), NOW);
    assert.deepEqual(kinds(messages), ['init', 'text']);
  });
});

describe('parsers: createParser', () => {
  it('sim speaks Claude stream-json', () => {
    const { outcome } = feed(createParser('sim'), fixtureLines('claude-stream-json.real.jsonl'), exit(0), NOW);
    assert.equal(outcome.kind, 'success');
  });
  it('each runtime gets its parser', () => {
    assert.equal(feed(createParser('claude'), fixtureLines('claude-max-turns.real.jsonl'), exit(1), NOW).outcome.kind, 'max_turns');
    assert.equal(feed(createParser('codex'), fixtureLines('codex-exec-json.real.jsonl'), exit(0), NOW).outcome.kind, 'success');
    assert.equal(feed(createParser('gemini'), fixtureLines('gemini-daily-quota.real.jsonl'), exit(173), NOW).outcome.kind, 'rate_limited');
    assert.deepEqual(feed(createParser('command'), ['hello'], exit(0), NOW).messages, [{ kind: 'text', text: 'hello\n' }]);
  });
  it('passes previousUsage to codex', () => {
    const previousUsage = { inputTokens: 4000, outputTokens: 100, cacheReadTokens: 8000, cacheWriteTokens: 0 };
    const o = feed(createParser('codex', { previousUsage }), fixtureLines('codex-exec-json.real.jsonl'), exit(0), NOW).outcome;
    assert.equal(o.usage!.inputTokens, 408);
  });
});
