// MCP round trips: 30 clients call the orchestrator's MCP server at once over HTTP (JSON-RPC
// tools/call, the way agent programs do), half reads (status) and half writes recorded through
// the one writer (report_progress). Prints p50/p99 latency and calls per second.
import { performance } from 'node:perf_hooks';
import { Huskies } from '../src/core/api';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor } from '../test/fixtures/repo';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

export async function mcpBench(opts: { clients?: number; calls?: number } = {}): Promise<void> {
  const clients = opts.clients ?? arg('mcp-clients', 30);
  const calls = opts.calls ?? arg('mcp-calls', 200);
  ensureSimBuilt();
  const repo = await makeRepo({ agentsToml: '[[agent]]\nname = "sim-1"\nruntime = "sim"\n' });
  repo.story(1, 'Busy', { criteria: ['One'], extra: 'sim: hang\n' });
  const o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300, autoAssign: false });
  try {
    await o.start();
    const run = await o.startAgent(1);
    await waitFor(() => o.o.mcp.tokens.session(run.runId), 'the run registered');
    const r = o.registry.get(run.runId)!;
    const url = o.o.mcp.url;
    const tokens = Array.from({ length: clients }, (_, i) =>
      o.o.mcp.tokens.register({ key: `bench-${i}`, runId: run.runId, storyId: 1, worktree: r.worktree, transcript: r.transcript }),
    );
    let id = 0;
    const one = async (token: string, write: boolean) => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/call',
        params: write ? { name: 'report_progress', arguments: { message: `step ${id}` } } : { name: 'status', arguments: {} },
      });
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
      });
      const json = (await res.json()) as { result?: { isError?: boolean } };
      if (res.status !== 200 || !json.result || json.result.isError) throw new Error(`call failed: ${res.status} ${JSON.stringify(json)}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 20; i++) await one(tokens[0], i % 2 === 0); // warm-up
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      tokens.map(async (t, c) => {
        for (let i = 0; i < calls; i++) lat.push(await one(t, (i + c) % 2 === 0));
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    console.log(`MCP: ${clients} clients × ${calls} calls (half status, half report_progress through the one writer)`);
    console.log(`  round trip p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(2)} ms`);
    console.log(`  throughput ${(lat.length / secs).toFixed(0)} calls/s (${lat.length} calls in ${secs.toFixed(2)} s)`);
  } finally {
    await o.dispose();
    repo.cleanup();
  }
}

if (require.main === module)
  mcpBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
