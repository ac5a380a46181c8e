// Crash soak: `huskies run` is killed with SIGKILL at a random moment while 8 simulated agents work
// on 12 stories, then started again; every story must end in 3_qa exactly once, no agent may run
// twice on one story, and nothing of the first leader may be left running. Prints, asserts nothing.
// Usage: npm run bench -- --soak-only [--soak-trials 30] [--soak-seed N] [--soak-delay-ms 60]
//        [--soak-kill-window-ms 2500] [--soak-deadline-ms 90000] [--soak-idle-ms 15000]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, waitFor } from '../test/fixtures/repo';
import { rng } from './mergeScenarios';
import {
  alive,
  CLI,
  killUnder,
  makeTrialRepo,
  Observer,
  overlappingRuns,
  pendingTimers,
  procsUnder,
  readRuns,
  sleep,
  stagesOf,
  startLeader,
  type Leader,
  type Proc,
} from './soakLib';

const AGENTS = 8;
const STORIES = 12;

interface Options {
  trials: number;
  seed: number;
  delayMs: number;
  killWindowMs: number;
  deadlineMs: number;
  /** A story still outside 3_qa after this long with no run, agent or timer left is stuck: no need to wait for the deadline. */
  idleMs: number;
  sampleMs: number;
}

interface Trial {
  n: number;
  /** The kill, in ms after the first agent was seen running. */
  killAfterMs: number;
  /** Stories with a running run in runs.json at the kill. */
  midRun: number[];
  /** Of those: finished by the run that was going at the kill, or by a new run. */
  sameRun: number;
  newRun: number;
  /** From the second start to its "Huskies is running" (reconciliation done: live runs followed again). */
  readyMs?: number;
  /** From the second start until every story mid-run at the kill runs again (with a pid) or is in 3_qa. */
  resumeMs?: number;
  lost: number[];
  dupStage: number[];
  twoAgents: number[];
  stuck: string[];
  orphans: Proc[];
  tornReads: number;
  notes: string[];
  secs: number;
}

function flag(name: string, d: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : d;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number, got "${process.argv[i + 1]}"`);
  return v;
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    t = Math.max(t, e.isDirectory() ? newestMtime(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs);
  return t;
}

/** The soak drives the built CLI, supervisor and sim agent: rebuild them when the sources are newer. */
function ensureBuilt(): void {
  const newest = newestMtime(path.join(REPO_ROOT, 'src'));
  const outs = ['cli.js', 'supervisor.js', 'sim-agent.js'].map((f) => path.join(REPO_ROOT, 'dist', f));
  if (outs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= newest)) return;
  try {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (err) {
    const why =
      String((err as { stderr?: Buffer }).stderr ?? err)
        .split('\n')
        .find((l) => l.includes('ERROR')) ?? (err as Error).message;
    if (!outs.every((f) => fs.existsSync(f))) throw new Error(`the build failed: ${why}`, { cause: err });
    // Sources being edited may not build for a moment; the last good build is still worth soaking.
    console.log(`(the build failed: ${why.trim()}; soaking dist/ as built at ${fs.statSync(outs[0]).mtime.toISOString()})`);
  }
}

// Everything a trial started, so that an interrupted bench still leaves nothing behind.
const liveDirs = new Set<string>();
const liveLeaders = new Set<Leader>();
function cleanupAll(): void {
  for (const l of liveLeaders) if (alive(l.child)) l.child.kill('SIGKILL');
  for (const d of liveDirs) {
    killUnder(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
}

const ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' };

async function runTrial(n: number, o: Options, rand: () => number): Promise<Trial> {
  const t0 = Date.now();
  const res: Trial = { n, killAfterMs: 0, midRun: [], sameRun: 0, newRun: 0, lost: [], dupStage: [], twoAgents: [], stuck: [], orphans: [], tornReads: 0, notes: [], secs: 0 };
  const repo = await makeTrialRepo({ agents: AGENTS, stories: STORIES, delayMs: o.delayMs });
  liveDirs.add(repo.dir);
  const obs = new Observer(repo.dir);
  const leader = () => {
    const l = startLeader(repo.dir, ENV);
    liveLeaders.add(l);
    return l;
  };
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      obs.sample();
      await sleep(o.sampleMs);
    }
  })();
  let l2: Leader | undefined;
  try {
    const l1 = leader();
    await waitFor(() => obs.runs.some((r) => r.status === 'running' && r.pid), 'an agent running under the first leader', 60_000, 20);
    res.killAfterMs = Math.floor(rand() * o.killWindowMs);
    await sleep(res.killAfterMs);
    l1.child.kill('SIGKILL');
    await l1.exited;
    const killedAt = Date.now();
    const atKill = readRuns(repo.dir) ?? [];
    res.midRun = [...new Set(atKill.filter((r) => r.status === 'running').map((r) => r.storyId))].sort((a, b) => a - b);

    const restartedAt = Date.now();
    l2 = leader();
    const second = l2;
    // Fresh reads once the leader is up: a sample taken before its start-up could still show the old state.
    const resumed = () => {
      if (!second.ready) return false;
      const runs = readRuns(repo.dir) ?? [];
      const stages = stagesOf(repo.dir);
      return res.midRun.every((id) => stages.get(id)?.includes('3_qa') || runs.some((r) => r.storyId === id && r.status === 'running' && r.pid));
    };
    const allInQa = () => Array.from({ length: STORIES }, (_, i) => i + 1).every((id) => obs.inQa(id));
    // Done when every story is in 3_qa; given up at the deadline, or sooner once nothing is left that could move a story.
    let busyAt = Date.now();
    const settled = () => {
      if (res.midRun.length && res.resumeMs === undefined && resumed()) res.resumeMs = Date.now() - restartedAt;
      if ((allInQa() && (res.resumeMs !== undefined || !res.midRun.length)) || !alive(second.child)) return true;
      if (obs.runs.some((r) => r.status === 'queued' || r.status === 'running') || obs.agents.size || pendingTimers(repo.dir)) busyAt = Date.now();
      return Date.now() - busyAt > o.idleMs;
    };
    await waitFor(settled, 'every story in 3_qa', o.deadlineMs, 10).catch(() => undefined);
    if (second.readyAt) res.readyMs = second.readyAt - restartedAt;
    if (!alive(second.child)) res.notes.push(`the second leader exited on its own: ${second.output().trim().split('\n').slice(-3).join(' / ')}`);
    if (res.midRun.length && res.resumeMs === undefined) res.notes.push('not every story that was mid-run at the kill ran again or reached 3_qa');
    if (!allInQa()) res.stuck = stuckReasons(repo.dir, obs);
    second.child.kill('SIGINT');
    const code = await Promise.race([second.exited, sleep(30_000).then(() => 'timeout' as const)]);
    if (code !== 0) res.notes.push(`the second leader ended with ${code} after SIGINT`);

    sampling = false;
    await loop;
    obs.sample();
    assess(res, obs, killedAt);
    // Whatever the first leader started is re-attached (and ended by now) or killed: give exits a moment.
    await waitFor(() => procsUnder(repo.dir).length === 0, 'no process left', 3_000, 50).catch(() => undefined);
    res.orphans = procsUnder(repo.dir);
    if (res.lost.length || res.dupStage.length || res.twoAgents.length || res.orphans.length || res.tornReads)
      res.notes.push(...diagnostics(repo.dir, l2, [...res.lost, ...res.dupStage, ...res.twoAgents]));
  } catch (err) {
    res.notes.push(`trial failed: ${(err as Error).message}`);
    if (l2) res.notes.push(...diagnostics(repo.dir, l2, []));
  } finally {
    sampling = false;
    await loop;
    for (const l of liveLeaders) if (alive(l.child)) l.child.kill('SIGKILL');
    liveLeaders.clear();
    killUnder(repo.dir);
    repo.cleanup();
    liveDirs.delete(repo.dir);
  }
  res.secs = (Date.now() - t0) / 1000;
  return res;
}

/** The stories outside 3_qa, each with its line from `huskies status` (its run and what it waits for). */
function stuckReasons(dir: string, obs: Observer): string[] {
  const status = spawnSync(process.execPath, [CLI, 'status'], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  const out: string[] = [];
  for (let id = 1; id <= STORIES; id++) {
    if (obs.inQa(id)) continue;
    const line = status.split('\n').find((s) => s.trim().startsWith(`#${id} `));
    out.push(`#${id} in ${obs.stages.get(id)?.join('+') ?? 'no folder'}: ${line?.trim() ?? '(not in huskies status)'}`);
  }
  return out;
}

/** Losses and duplicates from everything observed, once the second leader has stopped. */
function assess(res: Trial, obs: Observer, killedAt: number): void {
  for (let id = 1; id <= STORIES; id++) if (!obs.inQa(id)) res.lost.push(id);
  res.dupStage = [...obs.twoStages];
  const overlaps = overlappingRuns(obs.runs);
  res.twoAgents = [...new Set([...obs.twoRuns, ...obs.twoAgents.keys(), ...overlaps.map(([a]) => a.storyId)])].sort((a, b) => a - b);
  for (const [a, b] of overlaps) res.notes.push(`runs ${a.runId} and ${b.runId} of story ${a.storyId} overlap`);
  for (const id of obs.twoRuns) res.notes.push(`two runs of story ${id} were running at once in runs.json`);
  for (const [id, procs] of obs.twoAgents) res.notes.push(`two sim agent processes at once on story ${id}: ${procs.map((p) => `pid ${p.pid} (parent ${p.ppid})`).join(', ')}`);
  res.tornReads = obs.tornReads;
  for (const id of res.midRun) {
    if (obs.runs.some((r) => r.storyId === id && (r.startedAt ?? 0) > killedAt)) res.newRun++;
    else res.sameRun++;
  }
}

/** What a report of a finding needs: the runs and audit lines of the stories concerned, the leader's last words. */
function diagnostics(dir: string, l: Leader, ids: number[]): string[] {
  const want = new Set(ids);
  const runs = (readRuns(dir) ?? []).filter((r) => !want.size || want.has(r.storyId));
  let audit: string[] = [];
  try {
    audit = fs
      .readFileSync(path.join(dir, '.huskies', 'audit.log'), 'utf8')
      .trim()
      .split('\n');
  } catch {
    /* no audit log yet */
  }
  const concerned = audit.filter((line) => !want.size || [...want].some((id) => line.includes(`"id":${id},`)));
  // The second leader's sequence numbers start again at 1: its start-up is where reconciliation acted.
  const restart = audit.map((line) => line.includes('"seq":1,')).lastIndexOf(true);
  const row = (r: (typeof runs)[number]) => ({
    runId: r.runId,
    storyId: r.storyId,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    pid: r.pid,
    handled: r.handled,
    reason: r.reason,
  });
  return [
    ...runs.map((r) => `runs.json: ${JSON.stringify(row(r))}`),
    ...concerned.slice(-30).map((line) => `audit.log: ${line}`),
    ...(restart >= 0 ? audit.slice(restart, restart + 40).map((line) => `audit.log after the restart: ${line}`) : []),
    ...l
      .output()
      .trim()
      .split('\n')
      .slice(-10)
      .map((line) => `leader: ${line}`),
  ];
}

const pad = (v: string | number, w: number) => String(v).padStart(w);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function row(t: Trial): string {
  return [
    pad(t.n, 5),
    pad(t.killAfterMs, 7),
    pad(t.midRun.length, 4),
    pad(t.sameRun, 5),
    pad(t.newRun, 4),
    pad(t.readyMs ?? '-', 6),
    pad(t.resumeMs ?? '-', 7),
    pad(t.lost.length, 5),
    pad(t.dupStage.length, 4),
    pad(t.twoAgents.length, 4),
    pad(t.stuck.length, 6),
    pad(t.orphans.length, 5),
    pad(t.secs.toFixed(1), 6),
  ].join(' ');
}

export async function soakBench(): Promise<void> {
  const o: Options = {
    trials: flag('soak-trials', 30),
    seed: flag('soak-seed', Date.now() % 1_000_000),
    delayMs: flag('soak-delay-ms', 60),
    killWindowMs: flag('soak-kill-window-ms', 2500),
    deadlineMs: flag('soak-deadline-ms', 90_000),
    idleMs: flag('soak-idle-ms', 15_000),
    sampleMs: 100,
  };
  ensureBuilt();
  const onSignal = () => {
    cleanupAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rand = rng(o.seed);
  const t0 = Date.now();
  console.log(
    `\n# Crash soak: ${o.trials} trials, ${AGENTS} sim agents, ${STORIES} stories, SIGKILL of \`huskies run\` 0–${o.killWindowMs} ms after the first agent runs (seed ${o.seed}, sim delay ${o.delayMs} ms)`,
  );
  console.log('(mid: stories running at the kill; same/new: finished by that run or a new one; ready/resume: ms from the restart to "Huskies is running" /');
  console.log(' to every mid-run story running again or in 3_qa; lost: not in 3_qa at the end, stuck ones included; dup: one number in two stage');
  console.log(' folders; 2ag: two runs or two agent processes of one story at once; orph: processes left in the trial folder after the end)');
  console.log('trial  kill@ms  mid same  new  ready  resume  lost  dup  2ag  stuck  orph   secs');
  const trials: Trial[] = [];
  try {
    for (let n = 1; n <= o.trials; n++) {
      const t = await runTrial(n, o, rand);
      trials.push(t);
      console.log(row(t));
      for (const s of t.stuck) console.log(`      stuck ${s}`);
      for (const p of t.orphans) console.log(`      orphan pid ${p.pid} cwd ${p.cwd}: ${p.cmd}`);
      if (t.tornReads) console.log(`      runs.json could not be parsed in ${t.tornReads} samples`);
      for (const note of t.notes) console.log(`      ${note}`);
    }
  } finally {
    cleanupAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const sum = (f: (t: Trial) => number) => trials.reduce((s, t) => s + f(t), 0);
  const spread = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? `median ${median(v)} ms, max ${Math.max(...v)} ms` : 'not measured';
  };
  const failed = trials.filter((t) => t.notes.some((n) => n.startsWith('trial failed'))).length;
  const dup = sum((t) => t.dupStage.length + t.twoAgents.length);
  console.log(
    [
      `soak: ${trials.length} trials in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      `lost ${sum((t) => t.lost.length)}`,
      `duplicated ${dup} (two stages ${sum((t) => t.dupStage.length)}, two agents ${sum((t) => t.twoAgents.length)})`,
      `stuck ${sum((t) => t.stuck.length)}`,
      `orphans ${sum((t) => t.orphans.length)}`,
      `mid-run at the kill ${sum((t) => t.midRun.length)} (same run ${sum((t) => t.sameRun)}, new run ${sum((t) => t.newRun)})`,
      `restart to ready ${spread(trials.map((t) => t.readyMs))}`,
      `restart to resume ${spread(trials.map((t) => t.resumeMs))}`,
      ...(failed ? [`${failed} trials failed to run`] : []),
    ].join(' · '),
  );
}
