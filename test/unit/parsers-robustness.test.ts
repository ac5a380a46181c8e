import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createParser, type ParserRuntime } from '../../src/core/agents/parsers';
import type { AgentMessage } from '../../src/core/model/agentMessage';
import { maskMessage } from '../../src/core/agents/mask';
import { exit, FIXTURES, fixtureLines } from './parsers-helpers';
import { mulberry32 } from '../../src/core/util/prng';

const NOW = Date.UTC(2026, 10, 21, 13, 0, 0);
const RUNTIMES: ParserRuntime[] = ['claude', 'codex', 'gemini', 'command', 'sim'];

const GARBAGE = [
  '',
  '   ',
  'not json at all',
  '{',
  '{"type":',
  '[]',
  '[{"type":"result"}]',
  '42',
  'null',
  '"a string"',
  '{}',
  '{"type":null}',
  '{"type":42}',
  '{"type":"unknown_event","session_id":"s","timestamp":"t"}',
  '{"type":"system","session_id":"s"}',
  '{"type":"system","subtype":"hook_started","session_id":"s"}',
  '{"type":"system","subtype":"init","session_id":5,"tools":"nope"}',
  '{"type":"system","subtype":"api_retry","session_id":"s","retry_delay_ms":"x"}',
  '{"type":"assistant","session_id":"s","message":"x"}',
  '{"type":"assistant","session_id":"s","message":{"content":[null,1,"x",{"type":"tool_use"}]}}',
  '{"type":"user","session_id":"s","message":{"content":"a prompt"}}',
  '{"type":"user","session_id":"s","message":{"content":[{"type":"tool_result","content":{"weird":true}}]}}',
  '{"type":"rate_limit_event","session_id":"s"}',
  '{"type":"rate_limit_event","session_id":"s","rate_limit_info":{"status":"bogus"}}',
  '{"type":"stream_event","session_id":"s","event":null}',
  '{"type":"item.completed"}',
  '{"type":"item.completed","item":null}',
  '{"type":"item.started","item":{"type":"command_execution"}}',
  '{"type":"item.completed","item":{"type":"mcp_tool_call","result":{"content":"x"}}}',
  '{"type":"turn.completed","usage":"lots"}',
  '{"type":"thread.started"}',
  '{"type":"message","timestamp":"t","role":"assistant","content":{"x":1}}',
  '{"type":"tool_use","timestamp":"t"}',
  '{"type":"tool_result","timestamp":"t","error":"str"}',
  '{"type":"init","timestamp":"t","session_id":null}',
  '{"type":"__proto__","timestamp":"t"}',
  '{"__proto__":{"type":"result"}}',
  '\u0000\u0001\u0002',
  '{"type":"result"' + ' '.repeat(10_000) + '}',
];

function nonThrowing(runtime: ParserRuntime, lines: string[]): AgentMessage[] {
  const p = createParser(runtime);
  const out: AgentMessage[] = [];
  for (const l of lines) {
    const r = p.line(l);
    assert.ok(Array.isArray(r));
    out.push(...r);
    assert.ok(Array.isArray(p.stderrLine(l)));
  }
  // What comes out must survive everything downstream: masking, JSON for the transcript, dates.
  for (const m of out) {
    const json = JSON.stringify(maskMessage(m, ['secret-value']));
    assert.ok(json.length > 0);
    if (m.kind === 'rate_limit' && m.resetsAt !== undefined) new Date(m.resetsAt).toISOString();
  }
  for (const status of [exit(0), exit(1, 'x'), exit(null, '', 'SIGKILL'), exit(173, '\n\n'), exit(41)]) {
    const o = p.finish(status, NOW);
    assert.equal(typeof o.ok, 'boolean');
    assert.equal(typeof o.kind, 'string');
    if (!o.ok) assert.ok(o.reason && o.reason.length > 0, `${runtime}: a failure needs a reason`);
  }
  return out;
}

const rng = mulberry32;

function mutate(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => mutate(v, rand));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = rand();
      if (r < 0.05) continue; // drop the field
      if (r < 0.1) out[k] = null;
      else if (r < 0.13) out[k] = 'x';
      else if (r < 0.16) out[k] = 7;
      else if (r < 0.18) out[k] = [];
      else out[k] = mutate(v, rand);
    }
    return out;
  }
  return value;
}

describe('parsers: robustness', () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime}: unknown / unparsable lines yield nothing useful and never throw`, () => {
      const msgs = nonThrowing(runtime, GARBAGE);
      if (runtime !== 'command' && runtime !== 'codex') {
        // nothing that pretends to be a success comes out of garbage
        // (for codex a bare {"type":"turn.completed"} is a real verdict, so it is left out)
        assert.ok(!msgs.some((m) => m.kind === 'result' && m.ok));
      }
    });

    it(`${runtime}: a fresh parser with no output at all gives a failure with a reason for non-zero exits`, () => {
      const o = createParser(runtime).finish(exit(1), NOW);
      assert.equal(o.ok, false);
      assert.match(o.reason!, /exit|code 1|failed|without/);
    });

    it(`${runtime}: mutated real transcripts never make it throw`, () => {
      const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl'));
      const rand = rng(1234 + runtime.length);
      for (let round = 0; round < 20; round++) {
        for (const f of files) {
          const lines = fixtureLines(f).map((l) => {
            const r = rand();
            if (r < 0.1) return l.slice(0, Math.floor(rand() * l.length)); // cut line
            return JSON.stringify(mutate(JSON.parse(l), rand));
          });
          nonThrowing(runtime, lines);
        }
      }
    });
  }

  it('every fixture transcript parses without a throw in every parser', () => {
    for (const f of fs.readdirSync(FIXTURES).filter((x) => x.endsWith('.jsonl'))) {
      for (const runtime of RUNTIMES) nonThrowing(runtime, fixtureLines(f));
    }
  });

  it('stderr floods are capped', () => {
    const p = createParser('claude');
    let notices = 0;
    for (let i = 0; i < 1000; i++) notices += p.stderrLine(`warning ${i}`).length;
    assert.ok(notices <= 50);
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: tool inputs and results nested 6,000 levels deep, and deeper lines, neither throw nor leave a message JSON cannot write`, () => {
      const msgs = nonThrowing(runtime, deepLines(6000));
      if (runtime !== 'command')
        assert.ok(
          msgs.some((m) => m.kind === 'tool_use'),
          'the deep tool calls are kept, cut to a sane depth',
        );
      nonThrowing(runtime, [deepObject(200_000), '['.repeat(200_000) + ']'.repeat(200_000), '{"type":"assistant","x":' + '['.repeat(100_000)]);
    });

    it(`${runtime}: random lines (bytes, JSON of every shape, known types with random fields) never make it throw`, () => {
      const rand = rng(99 + runtime.length);
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) lines.push(randomLine(rand));
      nonThrowing(runtime, lines);
    });
  }
});

/** {"a":{"a":…1…}} as text, `depth` levels. */
function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Real line shapes of each program with a hostile, deeply nested payload where they carry one. */
function deepLines(depth: number): string[] {
  const deep = deepObject(depth);
  const deepArray = '['.repeat(depth) + ']'.repeat(depth);
  return [
    `{"type":"assistant","session_id":"s","message":{"content":[{"type":"tool_use","id":"t1","name":"Write","input":${deep}}]}}`,
    `{"type":"user","session_id":"s","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":${deep}}]}}`,
    `{"type":"rate_limit_event","session_id":"s","rate_limit_info":{"status":"rejected","resetsAt":1e300,"extra":${deep}}}`,
    `{"type":"result","subtype":"success","is_error":false,"session_id":"s","modelUsage":${deep},"usage":${deep}}`,
    `{"type":"item.started","item":{"id":"i1","type":"mcp_tool_call","server":"s","tool":"t","arguments":${deep}}}`,
    `{"type":"item.completed","item":{"id":"i1","type":"mcp_tool_call","server":"s","tool":"t","arguments":${deep},"result":{"content":[],"structured_content":${deep}},"status":"completed"}}`,
    `{"type":"item.completed","item":{"id":"i2","type":"file_change","changes":${deepArray},"status":"completed"}}`,
    `{"type":"item.completed","item":{"id":"i3","type":"todo_list","items":[${deep}]}}`,
    `{"type":"tool_use","timestamp":"t","tool_name":"write_file","tool_id":"g1","parameters":${deep}}`,
    `{"type":"tool_result","timestamp":"t","tool_id":"g1","status":"error","output":"x","error":${deep}}`,
  ];
}

const TYPES = [
  'system',
  'assistant',
  'user',
  'result',
  'rate_limit_event',
  'thread.started',
  'turn.completed',
  'turn.failed',
  'item.started',
  'item.completed',
  'error',
  'init',
  'message',
  'tool_use',
  'tool_result',
];
const KEYS = [
  'type',
  'subtype',
  'session_id',
  'timestamp',
  'message',
  'content',
  'item',
  'input',
  'parameters',
  'status',
  'resetsAt',
  'retry_delay_ms',
  'error',
  'usage',
  'rate_limit_info',
  'api_error_status',
  'tool_id',
  'id',
  'text',
  'is_error',
];

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 6 || r < 0.3) {
    const scalars: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1e300,
      -1e300,
      5e-324,
      2 ** 53 + 1,
      '',
      'x',
      '\u0000',
      '\ud800',
      '2026-13-45T99:99',
      'NaN',
      TYPES[Math.floor(rand() * TYPES.length)],
    ];
    return scalars[Math.floor(rand() * scalars.length)];
  }
  if (r < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 6); i > 0; i--) o[KEYS[Math.floor(rand() * KEYS.length)]] = randomValue(rand, depth + 1);
  return o;
}

function randomLine(rand: () => number): string {
  const r = rand();
  if (r < 0.2) return Array.from({ length: Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 0x10000))).join('');
  const v = randomValue(rand, 0);
  const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  if (r < 0.9) o.type = TYPES[Math.floor(rand() * TYPES.length)];
  if (rand() < 0.5) o.session_id = 's';
  if (rand() < 0.5) o.timestamp = 't';
  const line = JSON.stringify(o);
  return rand() < 0.1 ? line.slice(0, Math.floor(rand() * line.length)) : line;
}

describe('parsers: robustness with big lines', () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime}: a line of several megabytes is read, and the parser keeps going`, () => {
      const big = 'x'.repeat(4 * 1024 * 1024);
      nonThrowing(runtime, [
        JSON.stringify({ type: 'assistant', session_id: 's', message: { content: [{ type: 'text', text: big }] } }),
        JSON.stringify({ type: 'message', timestamp: 't', role: 'assistant', content: big, delta: true }),
        JSON.stringify({ type: 'item.completed', item: { id: 'i', type: 'agent_message', text: big } }),
        big,
      ]);
    });
  }
});
