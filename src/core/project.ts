// Creating the .huskies/ layout in a git repository (Huskies: Initialize Project, `huskies init`).
import * as path from 'node:path';
import { STAGES, STAGE_FOLDERS } from './model/stage';
import { exists, writeFileAtomic } from './util/fsAtomic';

export const RUNTIME_FILES = [
  'worktrees/',
  'logs/',
  'requests/',
  '.claims/',
  'token_usage.jsonl',
  'timers.json',
  'triggers.json',
  'audit.log',
  'runs.json',
  'agents_state.json',
  'orchestrator.lock',
  'config.lastgood.json',
  '*.bad-*',
];

const PROJECT_TOML = `# Huskies pipeline settings. See the README for every key.
default_qa = "server"          # server | agent | human
default_coder_model = "sonnet"
max_coders = 3                 # agents running at once; more stories wait in 2_current
max_retries = 3                # automatic retries per story per stage before it is blocked
# base_branch = "main"         # default: the branch checked out when the orchestrator starts
# daily_budget_usd = 20        # stop new starts once today's spend reaches this
timezone = "UTC"
`;

function agentsToml(claudeFound: boolean): string {
  const claude = `[[agent]]
name = "coder-1"
stage = "coder"
runtime = "claude"             # claude | codex | gemini | command | sim
model = "sonnet"
max_turns = 50
max_budget_usd = 5.00
`;
  const sim = `[[agent]]
name = "sim-1"
stage = "coder"
runtime = "sim"                # the built-in simulated agent: no key, no network
`;
  const head = `# Agents that work on stories. Keys: name, stage (coder | qa | mergemaster), runtime,
# program, model, max_turns, max_budget_usd, args, env, prompt, system_prompt,
# inactivity_timeout, timeout (seconds), max_concurrent.
`;
  if (claudeFound) return `${head}\n${claude}`;
  return `${head}# Claude Code (\`claude\`) was not found when this project was set up, so the built-in
# simulated agent is active. Install Claude Code and swap the comments to use it.
#
${claude
  .trimEnd()
  .split('\n')
  .map((l) => `# ${l}`)
  .join('\n')}

${sim}`;
}

export interface InitResult {
  created: string[];
  existed: boolean;
}

/** Creates what is missing of the layout; never overwrites a file that is there. */
export async function initProject(root: string, opts: { claudeFound: boolean }): Promise<InitResult> {
  const dir = path.join(root, '.huskies');
  const existed = await exists(path.join(dir, 'project.toml'));
  const created: string[] = [];
  const put = async (rel: string, text: string) => {
    const file = path.join(dir, rel);
    if (await exists(file)) return;
    await writeFileAtomic(file, text);
    created.push(path.join('.huskies', rel));
  };
  await put('project.toml', PROJECT_TOML);
  await put('agents.toml', agentsToml(opts.claudeFound));
  await put('.gitignore', `# Runtime files of the orchestrator\n${RUNTIME_FILES.join('\n')}\n`);
  await put('specs/00_CONTEXT.md', '# Project context\n\nWhat this project is, for the agents that work on it.\n');
  for (const s of STAGES) await put(path.join('work', STAGE_FOLDERS[s], '.gitkeep'), '');
  return { created, existed };
}
