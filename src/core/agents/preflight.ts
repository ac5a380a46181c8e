// Preflight per runtime: is the program there, which version, is it logged in? Shown on the
// board and by `huskies status`, so a missing program or login is a clear message up front.
import { execFile } from 'node:child_process';
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

function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function preflight(agent: AgentSpec, opts: { env: NodeJS.ProcessEnv; simAgentPath: string; programOverride?: Partial<Record<string, string>> }): Promise<Preflight> {
  const label = RUNTIME_LABELS[agent.runtime];
  const env = { ...opts.env, ...agent.env };
  const base = { agent: agent.name, runtime: agent.runtime };
  if (agent.runtime === 'sim') {
    const ok = fs.existsSync(opts.simAgentPath);
    return { ...base, ok, program: opts.simAgentPath, loggedIn: true, message: ok ? 'built-in simulated agent: no key or network needed' : `the simulated agent is missing at ${opts.simAgentPath}; rebuild with npm run build` };
  }
  const program = programFor(agent, { programOverride: opts.programOverride as never });
  const found = which(program, env);
  if (!found) {
    const hint = agent.runtime === 'command' ? 'check `command` in .huskies/agents.toml' : `install it (npm install -g ${agent.runtime === 'claude' ? '@anthropic-ai/claude-code' : agent.runtime === 'codex' ? '@openai/codex' : '@google/gemini-cli'}) or set \`program\` in .huskies/agents.toml`;
    return { ...base, ok: false, program, message: `${label} not found (${program || 'no program set'}): ${hint}` };
  }
  if (agent.runtime === 'command') return { ...base, ok: true, program: found, message: `${found}` };
  const v = await run(found, ['--version'], env);
  const version = (v.stdout || v.stderr).trim().split('\n')[0]?.slice(0, 80);
  if (v.code !== 0) return { ...base, ok: false, program: found, message: `${label} at ${found} did not start (${v.code === null ? 'timed out' : `exit ${v.code}`}): ${(v.stderr || v.stdout).trim().split('\n').pop() ?? ''}` };
  let loggedIn: boolean | undefined;
  let how = '';
  if (agent.runtime === 'claude') {
    const a = await run(found, ['auth', 'status'], env);
    try {
      const j = JSON.parse(a.stdout) as { loggedIn?: boolean; authMethod?: string };
      loggedIn = j.loggedIn === true;
      how = j.authMethod ?? '';
    } catch {
      loggedIn = a.code === 0;
    }
    if (!loggedIn) return { ...base, ok: false, program: found, version, loggedIn, message: `${label} ${version} is not logged in: run \`claude\` once and log in, or set ANTHROPIC_API_KEY (in agents.toml env or your environment)` };
  } else if (agent.runtime === 'codex') {
    const a = await run(found, ['login', 'status'], env);
    // `codex login status` knows only the built-in provider; an API key or a custom provider counts too.
    loggedIn = a.code === 0 || !!env.CODEX_API_KEY || agent.args.some((x) => x.startsWith('model_provider='));
    if (!loggedIn) return { ...base, ok: false, program: found, version, loggedIn, message: `${label} ${version} is not logged in: run \`codex login\`, or set CODEX_API_KEY` };
  } else if (agent.runtime === 'gemini') {
    const home = env.HOME ?? os.homedir();
    const hasKey = !!(env.GEMINI_API_KEY || env.GOOGLE_API_KEY || env.GOOGLE_GENAI_USE_VERTEXAI);
    const hasOauth = fs.existsSync(path.join(home, '.gemini', 'oauth_creds.json'));
    loggedIn = hasKey || hasOauth;
    if (!loggedIn) return { ...base, ok: false, program: found, version, loggedIn, message: `${label} ${version} has no credentials (exit 41 on a run): set GEMINI_API_KEY, or run \`gemini\` once and log in` };
  }
  return { ...base, ok: true, program: found, version, loggedIn, message: `${label} ${version}${how ? ` (${how})` : ''}` };
}
