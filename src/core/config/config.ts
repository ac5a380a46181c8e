// project.toml and agents.toml → validated, typed config. Every problem names the file,
// the line and the key; a broken file never replaces the last good config (see ConfigStore).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';

export const RUNTIMES = ['claude', 'codex', 'gemini', 'command', 'sim'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
export const AGENT_STAGES = ['coder', 'qa', 'mergemaster'] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];

export interface ComponentSpec {
  name: string;
  path: string;
  setup: string[];
  teardown: string[];
}

export interface ProjectConfig {
  defaultQa: 'server' | 'agent' | 'human';
  defaultCoderModel: string;
  maxCoders: number;
  maxRetries: number;
  baseBranch?: string;
  rateLimitNotifications: boolean;
  timezone: string;
  components: ComponentSpec[];
  /** Stop new starts once today's spend reaches this (USD). */
  dailyBudgetUsd?: number;
  /** Consecutive failures after which an agent is drained. */
  drainAfterFailures: number;
  /** Concurrent runs per runtime, e.g. { claude = 2 }. */
  maxPerRuntime: Partial<Record<RuntimeName, number>>;
}

export interface AgentSpec {
  name: string;
  stage: AgentStage;
  runtime: RuntimeName;
  /** Program path override; for runtime "command", the program to run. */
  program?: string;
  args: string[];
  env: Record<string, string>;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  prompt?: string;
  systemPrompt?: string;
  /** Seconds without output before the run is stopped. */
  inactivityTimeout?: number;
  /** Wall-clock seconds before the run is stopped. */
  timeout?: number;
  maxConcurrent?: number;
  /** Whether this agent came from the built-in default rather than agents.toml. */
  builtIn?: boolean;
}

export interface HuskiesConfig {
  project: ProjectConfig;
  agents: AgentSpec[];
}

export const DEFAULT_PROJECT: ProjectConfig = {
  defaultQa: 'server',
  defaultCoderModel: 'sonnet',
  maxCoders: 3,
  maxRetries: 3,
  rateLimitNotifications: false,
  timezone: 'UTC',
  components: [],
  drainAfterFailures: 2,
  maxPerRuntime: {},
};

/** Flags the orchestrator relies on to read the program's output; agents.toml may not set them. */
export const PROTOCOL_FLAGS: Record<RuntimeName, string[]> = {
  claude: ['-p', '--print', '--output-format', '--verbose', '--input-format', '--resume', '-r', '--continue', '-c', '--session-id', '--fork-session'],
  codex: ['exec', 'e', 'resume', '--json', '--experimental-json', '-C', '--cd'],
  gemini: ['-p', '--prompt', '-o', '--output-format', '--resume', '-r', '--session-id'],
  command: [],
  sim: [],
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Finds the 1-based line of `key =` inside the n-th `[[table]]` block (or at top level). */
function lineOf(text: string, key: string, table?: { name: string; index: number }): number {
  const lines = text.split(/\r?\n/);
  let start = 0;
  let end = lines.length;
  if (table) {
    let seen = -1;
    start = lines.length;
    for (let i = 0; i < lines.length; i++) {
      if (new RegExp(`^\\s*\\[\\[\\s*${table.name}\\s*\\]\\]`).test(lines[i])) {
        seen++;
        if (seen === table.index) start = i;
        else if (seen > table.index) {
          end = i;
          break;
        }
      } else if (seen === table.index && /^\s*\[/.test(lines[i])) {
        end = i;
        break;
      }
    }
    if (start === lines.length) return 0;
  } else {
    const firstTable = lines.findIndex((l) => /^\s*\[/.test(l));
    if (firstTable >= 0) end = firstTable;
  }
  const re = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
  for (let i = start; i < end; i++) if (re.test(lines[i])) return i + 1;
  return table ? start + 1 : 1;
}

function tomlDoc(file: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError([`${file}:${err.line}:${err.column}: ${err.message.split('\n')[0]}`]);
    }
    throw err;
  }
}

type Checker = (key: string, v: unknown) => string | undefined;
const posInt: Checker = (k, v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : `key "${k}" must be a positive whole number`);
const nonNegInt: Checker = (k, v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : `key "${k}" must be a whole number ≥ 0`);
const posNum: Checker = (k, v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : `key "${k}" must be a positive number`);
const str: Checker = (k, v) => (typeof v === 'string' ? undefined : `key "${k}" must be a string`);
const bool: Checker = (k, v) => (typeof v === 'boolean' ? undefined : `key "${k}" must be true or false`);
const strList: Checker = (k, v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : `key "${k}" must be a list of strings`);
const oneOf = (opts: readonly string[]): Checker => (k, v) => (typeof v === 'string' && opts.includes(v) ? undefined : `key "${k}" must be one of ${opts.map((o) => `"${o}"`).join(', ')}`);

export function parseProjectToml(text: string, file = '.huskies/project.toml'): ProjectConfig {
  const doc = tomlDoc(file, text);
  const problems: string[] = [];
  const p: ProjectConfig = { ...DEFAULT_PROJECT, components: [], maxPerRuntime: {} };
  const check = (key: string, c: Checker): boolean => {
    if (doc[key] === undefined) return false;
    const e = c(key, doc[key]);
    if (e) problems.push(`${file}:${lineOf(text, key)}: ${e}`);
    return !e;
  };
  if (check('default_qa', oneOf(['server', 'agent', 'human']))) p.defaultQa = doc.default_qa as ProjectConfig['defaultQa'];
  if (check('default_coder_model', str)) p.defaultCoderModel = doc.default_coder_model as string;
  if (check('max_coders', posInt)) p.maxCoders = doc.max_coders as number;
  if (check('max_retries', nonNegInt)) p.maxRetries = doc.max_retries as number;
  if (check('base_branch', str)) p.baseBranch = doc.base_branch as string;
  if (check('rate_limit_notifications', bool)) p.rateLimitNotifications = doc.rate_limit_notifications as boolean;
  if (check('timezone', str)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: doc.timezone as string });
      p.timezone = doc.timezone as string;
    } catch {
      problems.push(`${file}:${lineOf(text, 'timezone')}: key "timezone" is not a known time zone: "${doc.timezone}"`);
    }
  }
  if (check('daily_budget_usd', posNum)) p.dailyBudgetUsd = doc.daily_budget_usd as number;
  if (check('drain_after_failures', posInt)) p.drainAfterFailures = doc.drain_after_failures as number;
  if (doc.max_per_runtime !== undefined) {
    const t = doc.max_per_runtime;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) problems.push(`${file}:${lineOf(text, 'max_per_runtime')}: key "max_per_runtime" must be a table such as { claude = 2, codex = 1 }`);
    else
      for (const [k, v] of Object.entries(t)) {
        if (!(RUNTIMES as readonly string[]).includes(k)) problems.push(`${file}:${lineOf(text, 'max_per_runtime')}: max_per_runtime: unknown runtime "${k}" (known: ${RUNTIMES.join(', ')})`);
        else if (posInt(k, v)) problems.push(`${file}:${lineOf(text, 'max_per_runtime')}: max_per_runtime.${posInt(k, v)}`);
        else p.maxPerRuntime[k as RuntimeName] = v as number;
      }
  }
  if (doc.component !== undefined) {
    if (!Array.isArray(doc.component)) problems.push(`${file}:${lineOf(text, 'component')}: "component" must be written as [[component]] tables`);
    else
      doc.component.forEach((c: Record<string, unknown>, index) => {
        const where = (k: string) => `${file}:${lineOf(text, k, { name: 'component', index })}`;
        if (typeof c.name !== 'string') problems.push(`${where('name')}: [[component]] #${index + 1} needs a "name" string`);
        for (const k of ['setup', 'teardown']) if (c[k] !== undefined && strList(k, c[k])) problems.push(`${where(k)}: ${strList(k, c[k])}`);
        p.components.push({ name: String(c.name ?? ''), path: typeof c.path === 'string' ? c.path : '.', setup: (c.setup as string[]) ?? [], teardown: (c.teardown as string[]) ?? [] });
      });
  }
  if (problems.length) throw new ConfigError(problems);
  return p;
}

const AGENT_KEYS = new Set(['name', 'stage', 'runtime', 'program', 'command', 'args', 'env', 'model', 'max_turns', 'max_budget_usd', 'prompt', 'system_prompt', 'inactivity_timeout', 'timeout', 'max_concurrent']);

export function parseAgentsToml(text: string, file = '.huskies/agents.toml'): AgentSpec[] {
  const doc = tomlDoc(file, text);
  const problems: string[] = [];
  const list = doc.agent;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigError([`${file}:${lineOf(text, 'agent')}: agents must be written as [[agent]] tables`]);
  const names = new Set<string>();
  const agents: AgentSpec[] = [];
  list.forEach((a: Record<string, unknown>, index) => {
    const at = (k: string) => `${file}:${lineOf(text, k, { name: 'agent', index })}`;
    const label = typeof a.name === 'string' ? `agent "${a.name}"` : `[[agent]] #${index + 1}`;
    const bad = (k: string, msg: string) => problems.push(`${at(k)}: ${label}: ${msg}`);
    const check = (k: string, c: Checker): boolean => {
      if (a[k] === undefined) return false;
      const e = c(k, a[k]);
      if (e) bad(k, e);
      return !e;
    };
    for (const k of Object.keys(a)) if (!AGENT_KEYS.has(k)) bad(k, `unknown key "${k}" (known: ${[...AGENT_KEYS].join(', ')})`);
    if (typeof a.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(a.name)) {
      bad('name', 'needs a "name" of letters, digits, "-", "_" or "." (at most 64)');
      return;
    }
    if (names.has(a.name)) bad('name', 'the name is used by another agent');
    names.add(a.name);
    const spec: AgentSpec = { name: a.name, stage: 'coder', runtime: 'claude', args: [], env: {} };
    if (check('stage', oneOf(AGENT_STAGES))) spec.stage = a.stage as AgentStage;
    if (a.runtime === undefined && a.command !== undefined) spec.runtime = 'command';
    else if (check('runtime', oneOf(RUNTIMES))) spec.runtime = a.runtime as RuntimeName;
    if (check('program', str)) spec.program = a.program as string;
    if (a.command !== undefined) {
      if (typeof a.command === 'string') spec.program = a.command;
      else if (Array.isArray(a.command) && a.command.length > 0 && a.command.every((x) => typeof x === 'string')) {
        spec.program = a.command[0] as string;
        spec.args = (a.command as string[]).slice(1);
      } else bad('command', 'key "command" must be a program path or a list such as ["my-agent", "--flag"]');
    }
    if (spec.runtime === 'command' && !spec.program) bad('runtime', 'runtime "command" needs command = ["program", "args…"]');
    const smuggled = spec.args.filter((x) => PROTOCOL_FLAGS[spec.runtime].includes(x.split('=')[0]));
    if (smuggled.length) bad('command', `${smuggled.map((f) => `"${f}"`).join(', ')} cannot be set in command: the orchestrator sets the ${spec.runtime} protocol flags itself`);
    if (check('args', strList)) {
      const args = a.args as string[];
      const forbidden = args.filter((x) => PROTOCOL_FLAGS[spec.runtime].includes(x.split('=')[0]));
      if (forbidden.length) bad('args', `${forbidden.map((f) => `"${f}"`).join(', ')} cannot be set in args: the orchestrator sets the ${spec.runtime} protocol flags itself`);
      else spec.args = [...spec.args, ...args];
    }
    if (a.env !== undefined) {
      if (typeof a.env === 'object' && a.env !== null && !Array.isArray(a.env) && Object.values(a.env).every((v) => typeof v === 'string')) spec.env = a.env as Record<string, string>;
      else bad('env', 'key "env" must be a table of strings, e.g. env = { FOO = "bar" }');
    }
    if (check('model', str)) spec.model = a.model as string;
    if (check('max_turns', posInt)) spec.maxTurns = a.max_turns as number;
    if (check('max_budget_usd', posNum)) spec.maxBudgetUsd = a.max_budget_usd as number;
    if (check('prompt', str)) spec.prompt = a.prompt as string;
    if (check('system_prompt', str)) spec.systemPrompt = a.system_prompt as string;
    if (check('inactivity_timeout', posNum)) spec.inactivityTimeout = a.inactivity_timeout as number;
    if (check('timeout', posNum)) spec.timeout = a.timeout as number;
    if (check('max_concurrent', posInt)) spec.maxConcurrent = a.max_concurrent as number;
    agents.push(spec);
  });
  if (problems.length) throw new ConfigError(problems);
  return agents;
}

/** Reads both files. Missing files give defaults; bad ones throw ConfigError with every problem found. */
export async function loadConfig(root: string): Promise<HuskiesConfig> {
  const dir = path.join(root, '.huskies');
  const read = async (name: string) => {
    try {
      return await fs.readFile(path.join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const [projectText, agentsText] = await Promise.all([read('project.toml'), read('agents.toml')]);
  const problems: string[] = [];
  let project = DEFAULT_PROJECT;
  let agents: AgentSpec[] = [];
  try {
    if (projectText !== undefined) project = parseProjectToml(projectText);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  try {
    if (agentsText !== undefined) agents = parseAgentsToml(agentsText);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  if (problems.length) throw new ConfigError(problems);
  return { project, agents };
}

/** Holds the last good config: a reload that fails keeps it running and reports the problems. */
export class ConfigStore {
  private current: HuskiesConfig = { project: DEFAULT_PROJECT, agents: [] };
  private problems: string[] = [];
  private loadedOnce = false;

  constructor(private readonly root: string) {}

  get config(): HuskiesConfig {
    return this.current;
  }

  getProblems(): string[] {
    return this.problems;
  }

  hasLoaded(): boolean {
    return this.loadedOnce;
  }

  /** Returns true when the config changed to a new good one. */
  async reload(): Promise<boolean> {
    try {
      const next = await loadConfig(this.root);
      const changed = JSON.stringify(next) !== JSON.stringify(this.current);
      this.current = next;
      this.problems = [];
      this.loadedOnce = true;
      return changed;
    } catch (err) {
      if (err instanceof ConfigError) {
        this.problems = this.loadedOnce ? [...err.problems, 'The last good configuration stays in use until this is fixed.'] : [...err.problems, 'Built-in defaults are in use until this is fixed.'];
        return false;
      }
      this.problems = [`Could not read the configuration: ${(err as Error).message}`];
      return false;
    }
  }
}
