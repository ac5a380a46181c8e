// Benchmarks (npm run bench): prints numbers, asserts nothing.
//  1. Stream ingest: the full path (process pipe → line split → parse → transcript write → live
//     fan-out) against a bare JSON.parse line loop over the same bytes.
//  2. 30 simulated agents streaming at once through the orchestrator: event-loop lag p50/p99
//     and memory growth.
//  4. MCP round trips (bench/mcp.ts): 30 clients calling the orchestrator's MCP server at once.
//  3. Crash soak (bench/soak.ts): `huskies run` killed mid-work and started again, 30 times.
//  5. Loading 10,000 stories (bench/store.ts): cold scan, start, snapshot and auto-assign against a bare read + parse.
//  6. Steady stream (bench/stream.ts, --stream-only): N agents × R messages/s with a live subscriber and board builds:
//     event-loop lag, messages/s, RSS growth over a shortened soak, against a bare split + JSON.parse baseline.
//  7. The UI in a real VS Code (bench/ui.mjs, --ui-only): activation and .vsix size, a hand-moved story on the
//     board, clicks with 30 agents streaming, a record → its output row, a 100,000-message transcript opened.
//  8. The output panel, host side (bench/output.ts, --output-only): a 100,000-record transcript's first page and
//     older pages; 10 agents streaming into 10 output feeds and fake webviews: messages/s and write → applied latency.
//  9. The board replica (bench/board.ts, --board-only): on N stories, snapshot bytes without and with Archived, the
//     whole state sent before, one hand move's delta, and median ms per change of buildBoardState + diff.
// 11. A click with N supervised agents streaming (bench/click.ts, --click-only): Start and Stop on a story, call → answer,
//     during start-up and once all stream.
// 10. A story moved by hand (bench/handmove.ts, --handmove-only): rename → item.moved event → changed → board state,
//     p50/p95/max with 200 and 10,000 stories, and a burst of 50 moves.
// Usage: npm run bench [-- --mb 40] [-- --agents 30 --agent-mb 4] [-- --soak-only --soak-trials 5] [-- --merge-only] [-- --mcp-only --mcp-clients 30 --mcp-calls 200] [-- --store-only --stories 10000 --store-runs 5] [-- --stream-only --agents 30 --rate 200 --seconds 120 --supervised] [-- --ui-only --trials 10 --only p8,p3,click,p1,p6] [-- --output-only --output-agents 10 --output-rate 100 --output-seconds 10 --output-records 100000] [-- --board-only --stories 10000 --board-changes 20] [-- --handmove-only --handmove-moves 40 --handmove-sizes 200,10000]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AgentProcess } from '../src/core/agents/agentProcess';
import { createParser } from '../src/core/agents/parsers';
import { TranscriptWriter } from '../src/core/agents/transcript';
import { LiveHub } from '../src/core/agents/liveHub';
import { Huskies as Orchestrator } from '../src/core/api';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor } from '../test/fixtures/repo';
import { boardBench } from './board';
import { soakBench } from './soak';
import { mergeBench } from './merge';
import { mcpBench } from './mcp';
import { storeBench } from './store';
import { handmoveBench } from './handmove';
import { streamBench } from './stream';
import { clickBench } from './click';
import { outputBench } from './output';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

/** A realistic Claude stream: the real transcript's lines with text and tool results of varied size. */
function makeCorpus(file: string, targetBytes: number): number {
  const real = fs
    .readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'transcripts', 'claude-stream-json.real.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const body = real.filter((l) => !l.includes('"type":"result"'));
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let i = 0;
  const filler = 'lorem ipsum dolor sit amet '.repeat(40);
  while (bytes < targetBytes) {
    const kind = i % 5;
    let line: string;
    if (kind === 3)
      line = JSON.stringify({
        type: 'assistant',
        message: {
          id: `m${i}`,
          type: 'message',
          role: 'assistant',
          model: 'x',
          content: [{ type: 'text', text: filler.slice(0, 200 + (i % 900)) }],
          stop_reason: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
        parent_tool_use_id: null,
        session_id: 's',
        uuid: `u${i}`,
      });
    else if (kind === 4)
      line = JSON.stringify({
        type: 'user',
        message: { role: 'user', content: [{ tool_use_id: `t${i}`, type: 'tool_result', content: filler.repeat(1 + (i % 8)) }] },
        parent_tool_use_id: null,
        session_id: 's',
        uuid: `u${i}`,
      });
    else line = body[i % body.length];
    fs.writeSync(fd, line + '\n');
    bytes += line.length + 1;
    i++;
  }
  const result = real.find((l) => l.includes('"type":"result"'))!;
  fs.writeSync(fd, result + '\n');
  fs.closeSync(fd);
  return bytes;
}

async function bareParse(file: string): Promise<number> {
  const t = process.hrtime.bigint();
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 }), crlfDelay: Infinity });
  for await (const line of rl) if (line) JSON.parse(line);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function fullPath(file: string, dir: string): Promise<{ ms: number; records: number; delivered: number }> {
  const hub = new LiveHub(100);
  let delivered = 0;
  hub.subscribe('*', (b) => (delivered += b.records.length));
  const writer = new TranscriptWriter(path.join(dir, `t-${Date.now()}-${Math.random()}.jsonl`));
  const t = process.hrtime.bigint();
  const proc = new AgentProcess({ program: 'cat', args: [file], cwd: dir, env: process.env, label: 'cat', missingHint: '' }, createParser('claude'), (msgs) =>
    hub.publish('r', writer.append(msgs, Date.now())),
  );
  proc.start();
  await proc.done;
  hub.flush();
  writer.close();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  hub.dispose();
  return { ms, records: writer.lastSeq, delivered };
}

async function ingestBench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-bench-'));
  try {
    const file = path.join(dir, 'stream.jsonl');
    const bytes = makeCorpus(file, arg('mb', 40) * 1024 * 1024);
    const bare: number[] = [];
    const full: number[] = [];
    let last = { records: 0, delivered: 0 };
    for (let i = 0; i < 5; i++) {
      bare.push(await bareParse(file));
      const f = await fullPath(file, dir);
      full.push(f.ms);
      last = f;
    }
    const bm = median(bare);
    const fm = median(full);
    console.log(`\n# Stream ingest (${mb(bytes)} MB of Claude stream-json, 5 runs, medians)`);
    console.log(`bare JSON.parse line loop : ${bm.toFixed(0)} ms  (${(bytes / 1024 / 1024 / (bm / 1000)).toFixed(0)} MB/s)`);
    console.log(`full path (pipe+parse+transcript+fan-out): ${fm.toFixed(0)} ms  (${(bytes / 1024 / 1024 / (fm / 1000)).toFixed(0)} MB/s)`);
    console.log(`ratio full/bare           : ${(fm / bm).toFixed(2)}x`);
    console.log(`records written ${last.records}, delivered live ${last.delivered} (the rest by resync markers)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function agentsBench(): Promise<void> {
  ensureSimBuilt();
  const n = arg('agents', 30);
  const perAgentMb = arg('agent-mb', 4);
  const repo = await makeRepo({
    agentsToml: `[[agent]]\nname = "sim"\nruntime = "sim"\nenv = { HUSKIES_SIM = "flood", HUSKIES_SIM_FLOOD_MB = "${perAgentMb}", HUSKIES_SIM_DELAY_MS = "5" }\n`,
    projectToml: `max_coders = ${n}\nmax_retries = 0\n`,
  });
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT });
  try {
    for (let i = 1; i <= n; i++) repo.story(i, `Flood ${i}`);
    await o.start();
    let delivered = 0;
    o.subscribe('*', (b) => (delivered += b.records.length));
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = Date.now();
    for (let i = 1; i <= n; i++) await o.startAgent(i);
    await waitFor(() => o.registry.all().filter((r) => r.status !== 'queued' && r.status !== 'running').length >= n, 'all runs ended', 600_000, 100);
    const secs = (Date.now() - t0) / 1000;
    h.disable();
    clearInterval(sampler);
    global.gc?.();
    const after = process.memoryUsage();
    const bytes = o.registry.all().reduce((s, r) => s + fs.statSync(r.transcript).size, 0);
    console.log(`\n# ${n} simulated agents streaming ${perAgentMb} MB each through the orchestrator`);
    console.log(`wall time ${secs.toFixed(1)} s, transcripts ${mb(bytes)} MB (${(bytes / 1024 / 1024 / secs).toFixed(1)} MB/s), live records delivered ${delivered}`);
    console.log(`event-loop lag p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`);
    console.log(
      `memory: rss ${mb(before.rss)} → peak ${mb(peakRss)} → after ${mb(after.rss)} MB; heap ${mb(before.heapUsed)} → peak ${mb(peakHeap)} → after ${mb(after.heapUsed)} MB`,
    );
    for (const r of o.registry.all().filter((x) => x.status === 'failed')) console.log(`failed: #${r.storyId} ${r.reason}`);
    console.log(`outcomes: ${JSON.stringify(o.registry.all().reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {}))}`);
  } finally {
    await o.dispose();
    repo.cleanup();
  }
}

/** The UI bench runs in its own Node process (Playwright, code-server): bench/ui.mjs with the other arguments. */
function uiBench(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--ui-only');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'ui.mjs'), ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench/ui.mjs exited with ${code}`))));
  });
}

(async () => {
  if (process.argv.includes('--soak-only')) return soakBench();
  if (process.argv.includes('--merge-only')) return mergeBench();
  if (process.argv.includes('--mcp-only')) return mcpBench();
  if (process.argv.includes('--store-only')) return storeBench();
  if (process.argv.includes('--handmove-only')) return handmoveBench();
  if (process.argv.includes('--board-only')) return boardBench();
  if (process.argv.includes('--stream-only')) return streamBench();
  if (process.argv.includes('--click-only')) return clickBench();
  if (process.argv.includes('--ui-only')) return uiBench();
  if (process.argv.includes('--output-only')) return outputBench();
  const only = process.argv.includes('--ingest') ? 'ingest' : process.argv.includes('--agents-only') ? 'agents' : 'all';
  if (only !== 'agents') await ingestBench();
  if (only !== 'ingest') await agentsBench();
  if (only === 'all') await mergeBench();
  if (only === 'all') await mcpBench();
  if (only === 'all') await storeBench();
  if (only === 'all') await soakBench();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
