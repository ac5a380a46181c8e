import * as assert from 'node:assert/strict';
import { exitReason, formatDelay, formatResetTime, lastMeaningfulLine, parseJsonObject, stripAnsi, subtractUsage, truncateForLive } from '../../src/core/agents/parsers/common';
import type { AgentMessage } from '../../src/core/model/agentMessage';

describe('parsers: common helpers', () => {
  it('parseJsonObject only accepts objects', () => {
    assert.deepEqual(parseJsonObject(' {"a":1} '), { a: 1 });
    assert.equal(parseJsonObject('[1]'), undefined);
    assert.equal(parseJsonObject('1'), undefined);
    assert.equal(parseJsonObject('{oops'), undefined);
    assert.equal(parseJsonObject(''), undefined);
  });

  it('truncateForLive cuts big tool results, keeps the original whole', () => {
    const big = 'é'.repeat(40_000); // 80 000 bytes
    const msg: AgentMessage = { kind: 'tool_result', toolUseId: 't', content: big, isError: false };
    const cut = truncateForLive(msg, 64 * 1024);
    assert.equal(cut.kind, 'tool_result');
    if (cut.kind !== 'tool_result') return;
    assert.equal(cut.truncated, true);
    assert.ok(Buffer.byteLength(cut.content, 'utf8') <= 64 * 1024);
    assert.ok(!cut.content.includes('\uFFFD'), 'no character split');
    assert.equal(cut.content.length, 32 * 1024);
    assert.equal((msg as { content: string }).content.length, 40_000);
    assert.equal((msg as { truncated?: boolean }).truncated, undefined);

    const small: AgentMessage = { kind: 'tool_result', toolUseId: 't', content: 'ok', isError: false };
    const same = truncateForLive(small, 10);
    assert.deepEqual(same, small);
    assert.notEqual(same, small);
    const text: AgentMessage = { kind: 'text', text: 'x'.repeat(100) };
    assert.deepEqual(truncateForLive(text, 10), text);
  });

  it('lastMeaningfulLine prefers error lines and skips stack frames and noise', () => {
    assert.equal(lastMeaningfulLine('TerminalQuotaError: quota\n    at foo (a.js:1:1)\n    at bar (b.js:2:2)\n'), 'TerminalQuotaError: quota');
    assert.equal(lastMeaningfulLine('Error: bad thing\nsome trailing info\n'), 'Error: bad thing');
    assert.equal(lastMeaningfulLine('just a line\n\n'), 'just a line');
    assert.equal(lastMeaningfulLine('\u001b[31mfatal: oops\u001b[0m'), 'fatal: oops');
    assert.equal(lastMeaningfulLine('{\n  }\n'), undefined);
    assert.equal(lastMeaningfulLine(''), undefined);
    assert.ok(lastMeaningfulLine('x'.repeat(1000))!.length <= 300);
  });

  it('exitReason', () => {
    assert.equal(exitReason({ code: 1, signal: null, stderrTail: '' }, 'boom'), 'exited with code 1: boom');
    assert.equal(exitReason({ code: null, signal: 'SIGKILL', stderrTail: '' }), 'killed by signal SIGKILL');
  });

  it('formatDelay / formatResetTime', () => {
    assert.equal(formatDelay(7000), '7 s');
    assert.equal(formatDelay(600), '0.6 s');
    assert.equal(formatDelay(36_900), '37 s');
    assert.equal(formatDelay(300_000), '5 min');
    const now = Date.UTC(2026, 10, 21, 13, 0);
    assert.equal(formatResetTime(Date.UTC(2026, 10, 21, 13, 55, 21), now), '13:55 UTC');
    assert.equal(formatResetTime(Date.UTC(2026, 10, 22, 8, 0), now), 'Nov 22 08:00 UTC');
    assert.equal(formatResetTime(Date.UTC(2027, 0, 2, 8, 0), now), 'Jan 2 2027 08:00 UTC');
  });

  it('subtractUsage', () => {
    const a = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4, cacheWriteTokens: 1 };
    assert.deepEqual(subtractUsage(a, { inputTokens: 4, outputTokens: 5, cacheReadTokens: 1, cacheWriteTokens: 0 }), {
      inputTokens: 6,
      outputTokens: 0,
      cacheReadTokens: 3,
      cacheWriteTokens: 1,
    });
    assert.deepEqual(subtractUsage(a, { inputTokens: 40, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }), a);
  });

  it('stripAnsi', () => {
    assert.equal(stripAnsi('\u001b[1;31mred\u001b[0m \u001b]0;title\u0007x'), 'red x');
  });
});
