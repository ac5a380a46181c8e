// Preflight per runtime: is the program there, which version, is it logged in? Shown on the
// board and by `huskies status`, so a missing program or login is a clear message up front.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentSpec } from '../config/config';
import { programFor, RUNTIME_LABELS, which } from './runtimes';

export interface Preflight {
  agent: string;
  runtime: string;
  ok: boolean;
  program?: string;
  version?: string;
  /** undefined when it cannot be told without a run. */
  loggedIn?: boolean;
  message: string;
}

/** How long a `--version` or login check may take: a loaded machine can be slow to start a program. */
export const PREFLIGHT_TIMEOUT_MS = 30_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** It did not answer in time (and was stopped, with everything it started). */
  timedOut: boolean;
}

const MAX_OUTPUT = 1024 * 1024;

/** Runs a program in its own process group; on timeout the whole group is killed. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch (err) {
      stderr = (err as Error).message;
      return resolve({ code: null, stdout, stderr, timedOut });
    }
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      done(null);
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(0, MAX_OUTPUT)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-MAX_OUTPUT)));
    child.on('error', (err) => {
      stderr ||= err.message;
      done(null);
    });
    child.on('exit', () => kill()); // whatever it left in its group
    child.on('close', (code) => done(code));
  });
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export interface PreflightOptions {
  env: NodeJS.ProcessEnv;
  simAgentPath: string;
  programOverride?: Partial<Record<string, string>>;
  /** Per check (`--version`, `auth status`); default PREFLIGHT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * What can be told about an agent before a run. A check that does not answer in time is not a
 * failure: `ok` stays true and `loggedIn` unknown, with the reason in the message.
 */
export async function preflight(agent: AgentSpec, opts: PreflightOptions): Promise<Preflight> {
  const label = RUNTIME_LABELS[agent.runtime];
  const timeoutMs = opts.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  const env = { ...opts.env, ...agent.env };
  const base = { agent: agent.name, runtime: agent.runtime };
  if (agent.runtime === 'sim') {
    const ok = fs.existsSync(opts.simAgentPath);
    return {
      ...base,
      ok,
      program: opts.simAgentPath,
      loggedIn: true,
      message: ok ? 'built-in simulated agent: no key or network needed' : `the simulated agent is missing at ${opts.simAgentPath}; rebuild with npm run build`,
    };
  }
  const program = programFor(agent, { programOverride: opts.programOverride as never });
  const found = which(program, env);
  if (!found) {
    const hint =
      agent.runtime === 'command'
        ? 'check `command` in .huskies/agents.toml'
        : `install it (npm install -g ${agent.runtime === 'claude' ? '@anthropic-ai/claude-code' : agent.runtime === 'codex' ? '@openai/codex' : '@google/gemini-cli'}) or set \`program\` in .huskies/agents.toml`;
    return { ...base, ok: false, program, message: `${label} not found (${program || 'no program set'}): ${hint}` };
  }
  if (agent.runtime === 'command') return { ...base, ok: true, program: found, message: `${found}` };
  const v = await run(found, ['--version'], env, timeoutMs);
  if (v.timedOut) {
    return {
      ...base,
      ok: true,
      program: found,
      message: `${label} at ${found}: could not check the version or login (\`${path.basename(found)} --version\` did not answer within ${seconds(timeoutMs)})`,
    };
  }
  const version = (v.stdout || v.stderr).trim().split('\n')[0]?.slice(0, 80);
  if (v.code !== 0)
    return {
      ...base,
      ok: false,
      program: found,
      message: `${label} at ${found} did not start (${v.code === null ? 'no exit status' : `exit ${v.code}`}): ${(v.stderr || v.stdout).trim().split('\n').pop() ?? ''}`,
    };
  let loggedIn: boolean | undefined;
  let how = '';
  const unknownLogin = (what: string): Preflight => ({
    ...base,
    ok: true,
    program: found,
    version,
    message: `${label} ${version}: could not check the login (\`${what}\` did not answer within ${seconds(timeoutMs)})`,
  });
  if (agent.runtime === 'claude') {
    const a = await run(found, ['auth', 'status'], env, timeoutMs);
    if (a.timedOut) return unknownLogin(`${path.basename(found)} auth status`);
    try {
      const j = JSON.parse(a.stdout) as { loggedIn?: boolean; authMethod?: string };
      loggedIn = j.loggedIn === true;
      how = j.authMethod ?? '';
    } catch {
      loggedIn = a.code === 0;
    }
    if (!loggedIn)
      return {
        ...base,
        ok: false,
        program: found,
        version,
        loggedIn,
        message: `${label} ${version} is not logged in: run \`claude\` once and log in, or set ANTHROPIC_API_KEY (in agents.toml env or your environment)`,
      };
  } else if (agent.runtime === 'codex') {
    // `codex login status` knows only the built-in provider; an API key or a custom provider counts too.
    loggedIn = !!env.CODEX_API_KEY || agent.args.some((x) => x.startsWith('model_provider='));
    if (!loggedIn) {
      const a = await run(found, ['login', 'status'], env, timeoutMs);
      if (a.timedOut) return unknownLogin(`${path.basename(found)} login status`);
      loggedIn = a.code === 0;
    }
    if (!loggedIn) return { ...base, ok: false, program: found, version, loggedIn, message: `${label} ${version} is not logged in: run \`codex login\`, or set CODEX_API_KEY` };
  } else if (agent.runtime === 'gemini') {
    const home = env.HOME ?? os.homedir();
    const hasKey = !!(env.GEMINI_API_KEY || env.GOOGLE_API_KEY || env.GOOGLE_GENAI_USE_VERTEXAI);
    const hasOauth = fs.existsSync(path.join(home, '.gemini', 'oauth_creds.json'));
    loggedIn = hasKey || hasOauth;
    if (!loggedIn)
      return {
        ...base,
        ok: false,
        program: found,
        version,
        loggedIn,
        message: `${label} ${version} has no credentials (exit 41 on a run): set GEMINI_API_KEY, or run \`gemini\` once and log in`,
      };
  }
  return { ...base, ok: true, program: found, version, loggedIn, message: `${label} ${version}${how ? ` (${how})` : ''}` };
}
