// The simulated agent's steady stream: exactly rate × seconds messages, a real session's mix, every
// tool call followed by its result, and the built program prints them as Claude Code stream-json.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { streamBlocks, streamPlan } from '../../src/core/agents/sim/simStream';
import { createParser } from '../../src/core/agents/parsers';
import type { AgentMessage } from '../../src/core/model/agentMessage';
import { gitRepoDir, REPO_ROOT, SIM_AGENT } from '../fixtures/repo';

/** dist/sim-agent.js, rebuilt when any source of the simulated agent is newer. */
function buildSim(): void {
  const dir = path.join(REPO_ROOT, 'src', 'core', 'agents', 'sim');
  const newest = Math.max(...fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
  if (fs.existsSync(SIM_AGENT) && fs.statSync(SIM_AGENT).mtimeMs >= newest) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({ entryPoints: [path.join(dir, 'simAgent.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: SIM_AGENT, logLevel: 'warning' });
}

describe('simulated agent: steady stream', () => {
  it('plans rate × seconds messages from the environment, with defaults for missing or bad values', () => {
    assert.deepEqual(streamPlan({ HUSKIES_SIM_RATE: '200', HUSKIES_SIM_SECONDS: '3' }), { rate: 200, seconds: 3, total: 600 });
    assert.deepEqual(streamPlan({ HUSKIES_SIM_RATE: 'x', HUSKIES_SIM_SECONDS: '-1' }), { rate: 200, seconds: 10, total: 2000 });
  });

  it('yields exactly the asked number of messages, every tool call followed by its result', () => {
    for (const total of [1, 2, 3, 7, 1000]) {
      const blocks = [...streamBlocks(total)];
      assert.equal(blocks.length, total, `total ${total}`);
      blocks.forEach((b, i) => {
        if (b.role === 'assistant' && b.block.type === 'tool_use') {
          const next = blocks[i + 1];
          assert.ok(next?.role === 'user' && next.toolUseId === b.block.id, `tool call ${i} of ${total} has its result next`);
        }
      });
    }
  });

  it('mixes texts, thinking, tool calls and results of varied size', () => {
    const blocks = [...streamBlocks(2000)];
    const kinds = new Map<string, number>();
    const resultSizes: number[] = [];
    for (const b of blocks) {
      const k = b.role === 'user' ? 'tool_result' : String(b.block.type);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      if (b.role === 'user') resultSizes.push(b.content.length);
    }
    for (const k of ['text', 'thinking', 'tool_use', 'tool_result']) assert.ok((kinds.get(k) ?? 0) > 100, `${k}: ${kinds.get(k)}`);
    assert.equal(kinds.get('tool_use'), kinds.get('tool_result'));
    assert.ok(Math.min(...resultSizes) < 200 && Math.max(...resultSizes) > 20_000, `result sizes ${Math.min(...resultSizes)}..${Math.max(...resultSizes)}`);
    assert.deepEqual(
      [...streamBlocks(50)].map((b) => (b.role === 'user' ? b.content.length : JSON.stringify(b.block).length)),
      [...streamBlocks(50)].map((b) => (b.role === 'user' ? b.content.length : JSON.stringify(b.block).length)),
      'the same stream every time',
    );
  });

  it('the built program prints the planned stream as Claude Code stream-json, then ends successfully', () => {
    buildSim();
    const dir = gitRepoDir('huskies-simstream-');
    try {
      const out = execFileSync(process.execPath, [SIM_AGENT, '-p', '--verbose', '--output-format', 'stream-json', 'work'], {
        cwd: dir,
        env: { ...process.env, HUSKIES_SIM: 'stream', HUSKIES_SIM_RATE: '400', HUSKIES_SIM_SECONDS: '0.5', HUSKIES_SIM_DELAY_MS: '0' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const parser = createParser('claude');
      const msgs: AgentMessage[] = out
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => parser.line(l));
      const expected = [...streamBlocks(200)];
      // Before the stream: init; after it: the usual success path (thinking, texts, a file, a commit, the result).
      const stream = msgs.slice(1, 1 + expected.length);
      assert.equal(msgs[0].kind, 'init');
      assert.deepEqual(
        stream.map((m) => m.kind),
        expected.map((b) => (b.role === 'user' ? 'tool_result' : b.block.type)),
      );
      const last = msgs[msgs.length - 1];
      assert.ok(last.kind === 'result' && last.ok, JSON.stringify(last));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
