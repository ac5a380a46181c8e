// Loading a big project (npm run bench -- --store-only [--stories 10000] [--store-runs 5]): a temp
// project with N story files spread over the stage folders, then, as medians of several runs:
// the bare baseline (read every file and YAML-parse its front matter, nothing else), the work
// store's cold scan, a full read-only start with reconcile, the `huskies status` snapshot, one
// auto-assign pass, and memory after the load; then `huskies status` from the bundled CLI
// (dist/cli.js; --build-cli rebuilds it first) on the same project: its wall time and peak RSS.
// Prints numbers and ratios; asserts nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { Huskies as Orchestrator } from '../src/core/api';
import { WorkStore } from '../src/core/store/workStore';
import { STAGES, STAGE_FOLDERS } from '../src/core/model/stage';
import { autoAssign } from '../src/core/policies/autoAssign';
import { makeRepo, SIM_AGENT } from '../test/fixtures/repo';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Most stories are done or archived, a few hundred are in flight: a long-lived project. */
function stageOf(i: number, n: number): string {
  const f = i / n;
  const stage = f < 0.55 ? 'archived' : f < 0.85 ? 'done' : f < 0.95 ? 'backlog' : f < 0.98 ? 'current' : f < 0.99 ? 'qa' : 'merge';
  return STAGE_FOLDERS[stage];
}

export function writeStories(dir: string, n: number): number {
  const words = 'add login page cache results retry flaky upload export report fix parser speed board'.split(' ');
  let bytes = 0;
  for (const s of STAGES) fs.mkdirSync(path.join(dir, '.huskies', 'work', STAGE_FOLDERS[s]), { recursive: true });
  for (let i = 1; i <= n; i++) {
    const title = `${words[i % words.length]} ${words[(i * 7) % words.length]} ${words[(i * 13) % words.length]} ${i}`;
    const slug = title.replace(/ /g, '_');
    const deps = i > 10 && i % 4 === 0 ? `depends_on: [${i - 3}, ${i - 7}]\n` : '';
    const extra = i % 9 === 0 ? `agent: coder-${i % 3}\nqa: ${i % 2 ? 'server' : 'agent'}\n` : '';
    const blocked = i % 97 === 0 ? `blocked: true\nblocked_reason: "waiting for the API key"\n` : '';
    const crit = Array.from({ length: 3 + (i % 5) }, (_, k) => `- [${k < i % 4 ? 'x' : ' '}] ${words[(i + k) % words.length]} works for case ${k}`).join('\n');
    const text =
      `---\nname: ${title}\n${deps}${extra}${blocked}created: 2026-0${1 + (i % 9)}-1${i % 10}\n---\n# ${title}\n\n` +
      `As a user I want to ${title} so that the work goes faster.\n\n${'Some context about the change and why it matters. '.repeat(1 + (i % 6))}\n\n` +
      `## Acceptance criteria\n\n${crit}\n\n## Notes\n\n\`\`\`\n- [ ] not a criterion inside a fence\n\`\`\`\n`;
    fs.writeFileSync(path.join(dir, '.huskies', 'work', stageOf(i, n), `${i}_story_${slug}.md`), text);
    bytes += text.length;
  }
  return bytes;
}

/** The floor: read each file and YAML-parse its front matter, nothing else. */
async function bare(dir: string): Promise<number> {
  const t = process.hrtime.bigint();
  for (const s of STAGES) {
    const folder = path.join(dir, '.huskies', 'work', STAGE_FOLDERS[s]);
    for (const name of await fs.promises.readdir(folder)) {
      const text = await fs.promises.readFile(path.join(folder, name), 'utf8');
      const end = text.indexOf('\n---', 3);
      parseYaml(text.slice(4, end + 1));
    }
  }
  return ms(t);
}

/** The same with blocking reads: the fastest a single thread reads these files, for comparison. */
function bareSync(dir: string): number {
  const t = process.hrtime.bigint();
  for (const s of STAGES) {
    const folder = path.join(dir, '.huskies', 'work', STAGE_FOLDERS[s]);
    for (const name of fs.readdirSync(folder)) {
      const text = fs.readFileSync(path.join(folder, name), 'utf8');
      parseYaml(text.slice(4, text.indexOf('\n---', 3) + 1));
    }
  }
  return ms(t);
}

/** `huskies status` from the bundled CLI: wall time and peak RSS (from /usr/bin/time -v), medians of `runs`. */
function bundledStatus(dir: string, runs: number): string {
  const root = path.join(__dirname, '..');
  const cli = path.join(root, 'dist', 'cli.js');
  if (process.argv.includes('--build-cli') || !fs.existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'ignore' });
  if (!fs.existsSync('/usr/bin/time')) return 'bundled CLI: /usr/bin/time is not installed, peak RSS not measured';
  const wall: number[] = [];
  const rss: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = process.hrtime.bigint();
    const p = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'status'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    wall.push(ms(t));
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(p.stderr ?? '');
    if (p.status !== 0 || !kb) return `bundled CLI: huskies status failed (exit ${p.status}): ${(p.stderr ?? '').split('\n').slice(-5).join(' ')}`;
    rss.push(Number(kb[1]) * 1024);
  }
  const built = new Date(fs.statSync(cli).mtimeMs).toISOString();
  return `${'bundled CLI `huskies status` (wall, peak rss)'.padEnd(42)}: ${median(wall).toFixed(1).padStart(7)} ms, ${mb(median(rss))} MB  (dist/cli.js of ${built})`;
}

export async function storeBench(): Promise<void> {
  const n = arg('stories', 10_000);
  const runs = arg('store-runs', 5);
  const repo = await makeRepo();
  try {
    const bytes = writeStories(repo.dir, n);
    const base: number[] = [];
    const baseSync: number[] = [];
    const scan: number[] = [];
    const start: number[] = [];
    const snap: number[] = [];
    const assign: number[] = [];
    let mem = process.memoryUsage();
    let counts = '';
    for (let r = 0; r < runs; r++) {
      base.push(await bare(repo.dir));
      baseSync.push(bareSync(repo.dir));
      let t = process.hrtime.bigint();
      const store = new WorkStore(repo.dir);
      await store.scan();
      scan.push(ms(t));
      global.gc?.();
      const before = process.memoryUsage();
      t = process.hrtime.bigint();
      const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, readOnly: true, watch: false, autoAssign: false });
      try {
        await o.start();
        start.push(ms(t));
        t = process.hrtime.bigint();
        const s = o.snapshot();
        snap.push(ms(t));
        counts = STAGES.map((st) => `${st} ${s.items.filter((i) => i.stage === st).length}`).join(', ') + `; waits ${s.waits.size}`;
        const ctx = { ...o.o.standing.policyContext(), autoAssign: true, stopped: undefined, budgetStop: undefined };
        const passes: number[] = [];
        let queued = 0;
        for (let k = 0; k < 50; k++) {
          const tt = process.hrtime.bigint();
          queued = autoAssign(o.o.state, ctx).length;
          passes.push(ms(tt));
        }
        assign.push(median(passes));
        if (r === 0) console.log(`(auto-assign queues ${queued} stories per pass)`);
        global.gc?.();
        mem = process.memoryUsage();
        if (r === 0) console.log(`(heap grew ${mb(mem.heapUsed - before.heapUsed)} MB for the loaded project)`);
      } finally {
        await o.dispose();
      }
    }
    const b = median(base);
    const bs = median(baseSync);
    const line = (label: string, xs: number[]) => {
      const m = median(xs);
      console.log(`${label.padEnd(42)}: ${m.toFixed(1).padStart(7)} ms  (${(m / b).toFixed(2)}x bare, ${(m / bs).toFixed(2)}x bare with blocking reads)`);
    };
    console.log(`\n# Loading ${n} stories (${mb(bytes)} MB of story files; ${runs} runs, medians)`);
    console.log(`stories: ${counts}`);
    line('bare read + YAML front matter', base);
    line('bare, blocking reads (for comparison)', baseSync);
    line('WorkStore cold scan', scan);
    line('start with reconcile (as huskies status)', start);
    line('status snapshot', snap);
    console.log(`${'auto-assign pass (median of 50)'.padEnd(42)}: ${median(assign).toFixed(2).padStart(7)} ms`);
    console.log(`memory after load: rss ${mb(mem.rss)} MB, heap ${mb(mem.heapUsed)} MB${global.gc ? '' : ' (run node with --expose-gc for settled numbers)'}`);
    console.log(bundledStatus(repo.dir, Math.min(runs, 3)));
  } finally {
    repo.cleanup();
  }
}
