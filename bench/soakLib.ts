// Helpers for the crash soak (bench/soak.ts): a trial project, what runs.json, the stage folders
// and /proc say about it while leaders come and go, and the `huskies run` processes themselves.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, REPO_ROOT, type TempRepo } from '../test/fixtures/repo';

export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
export const STAGE_DIRS = ['1_backlog', '2_current', '3_qa', '4_merge', '5_done', '6_archived'];

/** The fields of a runs.json record the soak looks at. */
export interface RunRow {
  runId: string;
  storyId: number;
  status: string;
  startedAt?: number;
  endedAt?: number;
  pid?: number;
  supervisorPid?: number;
  handled?: string;
  reason?: string;
}

/** A project with `agents` sim agents (max_coders = agents) and `stories` slow stories in 2_current; QA waits for a
 *  human, so a coded story stays in 3_qa and the soak follows the coding stage alone. */
export async function makeTrialRepo(o: { agents: number; stories: number; delayMs: number }): Promise<TempRepo> {
  const env = `env = { HUSKIES_SIM_DELAY_MS = "${o.delayMs}" }`;
  const agentsToml = Array.from({ length: o.agents }, (_, i) => `[[agent]]\nname = "sim-${i + 1}"\nruntime = "sim"\n${env}\n`).join('\n');
  const repo = await makeRepo({ agentsToml, projectToml: `max_coders = ${o.agents}\ndefault_qa = "human"\n` });
  for (let id = 1; id <= o.stories; id++) repo.story(id, `Soak ${id}`, { stage: '2_current', extra: 'sim: slow\n' });
  return repo;
}

/** runs.json's records; [] before the file exists, undefined when it cannot be parsed (a torn write). */
export function readRuns(dir: string): RunRow[] | undefined {
  return readList<RunRow>(dir, 'runs.json', 'runs');
}

/** How many timers (retry backoffs, rate-limit resumes) are pending in timers.json. */
export function pendingTimers(dir: string): number {
  return readList(dir, 'timers.json', 'timers')?.length ?? 0;
}

function readList<T>(dir: string, file: string, key: string): T[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, '.huskies', file), 'utf8');
  } catch {
    return [];
  }
  try {
    return (JSON.parse(text) as Record<string, T[]>)[key] ?? [];
  } catch {
    return undefined;
  }
}

/** Story number → the stage folders holding a file with that number. */
export function stagesOf(dir: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const stage of STAGE_DIRS) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(dir, '.huskies', 'work', stage));
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^(\d+)_.*\.md$/.exec(n);
      if (m) out.set(Number(m[1]), [...(out.get(Number(m[1])) ?? []), stage]);
    }
  }
  return out;
}

export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
  cwd: string;
}

/** Live processes (zombies excluded) whose working directory is inside dir or whose command line names it. */
export function procsUnder(dir: string): Proc[] {
  const out: Proc[] = [];
  for (const e of fs.readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* exiting, or not ours to read */
      }
      if (cwd === dir || cwd.startsWith(dir + path.sep) || cmd.includes(dir)) out.push({ pid, ppid: Number(ppid), cmd, cwd });
    } catch {
      /* gone between the listing and the read */
    }
  }
  return out;
}

/** The story a simulated agent works on, from its worktree folder (.huskies/worktrees/<n>_<slug>). */
export function simAgentStory(dir: string, p: Proc): number | undefined {
  if (!p.cmd.includes('sim-agent')) return undefined;
  const m = /^\.huskies\/worktrees\/(\d+)_/.exec(path.relative(dir, p.cwd));
  return m ? Number(m[1]) : undefined;
}

/** Pairs of runs of one story whose [startedAt, endedAt] intervals overlap (a run not ended lasts forever). */
export function overlappingRuns(runs: RunRow[]): [RunRow, RunRow][] {
  const out: [RunRow, RunRow][] = [];
  const started = runs.filter((r) => r.startedAt !== undefined);
  for (const [i, a] of started.entries())
    for (const b of started.slice(i + 1)) if (a.storyId === b.storyId && a.startedAt! < (b.endedAt ?? Infinity) && b.startedAt! < (a.endedAt ?? Infinity)) out.push([a, b]);
  return out;
}

/** Everything seen about one trial project, sample after sample. */
export class Observer {
  readonly twoStages = new Set<number>();
  readonly twoRuns = new Set<number>();
  /** Stories on which two agent processes (not one the other's child) were seen at once, with the first such sighting. */
  readonly twoAgents = new Map<number, Proc[]>();
  /** Samples in which runs.json could not be parsed: it is written atomically, so there must be none. */
  tornReads = 0;
  runs: RunRow[] = [];
  stages = new Map<number, string[]>();
  /** Live sim agent processes by story, from the last sample. */
  agents = new Map<number, Proc[]>();

  constructor(readonly dir: string) {}

  sample(): void {
    const runs = readRuns(this.dir);
    if (runs) this.runs = runs;
    else this.tornReads++;
    const running = new Map<number, number>();
    for (const r of this.runs) if (r.status === 'running') running.set(r.storyId, (running.get(r.storyId) ?? 0) + 1);
    for (const [id, n] of running) if (n > 1) this.twoRuns.add(id);
    this.stages = stagesOf(this.dir);
    for (const [id, s] of this.stages) if (s.length > 1) this.twoStages.add(id);
    this.agents = new Map();
    const sims = procsUnder(this.dir).filter((p) => simAgentStory(this.dir, p) !== undefined);
    const simPids = new Set(sims.map((p) => p.pid));
    // A child forked by an agent (for git) shows the agent's command line until it execs: not a second agent.
    for (const p of sims.filter((q) => !simPids.has(q.ppid))) {
      const id = simAgentStory(this.dir, p)!;
      this.agents.set(id, [...(this.agents.get(id) ?? []), p]);
    }
    for (const [id, procs] of this.agents) if (procs.length > 1 && !this.twoAgents.has(id)) this.twoAgents.set(id, procs);
  }

  /** The latest run of a story in the last sample. */
  latest(id: number): RunRow | undefined {
    return this.runs.filter((r) => r.storyId === id).at(-1);
  }

  inQa(id: number): boolean {
    return this.stages.get(id)?.includes('3_qa') ?? false;
  }
}

/** A `huskies run --quiet` child with its output; `ready` once it says it runs (start-up reconciliation done). */
export interface Leader {
  child: ChildProcess;
  output(): string;
  ready: boolean;
  readyAt?: number;
  exited: Promise<number | null>;
}

export function startLeader(dir: string, env: NodeJS.ProcessEnv): Leader {
  const child = spawn(process.execPath, [CLI, 'run', '--quiet'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const leader: Leader = {
    child,
    output: () => out,
    ready: false,
    exited: new Promise((r) => child.once('exit', (code, sig) => r(code ?? (sig ? -1 : null)))),
  };
  const take = (d: Buffer) => {
    out += d;
    if (!leader.ready && /Huskies is running/.test(out)) {
      leader.ready = true;
      leader.readyAt = Date.now();
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return leader;
}

export const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** SIGKILLs every process still working in or naming the folder (the soak's own leftovers, by pid); again while a
 *  supervisor killed in one round may have started its agent just before. */
export function killUnder(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const left = procsUnder(dir);
    if (!left.length) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
