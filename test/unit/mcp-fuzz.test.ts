// Fuzzing the MCP tools: for each tool, 1,000 calls with generated arguments (a fixed seed), most
// of them wrong. No call may throw; every refusal is an error result that says what is wrong;
// a refused call changes nothing (its only write is the empty record of the call).
import * as assert from 'node:assert/strict';
import { makeCore } from '../fixtures/core';
import { item, run } from '../fixtures/memoryState';
import { McpService } from '../../src/core/mcp/service';
import type { McpDeps } from '../../src/core/mcp/types';
import type { McpSession } from '../../src/core/mcp/tokens';
import { nullLogger } from '../../src/core/util/log';
import { mulberry32 } from '../../src/core/util/prng';

const prng = mulberry32;

const KEYS = [
  'index',
  'done',
  'story_id',
  'id',
  'name',
  'description',
  'criteria',
  'depends_on',
  'to',
  'question',
  'options',
  'message',
  'percent',
  'job',
  'at',
  'every',
  'cron',
  'timezone',
  'action',
  'prompt',
  'tool',
  'args',
  'when',
  'mode',
  'x',
  '__proto__',
  'constructor',
];

function value(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 16);
  switch (pick) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return Math.floor(r() * 6) - 1; // small ints around the valid range
    case 3:
      return (r() - 0.5) * 1e12;
    case 4:
      return [NaN, Infinity, -Infinity, -0, 0.5, Number.MAX_SAFE_INTEGER + 2][Math.floor(r() * 6)];
    case 5:
      return r() < 0.5;
    case 6:
      return '';
    case 7:
      return ['backlog', 'current', 'qa', 'merge', 'done', 'archived', 'QA', ' qa'][Math.floor(r() * 8)];
    case 8:
      return 'x'.repeat(Math.floor(r() * 3000));
    case 9:
      return '\u0000\u202e<script>\uD800' + String(r());
    case 10:
      return String(Math.floor(r() * 5));
    case 11:
    case 12:
      return depth > 2 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    case 13:
      return depth > 2 ? {} : args(r, depth + 1);
    case 14:
      return `tests-${Math.floor(r() * 1e6).toString(16)}`;
    default:
      return Math.floor(r() * 3) + 1;
  }
}

function args(r: () => number, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)], { value: value(r, depth), enumerable: true, configurable: true, writable: true });
  return o;
}

describe('MCP tools under generated arguments (fuzz)', function () {
  this.timeout(120_000);

  it('1,000 calls per tool: no throw, a clear error for bad input, nothing changed by a refused call', async () => {
    const core = makeCore({
      items: [
        item(1, 'current', {
          criteria: [
            { text: 'a', done: false },
            { text: 'b', done: false },
          ],
        }),
        item(2, 'backlog', { criteria: [{ text: 'c', done: false }] }),
      ],
      autoAssign: false,
    });
    const r1 = run(1, { status: 'running' });
    core.state.runMap.set(r1.runId, r1);
    const deps: McpDeps = {
      state: core.state,
      request: core.request,
      config: () => core.config,
      policyContext: core.ctx,
      now: () => core.clock.now(),
      logger: nullLogger,
      mask: (t) => t,
      logsDir: '/tmp/none/logs',
      gates: async () => ({ ok: true, results: [], summary: 'passed', outputTail: '' }),
    };
    const svc = new McpService(deps);
    const session: McpSession = { key: r1.runId, runId: r1.runId, storyId: 1, worktree: '/tmp/none' };
    const r = prng(20261121);
    let errors = 0;
    for (const name of [...svc.tools.keys(), 'no_such_tool']) {
      for (let i = 0; i < 1000; i++) {
        const a = r() < 0.1 ? value(r) : args(r);
        const applied = core.state.applied.length;
        const items = JSON.stringify(core.state.items());
        let res;
        try {
          res = await svc.call(session, name, a);
        } catch (err) {
          assert.fail(`${name}(${JSON.stringify(a)}) threw: ${(err as Error).stack}`);
        }
        assert.ok(Array.isArray(res.content) && res.content.length === 1, `${name}: one content block`);
        const text = res.content[0].text;
        assert.ok(typeof text === 'string' && text.length > 0 && text.length < 50_000, `${name}: a text`);
        if (res.isError) {
          errors++;
          assert.match(text, new RegExp(`^(${name}|there is no tool)`), `the error names the tool: ${text}`);
          assert.ok(!/\bat .*\.ts:\d+/.test(text), `no stack trace: ${text}`);
          // the one write of a refused call is the empty record of the call itself
          for (const ops of core.state.applied.slice(applied)) assert.deepEqual(ops, [], `${name}(${JSON.stringify(a)}) was refused but wrote ${JSON.stringify(ops)}`);
          assert.equal(JSON.stringify(core.state.items()), items, `${name}: a refused call changed a story`);
        }
        assert.ok(core.state.applied.length <= applied + 2, `${name}: at most the change and its record`);
      }
    }
    assert.ok(errors > 5000, `most generated calls are wrong (${errors} errors)`);
    // story 2 is never the caller's: whatever the fuzz sent, it is unchanged
    const two = core.state.item(2)!;
    assert.equal(two.stage, 'backlog');
    assert.equal(two.criteria[0].done, false);
    assert.equal(two.blocked, false);
    await svc.stop();
  });
});
