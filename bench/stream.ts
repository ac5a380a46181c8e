// Stream bench (npm run bench -- --stream-only): N simulated agents printing R messages a second each
// through a real orchestrator, with a live subscriber like the output panel's and a `changed`
// listener that builds the board state as the extension does. Prints event-loop lag, the message
// rate achieved, memory over a shortened soak (extrapolated to an hour), and the same children
// piped into a bare split + JSON.parse loop as a baseline. Prints numbers, asserts nothing.
//   --agents 30 --rate 200 --seconds 120 [--warmup 20] [--supervised] [--baseline-seconds 30] [--no-baseline]
//   [--profile file.cpuprofile]: a CPU profile of the measured window only (open it in Chrome's DevTools)
//   [--follow 3 | --follow all]: how many runs an output panel follows live in the measured window (default 3;
//   all: one subscriber to every run, as `huskies run` does). Runs nobody follows are not parsed by the host.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Huskies as Orchestrator } from '../src/core/api';
import { buildBoardState } from '../src/extension/boardModel';
import type { LiveBatch } from '../src/core/agents/liveHub';
import { lastSeqOf } from '../src/core/agents/transcript';
import { runInBackground } from '../src/core/util/priority';
import { DEFAULT_PROJECT } from '../src/core/config/config';
import { gitRepoDir, makeRepo, REPO_ROOT, SIM_AGENT, waitFor } from '../test/fixtures/repo';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const MB = (b: number) => (b / 1024 / 1024).toFixed(1);
const ms = (ns: number) => (ns / 1e6).toFixed(1);
const SUPERVISOR = path.join(REPO_ROOT, 'dist', 'supervisor.js');

/** The sim and the supervisor as they are now (the bench must not measure a stale build). */
export function buildSimAndSupervisor(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', logLevel: 'warning' as const };
  esbuild.buildSync({ ...common, entryPoints: [path.join(REPO_ROOT, 'src/core/agents/sim/simAgent.ts')], outfile: SIM_AGENT });
  esbuild.buildSync({ ...common, entryPoints: [path.join(REPO_ROOT, 'src/core/agents/supervisor/main.ts')], outfile: SUPERVISOR });
}

/** Least-squares slope of y over x. */
function slope(pts: [number, number][]): number {
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  const num = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den ? num / den : 0;
}

function lagLine(h: IntervalHistogram): string {
  return `p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms`;
}

const simEnv = (rate: number, seconds: number) => ({ HUSKIES_SIM: 'stream', HUSKIES_SIM_RATE: String(rate), HUSKIES_SIM_SECONDS: String(seconds), HUSKIES_SIM_DELAY_MS: '5' });

/**
 * The same children, piped into a loop that only splits lines and parses them: the floor. They run as
 * the orchestrator runs its agents, each in its own session at the default background priority, so that
 * the ratio compares the work on this side, not the scheduling.
 */
async function baseline(n: number, rate: number, seconds: number, warmup: number): Promise<{ h: IntervalHistogram; msgs: number; secs: number }> {
  const dir = gitRepoDir('huskies-bench-bare-');
  const children: ChildProcess[] = [];
  let msgs = 0;
  let counting = false;
  try {
    const ends: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const c = spawn(process.execPath, [SIM_AGENT, '-p', '--verbose', '--output-format', 'stream-json', 'work'], {
        cwd: dir,
        env: { ...process.env, ...simEnv(rate, seconds + warmup) },
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true,
      });
      runInBackground(c.pid, DEFAULT_PROJECT.backgroundNice);
      children.push(c);
      let pending = '';
      c.stdout!.setEncoding('utf8');
      c.stdout!.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) {
          if (!l) continue;
          JSON.parse(l);
          if (counting) msgs++;
        }
      });
      ends.push(new Promise((r) => c.on('close', () => r())));
    }
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    counting = true;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    counting = false;
    h.disable();
    const secs = (Date.now() - t0) / 1000;
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(ends);
    return { h, msgs, secs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface TranscriptCheck {
  records: number;
  gaps: number;
}

/** Every transcript line whole, seqs contiguous from 1: nothing lost between the pipe and the disk. */
function checkTranscript(file: string): TranscriptCheck {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  let gaps = 0;
  let prev = 0;
  for (const l of lines) {
    const r = JSON.parse(l) as { seq: number; msg: { kind: string } };
    if (r.seq !== prev + 1) gaps++;
    prev = r.seq;
  }
  return { records: lines.length, gaps };
}

export async function streamBench(): Promise<void> {
  buildSimAndSupervisor();
  const n = arg('agents', 30);
  const rate = arg('rate', 200);
  const seconds = arg('seconds', 120);
  const warmup = arg('warmup', Math.min(20, Math.max(5, Math.round(seconds / 4))));
  const supervised = process.argv.includes('--supervised');
  const repo = await makeRepo({
    // The agents stream until the bench stops them, after the measured window.
    agentsToml: `[[agent]]\nname = "sim"\nruntime = "sim"\nenv = { ${Object.entries(simEnv(rate, 3600))
      .map(([k, v]) => `${k} = "${v}"`)
      .join(', ')} }\n`,
    projectToml: `max_coders = ${n}\nmax_retries = 0\n`,
  });
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, ...(supervised ? { supervisorPath: SUPERVISOR } : {}) });
  try {
    // In current already: auto-assign starts them all at once, with no story moves to commit first.
    for (let i = 1; i <= n; i++) repo.story(i, `Stream ${i}`, { stage: '2_current' });
    let live = 0;
    let resyncs = 0;
    const streaming = new Set<string>();
    let boards = 0;
    let boardNs = 0;
    let boardMaxNs = 0;
    o.on('changed', () => {
      const t = process.hrtime.bigint();
      buildBoardState(o.snapshot());
      const d = Number(process.hrtime.bigint() - t);
      boards++;
      boardNs += d;
      boardMaxNs = Math.max(boardMaxNs, d);
    });
    const onBatch = (b: LiveBatch) => {
      live += b.records.length;
      streaming.add(b.runId);
      if (b.resyncAfterSeq !== undefined) resyncs++;
    };
    const all = o.subscribe('*', onBatch);
    global.gc?.();
    const rssStart = process.memoryUsage().rss;
    const tStart = Date.now();
    await o.start();
    // Warm-up: every agent streaming (worktrees made, programs spawned), then some more.
    await waitFor(() => streaming.size >= n, 'all agents streaming', 900_000, 100);
    const startSecs = (Date.now() - tStart) / 1000;
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const running = o.registry.all().filter((r) => r.status === 'running').length;
    const followAll = process.argv[process.argv.indexOf('--follow') + 1] === 'all';
    const follow = followAll ? n : arg('follow', 3);
    if (!followAll) {
      // Like output panels open on `follow` runs: the rest are written to disk and not read by the host.
      all.dispose();
      for (const r of o.registry.active().slice(0, follow)) o.subscribe(r.runId, onBatch);
    }
    const activeRuns = o.registry.active();
    const written = () => activeRuns.reduce((sum, r) => sum + lastSeqOf(r.transcript), 0);
    global.gc?.();
    const { rss: rssWarm, heapUsed: heapWarm } = process.memoryUsage();
    const profile = process.argv[process.argv.indexOf('--profile') + 1];
    const session = process.argv.includes('--profile') ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const live0 = live;
    const written0 = written();
    const boards0 = boards;
    const boardNs0 = boardNs;
    const tw = Date.now();
    const samples: [number, number][] = [];
    const sampler = setInterval(() => samples.push([(Date.now() - tw) / 60_000, process.memoryUsage().rss]), 1000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    h.disable();
    clearInterval(sampler);
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      fs.writeFileSync(profile, JSON.stringify(p));
      session.disconnect();
    }
    const secs = (Date.now() - tw) / 1000;
    const msgs = live - live0;
    const wrote = written() - written0;
    const rssEnd = process.memoryUsage().rss;
    global.gc?.();
    const { rss: rssEndGc, heapUsed: heapEnd } = process.memoryUsage();
    const b = { count: boards - boards0, ns: boardNs - boardNs0 };
    for (let i = 1; i <= n; i++) await o.stopAgent(i).catch(() => undefined);
    await waitFor(() => o.registry.all().every((r) => r.status !== 'queued' && r.status !== 'running'), 'all runs ended', 600_000, 100);
    const checks = o.registry.all().flatMap((r) => (fs.existsSync(r.transcript) ? [checkTranscript(r.transcript)] : []));
    const perMin = slope(samples);

    console.log(`\n# Stream: ${n} simulated agents × ${rate} messages/s through the orchestrator (${supervised ? 'supervised runs, as in VS Code' : 'runs in this process'})`);
    console.log(`all ${n} agents streaming ${startSecs.toFixed(1)} s after start; after a further ${warmup} s warm-up ${running}/${n} ran; measured over ${secs.toFixed(0)} s`);
    console.log(
      `messages/s: asked ${n * rate}, written ${(wrote / secs).toFixed(0)}; followed live: ${follow} runs, ${(msgs / secs).toFixed(0)}/s delivered (${resyncs} resync markers)`,
    );
    console.log(`event-loop lag ${lagLine(h)}`);
    console.log(
      `board builds on 'changed': ${b.count} (${(b.count / secs).toFixed(1)}/s), ${(b.ns / 1e6 / Math.max(1, b.count)).toFixed(2)} ms each, max ${ms(boardMaxNs)} ms, ${((b.ns / 1e9 / secs) * 100).toFixed(1)}% of the time`,
    );
    console.log(`rss: start ${MB(rssStart)} MB, after warm-up ${MB(rssWarm)} MB, end ${MB(rssEnd)} MB (${MB(rssEndGc)} MB after a full GC)`);
    const mem = process.memoryUsage();
    console.log(`external ${MB(mem.external)} MB, array buffers ${MB(mem.arrayBuffers)} MB at the end`);
    console.log(`heap used after a full GC: after warm-up ${MB(heapWarm)} MB, end ${MB(heapEnd)} MB (${((((heapEnd - heapWarm) / secs) * 60) / 1024 / 1024).toFixed(2)} MB/min)`);
    console.log(`rss growth after warm-up: ${(perMin / 1024 / 1024).toFixed(2)} MB/min (linear fit of ${samples.length} samples)`);
    console.log(`extrapolated to 1 hour: ${perMin >= 0 ? '+' : ''}${((perMin * 60) / 1024 / 1024).toFixed(0)} MB (shortened soak of ${secs.toFixed(0)} s, extrapolated)`);
    const recs = checks.reduce((s, c) => s + c.records, 0);
    const gaps = checks.reduce((s, c) => s + c.gaps, 0);
    console.log(`transcripts: ${checks.length} read, ${recs} records, ${gaps} seq gaps`);
    console.log(`outcomes: ${JSON.stringify(o.registry.all().reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {}))}`);

    if (!process.argv.includes('--no-baseline')) {
      const bs = arg('baseline-seconds', Math.min(seconds, 30));
      const bare = await baseline(n, rate, bs, Math.min(warmup, 5));
      console.log(`baseline (the same children, split + JSON.parse only, ${bare.secs.toFixed(0)} s): ${(bare.msgs / bare.secs).toFixed(0)} messages/s, lag ${lagLine(bare.h)}`);
      console.log(`lag p99 ratio orchestrator/baseline: ${(h.percentile(99) / bare.h.percentile(99)).toFixed(2)}x`);
    }
  } finally {
    await o.dispose();
    repo.cleanup();
  }
}
