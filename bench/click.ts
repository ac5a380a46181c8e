// Click bench (npm run bench -- --click-only): what a click on a card costs in the core while N
// supervised simulated agents stream. Start on a backlog story (it moves to current and is queued:
// every slot is taken) and Stop again, timed from the call to its answer, both while the agents'
// worktrees are still being made (start-up) and once all of them stream. Prints numbers, asserts nothing.
//   --agents 30 --rate 20 --clicks 10
//   --host-mb 300: this process holds that much more memory, as an editor's extension host does (a
//                  process start from it costs more: its page tables are copied)
//   --launcher:    git and other short-lived programs start from the helper process, as in VS Code
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Huskies as Orchestrator } from '../src/core/api';
import { makeRepo, REPO_ROOT, SIM_AGENT, waitFor } from '../test/fixtures/repo';
import { buildSimAndSupervisor } from './stream';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : NaN);
const line = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length} clicks)`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function clickBench(): Promise<void> {
  buildSimAndSupervisor();
  const n = arg('agents', 30);
  const rate = arg('rate', 20);
  const clicks = arg('clicks', 10);
  const env = `HUSKIES_SIM = "stream", HUSKIES_SIM_RATE = "${rate}", HUSKIES_SIM_SECONDS = "3600", HUSKIES_SIM_DELAY_MS = "5"`;
  const repo = await makeRepo({
    agentsToml: `[[agent]]\nname = "sim"\nruntime = "sim"\nenv = { ${env} }\n`,
    projectToml: `max_coders = ${n}\nmax_retries = 0\n`,
  });
  const hostMb = arg('host-mb', 0);
  const ballast = hostMb > 0 ? Buffer.alloc(hostMb * 1024 * 1024, 1) : undefined; // touched: resident
  const launcher = process.argv.includes('--launcher');
  console.log(
    `host memory: +${hostMb} MB (rss ${Math.round(process.memoryUsage().rss / 1048576)} MB); programs started ${launcher ? 'from the launcher process' : 'by this process'}`,
  );
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, supervisorPath: path.join(REPO_ROOT, 'dist', 'supervisor.js'), launcher });
  const TARGET = 999;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  try {
    for (let i = 1; i <= n; i++) repo.story(i, `Stream ${i}`, { stage: '2_current' });
    repo.story(TARGET, 'Click target');
    const streaming = new Set<string>();
    o.subscribe('*', (b) => void streaming.add(b.runId));
    lag.enable();
    const t0 = performance.now();
    await o.start();
    const click = async (into: number[]) => {
      into.push(await timed(() => o.startAgent(TARGET)));
      into.push(await timed(() => o.stopAgent(TARGET)));
    };
    // Start-up: clicks while the worktrees are made and the programs spawned.
    const during: number[] = [];
    while (streaming.size < n && during.length < clicks * 2) await click(during);
    await waitFor(() => streaming.size >= n, 'all agents streaming', 900_000, 100);
    const startSecs = (performance.now() - t0) / 1000;
    const duringLag = lag.percentile(99) / 1e6;
    lag.reset();
    const steady: number[] = [];
    for (let i = 0; i < clicks; i++) await click(steady);
    console.log(`\n# Click: Start and Stop on a card's story while ${n} supervised simulated agents stream ${rate} messages/s each`);
    console.log(`all ${n} agents streaming ${startSecs.toFixed(1)} s after start`);
    console.log(`during start-up (worktrees being made): ${during.length ? line(during) : 'no click (start-up was over first)'}; event-loop lag p99 ${duringLag.toFixed(1)} ms`);
    console.log(`all streaming: ${line(steady)}; event-loop lag p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`);
  } finally {
    lag.disable();
    await o.dispose({ stopAgents: true });
    repo.cleanup();
    if (ballast) ballast[0] = 0; // held to the end
  }
}
