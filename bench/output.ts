// Output panel bench (npm run bench -- --output-only): prints numbers, asserts nothing.
//  P1: 10 simulated agents streaming through a real orchestrator on a temp repo; one OutputFeed per
//      run posts to a fake webview that copies each message (as postMessage serializes it) and
//      applies it through the panel's window logic. Messages per second per webview, and the latency
//      from the record's transcript write to its application in the fake webview (host side and
//      message application; not the IPC to a real webview nor the browser's paint).
//  P6: a 100,000-record transcript opened: time until the first page message is built, its size,
//      and the time of an older page near the tail, in the middle and at the start.
// Options: --output-agents 10 --output-rate 100 (messages/s per agent) --output-seconds 10 --output-records 100000
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { readAfter, readBefore, TranscriptWriter } from '../src/core/agents/transcript';
import { Huskies as Orchestrator, type AgentMessage, type LiveBatch } from '../src/core/api';
import { runView } from '../src/extension/boardModel';
import { OutputFeed, type FeedSource } from '../src/extension/outputFeed';
import type { HostMessage, RunView } from '../src/protocol/messages';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor } from '../test/fixtures/repo';
import { OutputWindow } from '../webview/outputWindow';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const pct = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]): number => pct(xs, 50);
const f1 = (x: number): string => x.toFixed(1);

/** What a webview does with the host's messages, minus the DOM: copy (postMessage clones), then apply to the window. */
class FakeWebview {
  readonly window = new OutputWindow();
  messages = 0;
  /** When each live batch came. */
  readonly appendAt: number[] = [];
  readonly latency: number[] = [];
  readonly hubWait: number[] = [];
  applied = 0;
  firstPage = 0;
  snapshots = 0;
  lastSeq = 0;
  gaps = 0;
  /** Reads from disk after a drop or a hole in the live stream. */
  catchUps = 0;
  readonly gapAt: string[] = [];

  constructor(private readonly liveAt: Map<number, number>) {}

  post(m: HostMessage): void {
    this.messages++;
    if (m.type === 'outputAppend') this.appendAt.push(Date.now());
    const copy = JSON.parse(JSON.stringify(m)) as HostMessage;
    if (copy.type === 'output') {
      this.window.reset(copy.records, copy.hasOlder);
      this.firstPage = copy.records.length;
      this.snapshots++;
      this.lastSeq = copy.records.at(-1)?.seq ?? 0;
    } else if (copy.type === 'outputAppend') {
      const ops = this.window.append(copy.records);
      const done = Date.now();
      for (const r of ops.append) {
        if (r.seq !== this.lastSeq + 1) {
          this.gaps++;
          this.gapAt.push(`${this.lastSeq}→${r.seq}`);
        }
        this.lastSeq = r.seq;
        this.applied++;
        this.latency.push(done - r.ts);
        const live = this.liveAt.get(r.seq);
        if (live !== undefined) this.hubWait.push(live - r.ts);
      }
    }
  }

  /** The most live batches in any 1 s window, and the median count per whole second from the first to the last. */
  rates(): { max: number; median: number; spanS: number } {
    const ts = this.appendAt;
    if (!ts.length) return { max: 0, median: 0, spanS: 0 };
    let max = 0;
    for (let i = 0, j = 0; i < ts.length; i++) {
      while (ts[i] - ts[j] >= 1000) j++;
      max = Math.max(max, i - j + 1);
    }
    const buckets: number[] = new Array(Math.max(1, Math.floor((ts[ts.length - 1] - ts[0]) / 1000))).fill(0);
    for (const t of ts) {
      const b = Math.floor((t - ts[0]) / 1000);
      if (b < buckets.length) buckets[b]++;
    }
    return { max, median: median(buckets), spanS: (ts[ts.length - 1] - ts[0]) / 1000 };
  }
}

/** The orchestrator as a feed sees it, noting when each live record reaches the host's subscriber. */
function timedSource(o: Orchestrator, liveAt: Map<number, number>, view: FakeWebview): FeedSource {
  return {
    subscribe: (runId, listener) =>
      o.subscribe(runId, (b: LiveBatch) => {
        const now = Date.now();
        for (const r of b.records) liveAt.set(r.seq, now);
        listener(b);
      }),
    readTranscript: (runId, beforeSeq, limit) => o.readTranscript(runId, beforeSeq, limit),
    readTranscriptAfter: (runId, afterSeq, limit) => {
      view.catchUps++;
      return o.readTranscriptAfter(runId, afterSeq, limit);
    },
  };
}

async function streamingBench(): Promise<void> {
  ensureSimBuilt();
  const n = arg('output-agents', 10);
  const rate = arg('output-rate', 100);
  const seconds = arg('output-seconds', 10);
  const repo = await makeRepo({
    agentsToml: `[[agent]]\nname = "sim"\nruntime = "sim"\nenv = { HUSKIES_SIM = "stream", HUSKIES_SIM_RATE = "${rate}", HUSKIES_SIM_SECONDS = "${seconds}", HUSKIES_SIM_DELAY_MS = "5" }\n`,
    projectToml: `max_coders = ${n}\nmax_retries = 0\n`,
  });
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT });
  const feeds: { feed: OutputFeed; view: FakeWebview; storyId: number }[] = [];
  let snapshotMs = 0;
  let snapshots = 0;
  // What the extension does on each (throttled) change: one snapshot, each panel's run header from it.
  const onChanged = (): void => {
    const t0 = performance.now();
    const snap = o.snapshot();
    snapshotMs += performance.now() - t0;
    snapshots++;
    for (const f of feeds) {
      const run = snap.latestRun.get(f.storyId);
      if (run) f.feed.updateRun(runView(run));
    }
  };
  const lag = monitorEventLoopDelay({ resolution: 10 });
  try {
    for (let i = 1; i <= n; i++) repo.story(i, `Stream ${i}`);
    await o.start();
    o.on('changed', onChanged);
    lag.enable();
    // Each panel opens as its agent starts, as a user watching would: most records then come live.
    for (let i = 1; i <= n; i++) {
      await o.startAgent(i);
      const run = (await waitFor(() => o.snapshot().latestRun.get(i), `a run on story ${i}`))!;
      const liveAt = new Map<number, number>();
      const view = new FakeWebview(liveAt);
      const feed = new OutputFeed(timedSource(o, liveAt, view), (m) => view.post(m));
      feeds.push({ feed, view, storyId: i });
      await feed.open(runView(run));
    }
    await waitFor(() => o.registry.all().filter((r) => r.status !== 'queued' && r.status !== 'running').length >= n, 'all runs ended', 600_000, 100);
    await new Promise((r) => setTimeout(r, 200)); // the last batch's send
    lag.disable();
    const lat = feeds.flatMap((f) => f.view.latency);
    const hub = feeds.flatMap((f) => f.view.hubWait);
    const rates = feeds.map((f) => f.view.rates());
    const maxPerSec = rates.map((r) => r.max);
    const medPerSec = rates.map((r) => r.median);
    const written = o.registry.all().reduce((s, r) => s + r.lastSeq, 0);
    console.log(`\n# Output panel P1: ${n} agents streaming ${rate} messages/s each for ${seconds} s, one OutputFeed + fake webview per run`);
    console.log('latency = transcript write (record ts) → record applied in the fake webview: live hub wait + feed batching + JSON copy + window apply;');
    console.log('          not included: the IPC to a real webview, its DOM insert and paint (measured in code-server with data-seq / data-state).');
    console.log(
      `records written ${written}, applied live ${lat.length} (the rest came in the first page), gaps seen by the webviews ${feeds.reduce((s, f) => s + f.view.gaps, 0)}`,
    );
    console.log(`latency ms: p50 ${f1(pct(lat, 50))}, p95 ${f1(pct(lat, 95))}, max ${f1(Math.max(...lat))}`);
    console.log(`  of which live hub wait ms: p50 ${f1(pct(hub, 50))}, p95 ${f1(pct(hub, 95))}, max ${f1(Math.max(...hub))}`);
    console.log(
      `bench process event-loop lag ms: p50 ${f1(lag.percentile(50) / 1e6)}, p99 ${f1(lag.percentile(99) / 1e6)}, max ${f1(lag.max / 1e6)}; ${snapshots} snapshots for run headers, ${f1(snapshotMs / Math.max(1, snapshots))} ms each`,
    );
    console.log(
      `messages/s per webview: max ${Math.max(...maxPerSec)} (per webview: ${maxPerSec.join(' ')}), median ${median(medPerSec)} (live batches in any 1 s window; median of whole seconds from a webview's first batch to its last)`,
    );
    for (const f of feeds) {
      const r = o.snapshot().latestRun.get(f.storyId);
      const v = f.view;
      console.log(
        `  story ${f.storyId}: ${r?.status} lastSeq ${r?.lastSeq}; first page ${v.firstPage} (${v.snapshots} snapshots), live ${v.applied} in ${v.appendAt.length} batches over ${f1(v.rates().spanS)} s (${v.messages} messages in all), catch-ups from disk ${v.catchUps}, gaps ${v.gaps} ${v.gapAt.join(' ')}`.trimEnd(),
      );
      f.feed.dispose();
    }
  } finally {
    o.off('changed', onChanged);
    await o.dispose();
    repo.cleanup();
  }
}

/** A long session's mix: texts, tool calls and results of varied size. */
function message(i: number): AgentMessage {
  const words = 'the agent reads the story edits the code runs the tests and commits '.repeat(1 + (i % 7));
  switch (i % 4) {
    case 0:
      return { kind: 'text', text: words };
    case 1:
      return { kind: 'tool_use', id: `t${i}`, name: 'Bash', input: { command: `npm test -- --grep case${i}` } };
    case 2:
      return { kind: 'tool_result', toolUseId: `t${i - 1}`, content: words.repeat(1 + (i % 5)), isError: false };
    default:
      return { kind: 'thinking', text: words };
  }
}

async function openBench(): Promise<void> {
  const total = arg('output-records', 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-output-bench-'));
  try {
    const file = path.join(dir, 'run.jsonl');
    const w = new TranscriptWriter(file);
    for (let i = 0; i < total; i += 1000)
      w.append(
        Array.from({ length: Math.min(1000, total - i) }, (_, k) => message(i + k)),
        Date.now(),
      );
    w.close();
    const src: FeedSource = {
      subscribe: () => ({ dispose: () => undefined }),
      readTranscript: (_runId, beforeSeq, limit) => readBefore(file, beforeSeq, limit),
      readTranscriptAfter: (_runId, afterSeq, limit) => readAfter(file, afterSeq, limit),
    };
    const run: RunView = { runId: 'r1', storyId: 1, agent: 'sim', runtime: 'sim', status: 'succeeded', lastSeq: total };
    const opens: number[] = [];
    let bytes = 0;
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      let first: HostMessage | undefined;
      const feed = new OutputFeed(src, (m) => {
        if (!first) {
          first = m;
          bytes = JSON.stringify(m).length;
        }
      });
      await feed.open(run);
      opens.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const win = new OutputWindow();
      if (first?.type === 'output') rows = win.reset(first.records, first.hasOlder).append.length;
      feed.dispose();
    }
    const page = async (beforeSeq: number): Promise<number> => {
      const ts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = process.hrtime.bigint();
        await readBefore(file, beforeSeq, 400);
        ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return median(ts);
    };
    const size = fs.statSync(file).size;
    console.log(`\n# Output panel P6 (host side): a ${total.toLocaleString()}-record transcript (${(size / 1024 / 1024).toFixed(1)} MB) opened`);
    console.log(`first page message ready (tail read + message built + JSON size): median ${f1(median(opens))} ms of 5 (${opens.map(f1).join(' ')})`);
    console.log(`first page: ${rows} records, ${(bytes / 1024).toFixed(0)} KB as JSON`);
    console.log(
      `older page of 400 (readBefore), median of 3: near the tail ${f1(await page(total - 400))} ms, middle ${f1(await page(Math.floor(total / 2)))} ms, start ${f1(await page(401))} ms`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function outputBench(): Promise<void> {
  await openBench();
  await streamingBench();
}
