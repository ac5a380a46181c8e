// One launch recipe per agent program: the flags that make it stream, edit without asking
// and resume a session; the prompt is passed as one argument (never through a shell) in a
// place where the program can never read it as an option, even when it starts with "-".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentSpec, RuntimeName } from '../config/config';
import type { LaunchSpec } from './agentProcess';

export interface LaunchContext {
  prompt: string;
  worktree: string;
  storyId: number;
  storyFile: string;
  resumeSessionId?: string;
  /** Absolute path of the built-in simulated agent script (dist/sim-agent.js). */
  simAgentPath: string;
  /** The Node binary for the sim agent (the extension host's, with ELECTRON_RUN_AS_NODE). */
  nodePath: string;
  /** Overrides the program found on PATH, e.g. from a VS Code setting. */
  programOverride?: Partial<Record<RuntimeName, string>>;
  baseEnv: NodeJS.ProcessEnv;
  isRoot: boolean;
  /** The user's git identity (from the repository's config), for agents whose shell hides it. */
  gitIdentity?: { name: string; email: string };
  /** The orchestrator's MCP endpoint and this run's token (acting for its story only). */
  mcp?: { url: string; token: string; /** Gemini's settings file for the run: <worktree>/.gemini/settings.json, written by the pool, no secret in it. */ geminiSettings?: string };
}

/** The name agents know the orchestrator's MCP server by: its tools are mcp__huskies__<tool>. */
export const MCP_SERVER_NAME = 'huskies';
/** The tools the MCP server offers (for Claude Code's --allowedTools). */
export const MCP_TOOL_NAMES = [
  'status',
  'get_story',
  'check_criterion',
  'create_story',
  'move_story',
  'ask_question',
  'run_tests',
  'test_result',
  'report_progress',
  'schedule_timer',
  'list_timers',
  'cancel_timer',
  'create_trigger',
  'list_triggers',
  'cancel_trigger',
];

/** Claude Code's --mcp-config: the token is read from HUSKIES_MCP_TOKEN, so it is not in the process's arguments. */
export function claudeMcpConfig(url: string): string {
  return JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: { type: 'http', url, headers: { Authorization: 'Bearer ${HUSKIES_MCP_TOKEN}' } } } });
}

/** Gemini CLI's settings for a run: the server with its token read from the environment. */
export function geminiMcpSettings(url: string): string {
  return JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: { httpUrl: url, headers: { Authorization: 'Bearer ${HUSKIES_MCP_TOKEN}' }, trust: true } } }, null, 2);
}

/** The first line of the .gitignore that marks a worktree's .gemini/ folder as the orchestrator's. */
const GEMINI_DIR_MARK = '# Huskies: the Gemini CLI settings of the agent running here (removed when the run ends).';

/**
 * Gemini CLI (0.61) takes MCP servers from settings files only, and skips the file named by
 * GEMINI_CLI_SYSTEM_SETTINGS_PATH unless it and every folder above it are owned by root and
 * writable by root alone. So the run's server goes in the worktree's workspace settings,
 * <worktree>/.gemini/settings.json (read because the launch trusts the folder), with a .gitignore
 * that keeps the folder out of the agent's commits. A .gemini/ folder of the project's own is
 * left alone: then this throws and Gemini CLI runs without the orchestrator's tools.
 */
export function writeGeminiWorkspaceSettings(worktree: string, url: string): string {
  const dir = path.join(worktree, '.gemini');
  if (fs.existsSync(dir) && !isOrchestratorGeminiDir(dir))
    throw new Error(`${dir} is the project's own (Gemini CLI would read the MCP server from settings.json there), so it is left unchanged`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.gitignore'), `${GEMINI_DIR_MARK}\n*\n`);
  const file = path.join(dir, 'settings.json');
  fs.writeFileSync(file, geminiMcpSettings(url), { mode: 0o600 });
  return file;
}

/** Removes the .gemini/ folder writeGeminiWorkspaceSettings made (never a project's own). */
export function removeGeminiWorkspaceSettings(worktree: string): void {
  const dir = path.join(worktree, '.gemini');
  if (isOrchestratorGeminiDir(dir)) fs.rmSync(dir, { recursive: true, force: true });
}

function isOrchestratorGeminiDir(dir: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').startsWith(GEMINI_DIR_MARK);
  } catch {
    return false;
  }
}

/** Claude Code retries a failing request 10 times by default (minutes against a dead endpoint). */
export const CLAUDE_MAX_RETRIES = '2';

export const RUNTIME_LABELS: Record<RuntimeName, string> = {
  claude: 'Claude Code',
  codex: 'Codex CLI',
  gemini: 'Gemini CLI',
  command: 'The agent command',
  sim: 'The simulated agent',
};

const DEFAULT_PROGRAMS: Record<RuntimeName, string> = { claude: 'claude', codex: 'codex', gemini: 'gemini', command: '', sim: '' };

const INSTALL_HINTS: Record<RuntimeName, string> = {
  claude: 'Install it with `npm install -g @anthropic-ai/claude-code`, or set `program` for this agent in .huskies/agents.toml (or the huskies.agentProgramPath setting).',
  codex: 'Install it with `npm install -g @openai/codex`, or set `program` for this agent in .huskies/agents.toml.',
  gemini: 'Install it with `npm install -g @google/gemini-cli`, or set `program` for this agent in .huskies/agents.toml.',
  command: 'Check the `command` of this agent in .huskies/agents.toml.',
  sim: 'The extension build is incomplete: dist/sim-agent.js is missing. Rebuild with `npm run build`.',
};

/** Looks a program up on PATH the way spawn would; returns the absolute path or undefined. */
export function which(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!program) return undefined;
  if (program.includes('/')) return isExecutable(program) ? path.resolve(program) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, program);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function programFor(agent: AgentSpec, ctx: Pick<LaunchContext, 'programOverride'>): string {
  return agent.program ?? ctx.programOverride?.[agent.runtime] ?? DEFAULT_PROGRAMS[agent.runtime];
}

/** Replaces {{key}} with the value; unknown keys are left as they are so a typo is visible. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, k: string) => (k in vars ? vars[k] : m));
}

export function buildLaunch(agent: AgentSpec, ctx: LaunchContext): LaunchSpec {
  const env: NodeJS.ProcessEnv = {
    ...identityEnv(ctx.gitIdentity),
    ...ctx.baseEnv,
    ...agent.env,
    HUSKIES_STORY_ID: String(ctx.storyId),
    HUSKIES_STORY_FILE: ctx.storyFile,
    HUSKIES_WORKTREE: ctx.worktree,
    /** coder, qa or mergemaster: what the program is asked to do. */
    HUSKIES_AGENT_ROLE: agent.stage,
    ...(ctx.mcp ? { HUSKIES_MCP_URL: ctx.mcp.url, HUSKIES_MCP_TOKEN: ctx.mcp.token } : {}),
  };
  const label = `${RUNTIME_LABELS[agent.runtime]}${agent.runtime === 'command' ? ` (${agent.program})` : ''}`;
  const missingHint = INSTALL_HINTS[agent.runtime];
  const base = { cwd: ctx.worktree, env, label, missingHint };

  switch (agent.runtime) {
    case 'claude': {
      // -p is a switch; the prompt is the positional argument after "--".
      const args = ['-p', '--output-format', 'stream-json', '--verbose'];
      args.push(...claudePermissionArgs(ctx.isRoot, env));
      if (agent.model) args.push('--model', agent.model);
      if (agent.maxTurns) args.push('--max-turns', String(agent.maxTurns));
      if (agent.maxBudgetUsd) args.push('--max-budget-usd', String(agent.maxBudgetUsd));
      if (agent.systemPrompt) args.push('--append-system-prompt', agent.systemPrompt);
      if (ctx.resumeSessionId) args.push('--resume', ctx.resumeSessionId);
      if (ctx.mcp) args.push('--mcp-config', claudeMcpConfig(ctx.mcp.url), '--allowedTools', MCP_TOOL_NAMES.map((t) => `mcp__${MCP_SERVER_NAME}__${t}`).join(','));
      args.push(...agent.args, '--', ctx.prompt);
      env.CLAUDE_CODE_MAX_RETRIES ??= CLAUDE_MAX_RETRIES;
      return { ...base, program: programFor(agent, ctx), args };
    }
    case 'sim': {
      const args = [ctx.simAgentPath, '-p', '--output-format', 'stream-json', '--verbose', '--model', agent.model ?? 'sim'];
      if (agent.maxTurns) args.push('--max-turns', String(agent.maxTurns));
      if (ctx.resumeSessionId) args.push('--resume', ctx.resumeSessionId);
      args.push(...agent.args, '--', ctx.prompt);
      // Under desktop VS Code the host's binary is Electron; this makes it behave as Node.
      return { ...base, env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, program: agent.program ?? ctx.nodePath, args };
    }
    case 'codex': {
      // workspace-write makes every .git read-only, including the main repository's gitdir that a
      // worktree points to, so the agent could not commit; the story's worktree is the boundary instead.
      const flags = ['--json', '-s', 'danger-full-access', '-c', 'approval_policy="never"', '--skip-git-repo-check', '-C', ctx.worktree];
      if (agent.model) flags.push('-m', agent.model);
      if (agent.systemPrompt) flags.push('-c', `developer_instructions=${JSON.stringify(agent.systemPrompt)}`);
      // A streamable HTTP server; Codex sends the bearer token from the named variable.
      if (ctx.mcp)
        flags.push('-c', `mcp_servers.${MCP_SERVER_NAME}.url=${JSON.stringify(ctx.mcp.url)}`, '-c', `mcp_servers.${MCP_SERVER_NAME}.bearer_token_env_var="HUSKIES_MCP_TOKEN"`);
      flags.push(...agent.args);
      // A prompt of just "-" means "read stdin" to Codex, even after "--"; a newline keeps it text.
      const prompt = ['--', ctx.prompt === '-' ? '-\n' : ctx.prompt];
      const args = ctx.resumeSessionId ? ['exec', ...flags, 'resume', ctx.resumeSessionId, ...prompt] : ['exec', ...flags, ...prompt];
      return { ...base, program: programFor(agent, ctx), args };
    }
    case 'gemini': {
      // The attached form: Gemini's parser would take a separate value starting with "-" for a flag.
      const args = [`--prompt=${ctx.prompt}`, '-o', 'stream-json', '--skip-trust', '--approval-mode', 'yolo'];
      if (agent.model) args.push('-m', agent.model);
      if (ctx.resumeSessionId) args.push('--resume', ctx.resumeSessionId);
      args.push(...agent.args);
      // The run's MCP server is in the worktree's own .gemini/settings.json (see writeGeminiWorkspaceSettings),
      // read because the workspace is trusted; the machine's system settings stay the machine's.
      return { ...base, env: { ...env, GEMINI_CLI_TRUST_WORKSPACE: 'true' }, program: programFor(agent, ctx), args };
    }
    case 'command': {
      const vars = { prompt: ctx.prompt, story_id: String(ctx.storyId), worktree: ctx.worktree, story_file: ctx.storyFile, session_id: ctx.resumeSessionId ?? '' };
      const args = agent.args.map((a) => renderTemplate(a, vars));
      return {
        ...base,
        env: { ...env, HUSKIES_PROMPT: ctx.prompt, ...(ctx.resumeSessionId ? { HUSKIES_RESUME_SESSION: ctx.resumeSessionId } : {}) },
        program: agent.program ?? '',
        args,
      };
    }
  }
}

/**
 * GIT_AUTHOR_* / GIT_COMMITTER_* for the identity; merged under the user's environment and the
 * agent's env, so that identity variables set there (which git prefers anyway) win.
 */
function identityEnv(id: LaunchContext['gitIdentity']): NodeJS.ProcessEnv {
  if (!id) return {};
  return { GIT_AUTHOR_NAME: id.name, GIT_AUTHOR_EMAIL: id.email, GIT_COMMITTER_NAME: id.name, GIT_COMMITTER_EMAIL: id.email };
}

/**
 * Claude Code refuses bypass mode as root unless IS_SANDBOX=1. Each run is confined to its own
 * worktree, so: bypassPermissions for everyone, with IS_SANDBOX=1 added only when running as root.
 */
export function claudePermissionArgs(isRoot: boolean, env: NodeJS.ProcessEnv): string[] {
  if (isRoot) env.IS_SANDBOX = '1';
  return ['--permission-mode', 'bypassPermissions'];
}
