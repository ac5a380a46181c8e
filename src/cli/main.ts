// The `huskies` command: the same orchestrator core, headless.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FollowerError, Orchestrator } from '../core/orchestrator';
import { initProject } from '../core/project';
import { isGitRepo, git } from '../core/git/git';
import { which } from '../core/agents/runtimes';
import { STAGES, STAGE_TITLES, isStage, type Stage } from '../core/model/stage';
import { consoleLogger, nullLogger } from '../core/util/log';
import { signalGroup } from '../core/agents/agentProcess';
import { formatMessage } from './format';
import type { RunRecord } from '../core/agents/runRegistry';

const USAGE = `Usage: huskies [-C dir] <command> [options]

Commands:
  init                       create .huskies/ in this git repository
  new <title> [-c "a; b"]    add a story to the backlog (-c: acceptance criteria, ";"-separated)
                             [--type story|bug|spike|refactor]
  status                     stories by stage, agents, runs and configuration problems
  start <n> [--agent name]   start an agent on story n and follow it until it ends
  stop <n>                   stop the agent on story n (its whole process group)
  move <n> <stage>           move story n to backlog|current|qa|merge|done|archived
  log <n>                    print the latest transcript of story n
  followup <n> <text>        resume the latest session on story n with a new prompt, and follow it
  answer <n> <text>          answer the question an agent asked on story n, and follow the resumed run
  ack <agent>                let a drained agent take work again
  agents                     check each agent's program, version and login
  run                        run the orchestrator in the foreground (Ctrl+C stops it)
`;

function simAgentPath(): string {
  const candidates = [path.join(__dirname, 'sim-agent.js'), path.join(__dirname, '..', '..', 'dist', 'sim-agent.js')];
  return process.env.HUSKIES_SIM_AGENT ?? candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

/** The project root: the nearest folder upwards with .huskies/project.toml, else the given one. */
function findRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.huskies', 'project.toml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start);
    dir = up;
  }
}

class UsageError extends Error {}

function storyNumber(v: string | undefined): number {
  if (!v || !/^\d+$/.test(v)) throw new UsageError(`expected a story number, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  return Number(v);
}

const out = (s = '') => process.stdout.write(`${s}\n`);

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      C: { type: 'string', short: 'C' },
      criteria: { type: 'string', short: 'c' },
      type: { type: 'string' },
      agent: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    out(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  const cwd = values.C ?? process.cwd();
  const root = cmd === 'init' ? path.resolve(cwd) : findRoot(cwd);
  // Transitions and run endings are printed by the commands themselves; the log adds warnings and errors.
  const log = consoleLogger();
  const warnings = { ...log, info: () => undefined };
  const make = (opts: { watch?: boolean; autoAssign?: boolean; quiet?: boolean } = {}) =>
    new Orchestrator({ root, simAgentPath: simAgentPath(), logger: opts.quiet ? nullLogger : warnings, owner: 'cli', watch: opts.watch ?? false, autoAssign: opts.autoAssign ?? false });

  switch (cmd) {
    case 'init': {
      if (!(await isGitRepo(root))) {
        await git(root, ['init', '-q']);
        out(`Initialized a git repository in ${root}`);
      }
      const res = await initProject(root, { claudeFound: !!which('claude') });
      if (res.created.length) for (const f of res.created) out(`created ${f}`);
      else out('.huskies/ is already set up; nothing changed.');
      return 0;
    }
    case 'new': {
      const title = rest.join(' ').trim();
      if (!title) throw new UsageError('new needs a title, e.g. huskies new "Add a login form"');
      const type = values.type ?? 'story';
      if (!['story', 'bug', 'spike', 'refactor'].includes(type)) throw new UsageError(`--type must be story, bug, spike or refactor, not "${type}"`);
      const o = make({ quiet: true });
      await o.start();
      try {
        const item = await o.createStory({ name: title, type: type as 'story', criteria: (values.criteria ?? '').split(';').map((s) => s.trim()).filter(Boolean) });
        out(`#${item.id} ${item.name} → ${path.relative(root, item.path)}`);
      } finally {
        await o.dispose();
      }
      return 0;
    }
    case 'status':
      return status(make({ quiet: true }));
    case 'move': {
      const id = storyNumber(rest[0]);
      const stage = rest[1];
      if (!isStage(stage)) throw new UsageError(`the stage must be one of ${STAGES.join(', ')}`);
      const o = make({ quiet: true });
      await o.start();
      try {
        const it = await o.store.move(id, stage as Stage);
        out(`#${id} is now in ${it.stage} (${path.relative(root, it.path)})`);
      } finally {
        await o.dispose();
      }
      return 0;
    }
    case 'log': {
      const id = storyNumber(rest[0]);
      const o = make({ quiet: true });
      await o.start();
      try {
        const run = o.snapshot().latestRun.get(id);
        if (!run) {
          out(`No agent has run on story ${id}.`);
          return 1;
        }
        for (const r of await o.readTranscriptAfter(run.runId, 0, Infinity)) {
          const line = formatMessage(r.msg);
          if (line) out(`${String(r.seq).padStart(5)} ${line}`);
        }
      } finally {
        await o.dispose();
      }
      return 0;
    }
    case 'stop': {
      const id = storyNumber(rest[0]);
      const o = make({ quiet: true });
      await o.start();
      try {
        const run = o.activeRun(id);
        if (!run) {
          out(`Story ${id} has no agent running or queued.`);
          return 1;
        }
        if (o.follower) {
          // The process that drives the project owns the run; its group ends and that process records it.
          if (run.pid && signalGroup(run.pid, 'SIGTERM')) out(`Sent SIGTERM to the agent's process group (${run.pid}) on story ${id}.`);
          else out(`The agent on story ${id} is not running any more.`);
        } else {
          o.stopAgent(id);
          out(`Stopped the agent on story ${id}.`);
        }
      } finally {
        await o.dispose();
      }
      return 0;
    }
    case 'start':
      return start(make({ watch: true, autoAssign: false }), storyNumber(rest[0]), (o) => o.startAgent(storyNumber(rest[0]), { agent: values.agent }), !!values.quiet);
    case 'followup':
    case 'answer': {
      const id = storyNumber(rest[0]);
      const text = rest.slice(1).join(' ').trim();
      if (!text) throw new UsageError(`${cmd} needs the text after the story number`);
      return start(make({ watch: true, autoAssign: false }), id, (o) => (cmd === 'answer' ? o.answer(id, text) : o.followUp(id, text)), !!values.quiet);
    }
    case 'ack': {
      const name = rest[0];
      if (!name) throw new UsageError('ack needs an agent name');
      const o = make({ quiet: true });
      await o.start();
      try {
        out(o.acknowledgeAgent(name) ? `${name} takes work again.` : `${name} was not drained.`);
      } finally {
        await o.dispose();
      }
      return 0;
    }
    case 'agents': {
      const o = make({ quiet: true });
      await o.start();
      try {
        const res = await o.runPreflight();
        for (const p of res) out(`${p.ok ? '✓' : '✗'} ${p.agent} (${p.runtime}): ${p.message}`);
        return res.every((p) => p.ok) ? 0 : 1;
      } finally {
        await o.dispose();
      }
    }
    case 'run':
      return run(make({ watch: true, autoAssign: true }), !!values.quiet);
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

async function status(o: Orchestrator): Promise<number> {
  await o.start();
  try {
    const snap = o.snapshot();
    if (!snap.initialized) {
      out(`${snap.root} has no Huskies project: run \`huskies init\`.`);
      return 1;
    }
    out(`Project ${snap.root}`);
    out(`max_coders ${snap.maxCoders}`);
    if (o.follower) out(`Driven by pid ${o.follower.pid} (${o.follower.by}) since ${o.follower.startedAt}`);
    for (const p of snap.problems) out(`! ${p}`);
    for (const stage of STAGES) {
      const items = snap.items.filter((i) => i.stage === stage);
      out(`\n${STAGE_TITLES[stage]} (${items.length})`);
      for (const it of items) {
        const run = snap.latestRun.get(it.id);
        const runText = run ? ` [${run.agent || 'agent'}: ${run.status}${run.reason ? ` — ${run.reason}` : ''}]` : '';
        const crit = it.criteria.length ? ` ${it.criteria.filter((c) => c.done).length}/${it.criteria.length}` : '';
        out(`  #${it.id} ${it.name}${crit}${it.blocked ? ` BLOCKED: ${it.blockedReason ?? ''}` : ''}${it.invalid ? ` INVALID: ${it.invalid}` : ''}${runText}`);
      }
    }
    await o.runPreflight();
    const s2 = o.snapshot();
    out('\nAgents');
    for (const a of s2.agents) {
      const pf = s2.preflight.find((p) => p.agent === a.name);
      const rl = o.agentState.rateLimit(a, Date.now());
      const drained = s2.drained[a.name];
      const cost = s2.costByAgent.get(a.name);
      out(`  ${pf?.ok === false ? '✗' : '✓'} ${a.name} (${a.runtime}${a.builtIn ? ', built-in default' : ''}): ${pf?.message ?? ''}${rl ? ` · RATE-LIMITED until ${new Date(rl.until).toISOString()}` : ''}${drained ? ` · DRAINED (${drained.reason}); \`huskies ack ${a.name}\`` : ''}${cost ? ` · $${cost.costUsd.toFixed(4)} over ${cost.runs} runs` : ''}`);
    }
    for (const t of s2.timers) out(`  ⏲ story #${t.storyId} resumes at ${new Date(t.at).toISOString()} (${t.reason})`);
    if (s2.paused) out(`! ${s2.paused}`);
    const total = o.usage.totals().all;
    out(`\n${snap.running} running, ${snap.queued} queued · ${snap.runs.length} runs recorded · today $${s2.spentToday.toFixed(4)} · all time $${total.costUsd.toFixed(4)} (${total.inputTokens} in / ${total.outputTokens} out tokens)`);
    return 0;
  } finally {
    await o.dispose();
  }
}

function follow(o: Orchestrator, filter?: number): { dispose(): void } {
  const names = new Map<string, string>();
  return o.subscribe('*', (batch) => {
    const run = o.registry.get(batch.runId);
    if (!run || (filter !== undefined && run.storyId !== filter)) return;
    if (!names.has(batch.runId)) names.set(batch.runId, `#${run.storyId} ${run.agent}`);
    for (const r of batch.records) {
      const line = formatMessage(r.msg);
      if (line) out(`[${names.get(batch.runId)}] ${line}`);
    }
  });
}

function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) {
      out(`\n${sig} again: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    out(`\n${sig}: stopping agents (their sessions resume on the next start)…`);
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
}

async function start(o: Orchestrator, id: number, begin: (o: Orchestrator) => Promise<RunRecord>, quiet: boolean): Promise<number> {
  await o.start();
  o.on('transition', (e: { id: number; from: string | null; to: string | null; source: string }) => out(`#${e.id}: ${e.from ?? '∅'} → ${e.to ?? '∅'} (${e.source})`));
  let run: RunRecord;
  try {
    run = await begin(o);
  } catch (err) {
    await o.dispose();
    if (err instanceof FollowerError) {
      out(err.message);
      return 0;
    }
    throw err;
  }
  const sub = quiet ? undefined : follow(o, id);
  onSignal(() => o.dispose());
  const ended = await new Promise<{ status: string; reason?: string }>((resolve) => {
    o.on('runEnded', (r: { runId: string; status: string; reason?: string }) => {
      if (r.runId === run.runId) resolve(r);
    });
  });
  o.hub.flush();
  sub?.dispose();
  const stage = o.store.get(id)?.stage;
  await o.dispose();
  out(`Story ${id}: agent ${ended.status}${ended.reason ? ` — ${ended.reason}` : ''}; the story is in ${stage}.`);
  return ended.status === 'succeeded' ? 0 : 1;
}

async function run(o: Orchestrator, quiet: boolean): Promise<number> {
  await o.start();
  if (o.follower) {
    out(`Another Huskies orchestrator (pid ${o.follower.pid}, ${o.follower.by}) already drives ${o.root}.`);
    await o.dispose();
    return 1;
  }
  out(`Huskies is running on ${o.root} (Ctrl+C to stop).`);
  o.on('transition', (e: { id: number; from: string | null; to: string | null; source: string; reason?: string }) => out(`#${e.id}: ${e.from ?? '∅'} → ${e.to ?? '∅'} (${e.source})${e.reason ? ` ${e.reason}` : ''}`));
  o.on('runEnded', (r: { storyId: number; agent: string; status: string; reason?: string }) => out(`#${r.storyId}: ${r.agent} ${r.status}${r.reason ? ` — ${r.reason}` : ''}`));
  if (!quiet) follow(o);
  await new Promise<void>((resolve) => onSignal(async () => {
    await o.dispose();
    resolve();
  }));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) process.stderr.write(`huskies: ${err.message}\n\n${USAGE}`);
      else process.stderr.write(`huskies: ${(err as Error).message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
