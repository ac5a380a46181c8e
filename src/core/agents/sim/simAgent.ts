// The built-in simulated agent: a small program that speaks Claude Code's stream-json,
// makes real edits in its working directory (one file per acceptance criterion) and
// commits them. It needs no key and no network. Its behaviour is chosen by the story's
// front matter (`sim: fail`) or the HUSKIES_SIM environment variable:
//   success (default) | fail | crash | hang | hang-hard | flood | rate_limit | no_commit | slow | question
//   | retry (one announced API retry wait of HUSKIES_SIM_RETRY_MS, then success) | overloaded | auth | network
//   | stream (HUSKIES_SIM_RATE messages a second for HUSKIES_SIM_SECONDS, then success: see simStream.ts)
// The last three end as Claude Code does after its retries (529, 401, connection refused).
// As a QA agent or a mergemaster (HUSKIES_AGENT_ROLE) it reviews or resolves instead: see simRoles.ts.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runRole } from './simRoles';
import { runStream, streamPlan } from './simStream';

interface Args {
  prompt: string;
  resume?: string;
  sessionId?: string;
  model: string;
  maxTurns?: number;
}

// As Claude Code's: -p/--print is a switch, the prompt is the positional argument ("--" ends the options).
function parseArgs(argv: string[]): Args {
  const a: Args = { prompt: '', model: 'sim' };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    const next = () => argv[++i] ?? '';
    if (v === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (v === '-p' || v === '--print' || v === '--verbose') continue;
    if (v === '--resume' || v === '-r') a.resume = next();
    else if (v === '--session-id') a.sessionId = next();
    else if (v === '--model') a.model = next();
    else if (v === '--max-turns') a.maxTurns = Number(next());
    else if (v === '--append-system-prompt' || v === '--permission-mode' || v === '--max-budget-usd' || v === '--output-format') next();
    else if (v.startsWith('-') && v.length > 1) {
      process.stderr.write(`error: unknown option '${v}'\n`);
      process.exit(1);
    } else positional.push(v);
  }
  a.prompt = positional.join(' ');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const cwd = process.cwd();
const sessionId = args.resume ?? args.sessionId ?? randomUUID();
const delayMs = Number(process.env.HUSKIES_SIM_DELAY_MS ?? 250);
let msgCounter = 0;
let turns = 0;
const started = Date.now();

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ ...obj, session_id: sessionId, uuid: randomUUID() }) + '\n');
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assistant(block: Record<string, unknown>): void {
  emit({
    type: 'assistant',
    message: {
      id: `msg_sim${++msgCounter}`,
      type: 'message',
      role: 'assistant',
      model: args.model,
      content: [block],
      stop_reason: null,
      usage: { input_tokens: 1000, output_tokens: 40 },
    },
    parent_tool_use_id: null,
  });
}

function toolResult(id: string, content: string, isError = false): void {
  emit({
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content, is_error: isError }] },
    parent_tool_use_id: null,
    timestamp: new Date().toISOString(),
  });
}

function result(ok: boolean, text: string, extra: Record<string, unknown> = {}): void {
  const usage = { input_tokens: 1200 * Math.max(1, turns), output_tokens: 150 * Math.max(1, turns), cache_creation_input_tokens: 0, cache_read_input_tokens: 800 * turns };
  const cost = ok ? Number(((0.003 * usage.input_tokens) / 1000 + (0.015 * usage.output_tokens) / 1000).toFixed(6)) : 0;
  emit({
    type: 'result',
    subtype: ok ? 'success' : 'error_during_execution',
    is_error: !ok,
    duration_ms: Date.now() - started,
    num_turns: Math.max(1, turns),
    result: text,
    stop_reason: 'end_turn',
    total_cost_usd: cost,
    usage,
    modelUsage: {
      [args.model]: {
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
        cacheReadInputTokens: usage.cache_read_input_tokens,
        cacheCreationInputTokens: 0,
        costUSD: cost,
      },
    },
    permission_denials: [],
    ...extra,
  });
}

/** The lines Claude Code prints when a request keeps failing (agent-clis.md §2.3). */
function apiFailure(mode: 'overloaded' | 'auth' | 'network'): void {
  const f = {
    overloaded: { status: 529, error: 'overloaded', text: 'API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.' },
    auth: { status: 401, error: 'authentication_failed', text: 'Invalid API key · Fix external API key' },
    network: { status: null, error: 'unknown', text: 'API Error: Unable to connect to API (ConnectionRefused)' },
  }[mode];
  for (const attempt of [1, 2]) emit({ type: 'system', subtype: 'api_retry', attempt, max_retries: 2, retry_delay_ms: 10 * attempt, error_status: f.status, error: f.error });
  emit({
    type: 'assistant',
    message: {
      id: `msg_sim${++msgCounter}`,
      type: 'message',
      role: 'assistant',
      model: '<synthetic>',
      content: [{ type: 'text', text: f.text }],
      stop_reason: 'stop_sequence',
      usage: { input_tokens: 0, output_tokens: 0 },
    },
    parent_tool_use_id: null,
    error: f.error,
  });
  result(false, f.text, { subtype: 'success', api_error_status: f.status });
}

interface Story {
  id: string;
  name: string;
  criteria: string[];
  mode: string;
}

function readStoryText(): string {
  const file = process.env.HUSKIES_STORY_FILE;
  try {
    return file ? fs.readFileSync(file, 'utf8') : '';
  } catch {
    return ''; // the story may have moved; work from the prompt
  }
}

function readStory(): Story {
  const text = readStoryText();
  const mode = /^sim:\s*([a-z_-]+)\s*$/m.exec(text)?.[1] ?? process.env.HUSKIES_SIM ?? 'success';
  const name = /^name:\s*(.+)$/m.exec(text)?.[1]?.replace(/^["']|["']$/g, '') ?? 'story';
  const criteria = [...text.matchAll(/^\s*[-*]\s+\[[ xX]\]\s+(.+)$/gm)].map((m) => m[1].trim());
  return { id: process.env.HUSKIES_STORY_ID ?? '0', name, criteria, mode };
}

function slug(s: string, i: number): string {
  return `${String(i + 1).padStart(2, '0')}_${
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, 40) || 'criterion'
  }`;
}

let toolCounter = 0;
async function tool(name: string, input: Record<string, unknown>, run: () => string): Promise<void> {
  const id = `toolu_sim${++toolCounter}`;
  turns++;
  assistant({ type: 'tool_use', id, name, input });
  await sleep(delayMs);
  try {
    toolResult(id, run());
  } catch (err) {
    toolResult(id, `Error: ${(err as Error).message}`, true);
  }
}

function gitRun(gitArgs: string[]): string {
  return execFileSync('git', gitArgs, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function main(): Promise<void> {
  if (!process.argv.includes('--verbose') && process.argv.includes('stream-json')) {
    process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
    process.exit(1);
  }
  const story = readStory();
  emit({
    type: 'system',
    subtype: 'init',
    cwd,
    model: args.model,
    tools: ['Write', 'Bash'],
    mcp_servers: [],
    permissionMode: 'bypassPermissions',
    apiKeySource: 'none',
    claude_code_version: 'sim',
  });
  await sleep(delayMs);

  const role = process.env.HUSKIES_AGENT_ROLE;
  if (role === 'qa' || role === 'mergemaster') {
    const text = readStoryText();
    const key = role === 'qa' ? 'sim_qa' : 'sim_merge';
    const mode = new RegExp(`^${key}:\\s*([a-z_-]+)\\s*$`, 'm').exec(text)?.[1];
    const r = await runRole(role, { cwd, story, mode, tool, say: (t) => assistant({ type: 'text', text: t }), git: gitRun });
    result(r.ok, r.text);
    return;
  }

  switch (story.mode) {
    case 'crash':
      assistant({ type: 'text', text: 'Starting, then crashing on purpose.' });
      process.stderr.write('sim: simulated crash\n');
      return process.exit(2);
    case 'hang':
    case 'hang-hard': {
      assistant({ type: 'text', text: 'Starting, then hanging on purpose.' });
      // A grandchild in the same process group: stopping the run must take it down too.
      const child = spawn('sleep', ['3600'], { stdio: 'ignore' });
      if (process.env.HUSKIES_SIM_PIDFILE) fs.writeFileSync(process.env.HUSKIES_SIM_PIDFILE, `${process.pid}\n${child.pid}\n`);
      if (story.mode === 'hang-hard') process.on('SIGTERM', () => process.stderr.write('sim: ignoring SIGTERM\n'));
      await new Promise(() => undefined);
      return;
    }
    case 'rate_limit': {
      if (args.resume) break; // the limit has lifted by the time the orchestrator resumes the session
      assistant({ type: 'text', text: `Starting story ${story.id}; the usage limit is about to hit.` });
      const inS = Number(process.env.HUSKIES_SIM_RESET_S ?? 3600);
      const resetsAt = Math.floor(Date.now() / 1000) + (Number.isFinite(inS) && Math.abs(inS) < 1e9 ? inS : 3600);
      emit({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: 'five_hour', isUsingOverage: false } });
      const when = new Date(resetsAt * 1000).toISOString().slice(11, 16);
      emit({
        type: 'assistant',
        message: {
          id: `msg_sim${++msgCounter}`,
          type: 'message',
          role: 'assistant',
          model: '<synthetic>',
          content: [{ type: 'text', text: `You've hit your session limit · resets ${when} (UTC)` }],
          stop_reason: 'stop_sequence',
          usage: { input_tokens: 0, output_tokens: 0 },
        },
        parent_tool_use_id: null,
        error: 'rate_limit',
      });
      result(false, `You've hit your session limit · resets ${when} (UTC)`, { subtype: 'success', api_error_status: 429 });
      return process.exit(1);
    }
    case 'retry': {
      const wait = Number(process.env.HUSKIES_SIM_RETRY_MS ?? 2000);
      emit({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 2, retry_delay_ms: wait, error_status: 529, error: 'overloaded' });
      await sleep(wait); // silent, as Claude Code is while it waits to retry
      break;
    }
    case 'overloaded':
    case 'auth':
    case 'network':
      apiFailure(story.mode);
      return process.exit(1);
    case 'flood': {
      const mb = Number(process.env.HUSKIES_SIM_FLOOD_MB ?? 20);
      const line = 'x'.repeat(1000);
      let written = 0;
      while (written < mb * 1024 * 1024) {
        assistant({ type: 'text', text: line });
        written += 1100;
        if (written % (256 * 1024) < 1100) await new Promise((r) => setImmediate(r));
      }
      break;
    }
    case 'stream':
      await runStream(streamPlan(process.env), (b) => (b.role === 'assistant' ? assistant(b.block) : toolResult(b.toolUseId, b.content)));
      break;
    case 'slow':
      await sleep(delayMs * 10);
      break;
    default:
      break;
  }

  if (args.resume) assistant({ type: 'text', text: `Resuming session ${sessionId}: ${args.prompt.slice(0, 200)}` });
  assistant({ type: 'thinking', thinking: `Story ${story.id} has ${story.criteria.length} acceptance criteria; one file each.`, signature: 'sim' });
  assistant({ type: 'text', text: `Working on story ${story.id}: ${story.name}` });
  await sleep(delayMs);

  if (story.mode === 'fail') {
    await tool('Bash', { command: 'false', description: 'A step that fails on purpose' }, () => {
      throw new Error('Exit code 1');
    });
    result(false, 'The simulated agent failed on purpose (sim: fail).');
    process.exit(1);
  }

  if (story.mode === 'question' && !args.resume) {
    const q = { question: `Which greeting should story ${story.id} use?`, options: ['Hello', 'Hi'] };
    await tool('Write', { file_path: path.join(cwd, '.huskies-question.json'), content: JSON.stringify(q) }, () => {
      fs.writeFileSync(path.join(cwd, '.huskies-question.json'), JSON.stringify(q, null, 2));
      return 'File created successfully';
    });
    result(true, 'I have a question before I go on.');
    return;
  }

  const dir = path.join('huskies-sim', `story-${story.id.replace(/[^0-9]/g, '') || '0'}`);
  const criteria = story.criteria.length ? story.criteria : [story.name];
  for (const [i, c] of criteria.entries()) {
    if (args.maxTurns && turns >= args.maxTurns) {
      result(false, `Reached maximum number of turns (${args.maxTurns})`, {
        subtype: 'error_max_turns',
        errors: [`Reached maximum number of turns (${args.maxTurns})`],
        terminal_reason: 'max_turns',
      });
      process.exit(1);
    }
    assistant({ type: 'text', text: `Criterion ${i + 1}: ${c}` });
    const rel = path.join(dir, `${slug(c, i)}.md`);
    const content = `# ${c}\n\nDone for story ${story.id} (${story.name}) by the simulated agent.\n`;
    await tool('Write', { file_path: path.join(cwd, rel), content }, () => {
      fs.mkdirSync(path.join(cwd, dir), { recursive: true });
      fs.writeFileSync(path.join(cwd, rel), content);
      return `File created successfully at: ${path.join(cwd, rel)}`;
    });
  }
  if (story.mode !== 'no_commit') {
    await tool('Bash', { command: `git add -A && git commit -m "story ${story.id}: ${story.name}"`, description: 'Commit the work' }, () => {
      gitRun(['add', '-A', '--', dir]);
      return gitRun(['-c', 'user.name=Huskies Sim', '-c', 'user.email=sim@huskies.invalid', 'commit', '-m', `story ${story.id}: ${story.name}`]).trim();
    });
  }
  assistant({ type: 'text', text: `Done: ${criteria.length} criteria handled.` });
  result(true, `Done: ${criteria.length} criteria handled.`);
}

main().catch((err) => {
  process.stderr.write(`sim: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
