// agents.toml → AgentSpec[]. Unlike project.toml, an unknown key here is an error: a misspelt
// budget, model or env would otherwise run an agent without it.
import { z } from 'zod';
import { compact, issueProblems, must, problemAt, t, unknownKeys, type Place } from './schema';
import { readToml } from './toml';
import { AGENT_STAGES, PROTOCOL_FLAGS, RUNTIMES, valueOrThrow, type AgentSpec, type ConfigCheck, type ConfigProblem } from './types';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function commandSchema() {
  const m = must('a program path or a list such as ["my-agent", "--flag"]');
  return z.union([z.string(m), z.array(z.string(m), m).min(1, m)], m);
}

const agentSchema = z.object({
  name: z.string(),
  stage: t.oneOf(AGENT_STAGES).default('coder'),
  runtime: t.oneOf(RUNTIMES).optional(),
  program: t.string().optional(),
  command: commandSchema().optional(),
  args: t.stringList().default([]),
  env: z.record(z.string(), t.string(), must('a table of strings, e.g. env = { FOO = "bar" }')).default({}),
  model: t.string().optional(),
  max_turns: t.positiveInt().optional(),
  max_budget_usd: t.positiveNumber().optional(),
  prompt: t.string().optional(),
  system_prompt: t.string().optional(),
  inactivity_timeout: t.positiveNumber().optional(),
  timeout: t.positiveNumber().optional(),
  max_concurrent: t.positiveInt().optional(),
});
const AGENT_KEYS = Object.keys(agentSchema.shape);

/** Protocol flags among `args`, also when written as --flag=value. */
const protocolFlags = (runtime: AgentSpec['runtime'], args: string[]) => args.filter((x) => PROTOCOL_FLAGS[runtime].includes(x.split('=')[0]));

/** Builds one agent from checked values; the checks that span several keys report through `bad`. */
function toAgent(d: z.output<typeof agentSchema>, bad: (key: string, message: string) => void): AgentSpec {
  const spec: AgentSpec = compact({
    name: d.name,
    stage: d.stage,
    runtime: d.runtime ?? (d.command !== undefined ? 'command' : 'claude'),
    program: d.program,
    args: [] as string[],
    env: d.env,
    model: d.model,
    maxTurns: d.max_turns,
    maxBudgetUsd: d.max_budget_usd,
    prompt: d.prompt,
    systemPrompt: d.system_prompt,
    inactivityTimeout: d.inactivity_timeout,
    timeout: d.timeout,
    maxConcurrent: d.max_concurrent,
  });
  if (typeof d.command === 'string') spec.program = d.command;
  else if (d.command) [spec.program, ...spec.args] = d.command;
  if (spec.runtime === 'command' && !spec.program) bad('runtime', 'runtime "command" needs command = ["program", "args…"]');
  const refuse = (key: string, flags: string[]) =>
    bad(key, `${flags.map((f) => `"${f}"`).join(', ')} cannot be set in ${key}: the orchestrator sets the ${spec.runtime} protocol flags itself`);
  const smuggled = protocolFlags(spec.runtime, spec.args);
  if (smuggled.length) refuse('command', smuggled);
  const forbidden = protocolFlags(spec.runtime, d.args);
  if (forbidden.length) refuse('args', forbidden);
  else spec.args = [...spec.args, ...d.args];
  return spec;
}

/** Checks agents.toml: every error, and the agents when there is none. */
export function checkAgentsToml(text: string, file = '.huskies/agents.toml'): ConfigCheck<AgentSpec[]> {
  const { doc, lines, problems } = readToml(file, text);
  if (!doc) return { problems };
  const list = doc.agent;
  if (list === undefined) return { value: [], problems: [] };
  if (!Array.isArray(list)) return { problems: [problemAt({ file, lines, base: [] }, ['agent'], 'agent', 'agents must be written as [[agent]] tables')] };
  const errors: ConfigProblem[] = [];
  const names = new Set<string>();
  const agents: AgentSpec[] = [];
  list.forEach((a: Record<string, unknown>, index) => {
    const named = typeof a.name === 'string' && NAME.test(a.name);
    const place: Place = { file, lines, base: ['agent', index], label: named ? `agent "${a.name as string}"` : `[[agent]] #${index + 1}` };
    const bad = (key: string, message: string) => errors.push(problemAt(place, [key], key, message));
    errors.push(...unknownKeys(a, AGENT_KEYS, place, 'error', true));
    if (!named) return bad('name', 'needs a "name" of letters, digits, "-", "_" or "." (at most 64)');
    if (names.has(a.name as string)) bad('name', 'the name is used by another agent');
    names.add(a.name as string);
    const r = agentSchema.safeParse(a);
    if (r.success) agents.push(toAgent(r.data, bad));
    else errors.push(...issueProblems(r.error.issues, place));
  });
  return errors.length ? { problems: errors } : { value: agents, problems: [] };
}

/** agents.toml → AgentSpec[]; throws ConfigError listing every error. */
export function parseAgentsToml(text: string, file = '.huskies/agents.toml'): AgentSpec[] {
  return valueOrThrow(checkAgentsToml(text, file));
}
