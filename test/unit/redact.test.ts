// Secret masking in JSON-like values and in every field of every agent message, including a
// tool input nested deeper than any recursive walk (or JSON.stringify) survives.
import * as assert from 'node:assert/strict';
import { Masker, maskDeep, redact } from '../../src/core/util/log';
import { maskMessage, maskOutcome } from '../../src/core/agents/mask';
import type { AgentMessage } from '../../src/core/model/agentMessage';
import { nestedObject } from './parsers-helpers';

const KEY = 'my-private-value-123';
const SECRETS = [KEY];

function deepestLeaf(v: unknown): unknown {
  let cur = v as Record<string, unknown>;
  while (cur && typeof cur === 'object' && 'a' in cur) cur = cur.a as Record<string, unknown>;
  return cur;
}

describe('redact: maskDeep', () => {
  it('masks strings in values, arrays, nested objects and keys, leaving other values alone', () => {
    const input = { cmd: `curl -H "x-api-key: ${KEY}"`, list: ['ok', `tok ${KEY}`, 3, null, true], deep: { deeper: { s: KEY } }, [KEY]: 'as a key', n: 42 };
    const out = maskDeep(input, SECRETS);
    assert.equal(JSON.stringify(out).includes(KEY), false, JSON.stringify(out));
    assert.deepEqual(out.list, ['ok', 'tok ***', 3, null, true]);
    assert.equal(out.deep.deeper.s, '***');
    assert.equal(out.n, 42);
    assert.equal((out as Record<string, unknown>)['***'], 'as a key');
    assert.equal(input.deep.deeper.s, KEY, 'the input is not changed');
  });

  it('masks a top-level string and passes scalars through', () => {
    assert.equal(maskDeep(`x ${KEY}`, SECRETS), 'x ***');
    assert.equal(maskDeep(7, SECRETS), 7);
    assert.equal(maskDeep(undefined, SECRETS), undefined);
  });

  it('a value nested 6,000 levels deep: JSON.stringify overflows the stack, maskDeep does not and masks the deepest leaf', () => {
    const input = nestedObject(6000, `leaf ${KEY}`);
    // The way transcripts were masked before (stringify, redact, parse) crashes on this value.
    assert.throws(() => JSON.stringify(input), RangeError);
    const out = maskDeep(input, SECRETS);
    assert.equal(deepestLeaf(out), 'leaf ***');
    assert.equal(deepestLeaf(input), `leaf ${KEY}`);
  });

  it('survives cycles and shared references, and keeps non-plain objects as they are', () => {
    const shared = { s: KEY };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    const out = maskDeep(cyclic, SECRETS);
    assert.equal((out.a as { s: string }).s, '***');
    assert.equal(out.self, out);
    const d = new Date(0);
    assert.equal(maskDeep({ d }, SECRETS).d, d);
  });

  it('keeps "__proto__" keys from parsed JSON as plain data', () => {
    const parsed = JSON.parse(`{"__proto__":{"polluted":"${KEY}"}}`) as Record<string, unknown>;
    const out = maskDeep(parsed, SECRETS);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":"***"}}');
  });

  it('masks the longer of two overlapping secrets whole', () => {
    assert.equal(redact('token abcdef123456-extra', ['abcdef123456', 'abcdef123456-extra']), 'token ***');
  });
});

describe('redact: Masker', () => {
  it('takes the secret-looking values of several environments and masks text and values', () => {
    const m = Masker.fromEnvs({ ANTHROPIC_API_KEY: 'sk-live-abcdefgh', HOME: '/home/someone' }, { MOCK_API_KEY: 'mock-key-999', GIT_AUTHOR_NAME: 'Ada Lovelace' });
    assert.deepEqual([...m.secrets].sort(), ['mock-key-999', 'sk-live-abcdefgh']);
    assert.equal(m.mask('a mock-key-999 and /home/someone by Ada Lovelace'), 'a *** and /home/someone by Ada Lovelace');
    assert.deepEqual(m.maskDeep({ k: ['sk-live-abcdefgh'] }), { k: ['***'] });
    m.add(['another-secret']);
    assert.equal(m.mask('another-secret'), '***');
  });
});

describe('redact: maskMessage', () => {
  const s = (x: string) => `${x} ${KEY}`;
  const all: AgentMessage[] = [
    { kind: 'init', sessionId: s('sess'), model: s('model'), cwd: s('/w'), tools: [s('Bash')] },
    { kind: 'text', text: s('text') },
    { kind: 'thinking', text: s('think') },
    { kind: 'tool_use', id: s('toolu'), name: s('Bash'), input: { command: s('echo'), env: [{ v: KEY }] } },
    { kind: 'tool_result', toolUseId: s('toolu'), content: s('out'), isError: false },
    { kind: 'error', message: s('err') },
    { kind: 'notice', message: s('note'), level: 'warning' },
    { kind: 'retry', message: s('retrying'), delayMs: 5, cause: 'network' },
    { kind: 'rate_limit', status: 'rejected', resetsAt: 1, limitType: s('five_hour'), message: s('limit') },
    { kind: 'result', ok: false, sessionId: s('sess'), text: s('text'), error: s('failed'), errorKind: 'auth' },
  ];

  it('masks every string field of every message kind and keeps the kind and enum fields', () => {
    for (const m of all) {
      const out = maskMessage(m, SECRETS);
      assert.equal(JSON.stringify(out).includes(KEY), false, JSON.stringify(out));
      assert.equal(out.kind, m.kind);
    }
    assert.equal((maskMessage(all[6], SECRETS) as Extract<AgentMessage, { kind: 'notice' }>).level, 'warning');
    assert.equal((maskMessage(all[9], SECRETS) as Extract<AgentMessage, { kind: 'result' }>).errorKind, 'auth');
  });

  it('masks a tool_use whose input is nested 6,000 levels deep without throwing', () => {
    const m: AgentMessage = { kind: 'tool_use', id: 't', name: 'Write', input: nestedObject(6000, KEY) };
    const out = maskMessage(m, SECRETS) as Extract<AgentMessage, { kind: 'tool_use' }>;
    assert.equal(deepestLeaf(out.input), '***');
  });
});

describe('redact: maskOutcome', () => {
  it("masks a run's reason, text and session id and keeps the rest", () => {
    const o = maskOutcome(
      {
        ok: false,
        kind: 'auth',
        reason: `Claude Code could not authenticate (HTTP 401): key ${KEY} refused`,
        text: KEY,
        sessionId: KEY,
        retryAt: 5,
        usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
      },
      SECRETS,
    );
    assert.deepEqual(o, {
      ok: false,
      kind: 'auth',
      reason: 'Claude Code could not authenticate (HTTP 401): key *** refused',
      text: '***',
      sessionId: '***',
      retryAt: 5,
      usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });
});
