// The terminal's one-line renderings: masked in every field before they are cut to length,
// and printable whatever a message holds (deep tool inputs, absurd times).
import * as assert from 'node:assert/strict';
import { formatMessage, isoTime } from '../../src/cli/format';
import { nestedObject } from './parsers-helpers';

const KEY = 'my-private-value-123';
const SECRETS = [KEY];

describe('redact: CLI lines', () => {
  it('formatMessage masks the given secrets in every field before cutting the line', () => {
    const long = `${'x'.repeat(150)} ${KEY}`;
    const lines = [
      formatMessage({ kind: 'init', sessionId: KEY, model: KEY }, SECRETS),
      formatMessage({ kind: 'text', text: long }, SECRETS),
      formatMessage({ kind: 'tool_use', id: 't', name: 'Bash', input: { command: `export X=${KEY}` } }, SECRETS),
      formatMessage({ kind: 'result', ok: false, error: KEY }, SECRETS),
    ];
    for (const l of lines) {
      assert.ok(l !== undefined);
      assert.ok(!l.includes(KEY) && !l.includes(KEY.slice(0, 8)), l);
    }
  });

  it('formatMessage masks the secrets of this process environment by default', () => {
    const saved = process.env.HUSKIES_TEST_API_KEY;
    process.env.HUSKIES_TEST_API_KEY = 'env-secret-value-42';
    try {
      assert.equal(formatMessage({ kind: 'error', message: 'bad env-secret-value-42' }), 'error: bad ***');
    } finally {
      if (saved === undefined) delete process.env.HUSKIES_TEST_API_KEY;
      else process.env.HUSKIES_TEST_API_KEY = saved;
    }
  });

  it('formatMessage prints a tool input nested 6,000 levels deep', () => {
    const line = formatMessage({ kind: 'tool_use', id: 't', name: 'Odd', input: nestedObject(6000, 1) }, SECRETS);
    assert.match(line!, /^→ Odd \{"a":/);
  });
});

describe('redact: CLI times', () => {
  it('a rate limit with any resetsAt prints instead of throwing "Invalid time value"', () => {
    for (const resetsAt of [1e300, -1, Number.NaN, Infinity, 8.64e15 + 1, '2026-11-21' as unknown as number]) {
      const line = formatMessage({ kind: 'rate_limit', status: 'rejected', resetsAt }, SECRETS);
      assert.match(line!, /^rate limit rejected, resets /);
    }
    assert.equal(
      formatMessage({ kind: 'rate_limit', status: 'rejected', resetsAt: Date.UTC(2026, 10, 21, 13, 55) }, SECRETS),
      'rate limit rejected, resets 2026-11-21T13:55:00.000Z',
    );
    assert.equal(isoTime(1e300), '(not a time: 1e+300)');
  });
});
