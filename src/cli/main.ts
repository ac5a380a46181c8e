// The `huskies` command: the same orchestrator core, headless, through the core's facade.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Huskies, STAGES, consoleLogger, git, initProject, isGitRepo, isStage, nullLogger, redact, which, type HuskiesOptions, type Stage } from '../core/api';
import { formatMessage } from './format';
import { out, run, start, status } from './session';
import { CONTROL_USAGE, controlCommand } from './control';
import { MCP_TOKEN_USAGE, mcpTokenCommand } from './mcpToken';
import { SCHEDULE_USAGE, scheduleCommand, scheduleCommandIndex } from './schedule';
import { UsageError, storyNumber } from './usage';

const USAGE = `Usage: huskies [-C dir] <command> [options]

Commands:
  init                       create .huskies/ in this git repository
  new <title> [-c "a; b"]    add a story to the backlog (-c: acceptance criteria, ";"-separated)
                             [--type story|bug|spike|refactor]
  status                     stories by stage, agents, runs and configuration problems
  start <n> [--agent name]   start an agent on story n and follow it until it ends
  stop <n>                   stop the agent on story n (its whole process group)
  move <n> <stage>           move story n to backlog|current|qa|merge|done|archived
  unblock <n>                clear the block on story n (its agent starts again)
  approve <n>                approve story n in QA: it moves on to merge
  reject <n> <feedback>      reject story n in QA: back to its coder, who gets the feedback
  demote <n>                 move story n back to the backlog (its agent is stopped)
  fixup <n>                  send story n, whose merge failed, back to current for its coder
  abandon <n> <reason>       archive story n with the reason
  log <n>                    print the latest transcript of story n
  followup <n> <text>        resume the latest session on story n with a new prompt, and follow it
  answer <n> <text>          answer the question an agent asked on story n, and follow the resumed run
  ack <agent>                let a drained agent take work again
${CONTROL_USAGE}
${MCP_TOKEN_USAGE}
${SCHEDULE_USAGE}
  agents                     check each agent's program, version and login
  run                        run the orchestrator in the foreground (Ctrl+C stops it)

While another orchestrator (VS Code, or \`huskies run\`) drives the project, the commands that
change something are sent to it and it carries them out; nothing changes if it does not answer.
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

export async function main(argv: string[]): Promise<number> {
  // timer and trigger read their own options: the rest of the line is theirs
  const sched = scheduleCommandIndex(argv);
  const { values, positionals } = parseArgs({
    args: sched >= 0 ? argv.slice(0, sched + 1) : argv,
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
  const make = (opts: { watch?: boolean; autoAssign?: boolean; quiet?: boolean; readOnly?: boolean; runAgents?: boolean } = {}) => {
    const o: HuskiesOptions = {
      root,
      simAgentPath: simAgentPath(),
      supervisorPath: supervisorPath(),
      logger: opts.quiet ? nullLogger : warnings,
      owner: 'cli',
      watch: opts.watch ?? false,
      autoAssign: opts.autoAssign ?? false,
      readOnly: opts.readOnly,
      runAgents: opts.runAgents,
    };
    return new Huskies(o);
  };
  /** A one-shot command: start, act, and leave running agents alone (another process may follow them). */
  const once = async <T>(fn: (o: Huskies) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> => {
    const o = make({ quiet: true, readOnly: opts.readOnly, runAgents: false });
    await o.start();
    try {
      return await fn(o);
    } finally {
      await o.dispose({ stopAgents: false });
    }
  };

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
      return once(async (o) => {
        const item = await o.createStory({
          name: title,
          type: type as 'story',
          source: 'cli',
          criteria: (values.criteria ?? '')
            .split(';')
            .map((s) => s.trim())
            .filter(Boolean),
        });
        out(`#${item.id} ${item.name} → ${path.relative(root, item.path)}`);
        return 0;
      });
    }
    case 'status':
      return status(make({ quiet: true, readOnly: true }));
    case 'move': {
      const id = storyNumber(rest[0]);
      const stage = rest[1];
      if (!isStage(stage)) throw new UsageError(`the stage must be one of ${STAGES.join(', ')}`);
      return once(async (o) => {
        await o.moveStory(id, stage as Stage, 'cli');
        const it = o.store.get(id);
        out(`#${id} is now in ${it?.stage ?? stage}${it ? ` (${path.relative(root, it.path)})` : ''}`);
        return 0;
      });
    }
    case 'approve':
    case 'fixup':
    case 'demote': {
      const id = storyNumber(rest[0]);
      return once(async (o) => {
        if (cmd === 'approve') await o.approve(id, 'cli');
        else if (cmd === 'fixup') await o.fixup(id, 'cli');
        else await o.demote(id, 'cli');
        out(`Story ${id} ${cmd === 'approve' ? 'is approved: it moves on to merge' : cmd === 'fixup' ? 'is back in current for a fix-up' : 'is back in the backlog'}.`);
        return 0;
      });
    }
    case 'reject':
    case 'abandon': {
      const id = storyNumber(rest[0]);
      const text = rest.slice(1).join(' ').trim();
      if (!text) throw new UsageError(cmd === 'reject' ? 'reject needs the feedback for the agent after the story number' : 'abandon needs the reason after the story number');
      return once(async (o) => {
        if (cmd === 'reject') await o.reject(id, text, 'cli');
        else await o.abandon(id, text, 'cli');
        out(`Story ${id} ${cmd === 'reject' ? 'is rejected: back to current with your feedback' : 'is abandoned and archived'}.`);
        return 0;
      });
    }
    case 'unblock': {
      const id = storyNumber(rest[0]);
      return once(async (o) => {
        await o.unblock(id, 'cli');
        out(`Story ${id} is unblocked.`);
        return 0;
      });
    }
    case 'log': {
      const id = storyNumber(rest[0]);
      return once(
        async (o) => {
          const run = o.snapshot().latestRun.get(id);
          if (!run) {
            out(`No agent has run on story ${id}.`);
            return 1;
          }
          for (const r of await o.readTranscriptAfter(run.runId, 0, Infinity)) {
            const line = formatMessage(r.msg, o.secrets());
            if (line) out(`${String(r.seq).padStart(5)} ${line}`);
          }
          return 0;
        },
        { readOnly: true },
      );
    }
    case 'stop': {
      const id = storyNumber(rest[0]);
      return once(async (o) => {
        await o.stopAgent(id, 'cli');
        out(
          o.follower
            ? `Asked the orchestrator that drives the project (pid ${o.follower.pid}) to stop the agent on story ${id}; the stop sticks.`
            : `Stopped the agent on story ${id}.`,
        );
        return 0;
      });
    }
    case 'start':
      return start(
        make({ watch: true, autoAssign: false }),
        storyNumber(rest[0]),
        (o) => o.startAgent(storyNumber(rest[0]), { agent: values.agent, source: 'cli' }),
        !!values.quiet,
      );
    case 'followup':
    case 'answer': {
      const id = storyNumber(rest[0]);
      const text = rest.slice(1).join(' ').trim();
      if (!text) throw new UsageError(`${cmd} needs the text after the story number`);
      return start(make({ watch: true, autoAssign: false }), id, (o) => (cmd === 'answer' ? o.answer(id, text, 'cli') : o.followUp(id, text, 'cli')), !!values.quiet);
    }
    case 'ack': {
      const name = rest[0];
      if (!name) throw new UsageError('ack needs an agent name');
      return once(async (o) => {
        out((await o.acknowledgeAgent(name, 'cli')) ? `${name} takes work again.` : `${name} was not drained.`);
        return 0;
      });
    }
    case 'pause':
    case 'resume':
    case 'note':
      return controlCommand(cmd, rest, once);
    case 'timer':
    case 'trigger':
      return scheduleCommand(cmd, argv.slice(sched), once);
    case 'mcp-token':
      return mcpTokenCommand(root, rest);
    case 'agents':
      return once(
        async (o) => {
          const res = await o.runPreflight();
          for (const p of res) out(`${p.ok ? '✓' : '✗'} ${p.agent} (${p.runtime}): ${p.message}`);
          return res.every((p) => p.ok) ? 0 : 1;
        },
        { readOnly: true },
      );
    case 'run':
      return run(make({ watch: true, autoAssign: true }), !!values.quiet);
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

function supervisorPath(): string | undefined {
  const candidates = [path.join(__dirname, 'supervisor.js'), path.join(__dirname, '..', '..', 'dist', 'supervisor.js')];
  return process.env.HUSKIES_SUPERVISOR ?? candidates.find((c) => fs.existsSync(c));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) process.stderr.write(`huskies: ${err.message}\n\n${USAGE}`);
      else process.stderr.write(`huskies: ${redact((err as Error).message)}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
