// project.toml → ProjectConfig. A wrong value is an error; an unknown key is only a warning, since
// the file may carry keys of the huskies format that this version does not use.
import { z } from 'zod';
import { compact, issueProblems, problemAt, t, unknownKeys, type Place } from './schema';
import { readToml } from './toml';
import { QA_MODES, RUNTIMES, valueOrThrow, type ComponentSpec, type ConfigCheck, type ConfigProblem, type ProjectConfig, type RuntimeName } from './types';

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const maxPerRuntime = z.record(z.string(), t.positiveInt(), { error: 'must be a table such as { claude = 2, codex = 1 }' }).superRefine((table, ctx) => {
  for (const k of Object.keys(table)) {
    if (!(RUNTIMES as readonly string[]).includes(k))
      ctx.addIssue({ code: 'custom', path: [k], message: `max_per_runtime: unknown runtime "${k}" (known: ${RUNTIMES.join(', ')})` });
  }
});

const projectSchema = z.object({
  default_qa: t.oneOf(QA_MODES).default('server'),
  default_coder_model: t.string().default('sonnet'),
  max_coders: t.positiveInt().default(3),
  max_retries: t.wholeNumber().default(3),
  base_branch: t.string().optional(),
  rate_limit_notifications: t.boolean().default(false),
  timezone: t
    .string()
    .refine(isTimeZone, { error: (iss) => `key "timezone" is not a known time zone: "${String(iss.input)}"` })
    .default('UTC'),
  daily_budget_usd: t.positiveNumber().optional(),
  drain_after_failures: t.positiveInt().default(2),
  max_per_runtime: maxPerRuntime.default({}),
  qa_command: t.commands().optional(),
  mergemaster_attempts: t.positiveInt().optional(),
  merge_retries: t.positiveInt().optional(),
  archive_after_hours: t.positiveNumber().default(4),
  stuck_after_minutes: t.positiveNumber().default(60),
  keep_branches: t.boolean().default(false),
  commit_moves: t.boolean().default(true),
  stack_on_parents: t.boolean().default(false),
  background_nice: t.niceValue().default(10),
  component: t.tables('component').default([]),
});

const componentSchema = z.object({
  name: t.string(),
  path: t.string().default('.'),
  setup: t.stringList().default([]),
  teardown: t.stringList().default([]),
  test: t.commands().default([]),
});

const PROJECT_KEYS = Object.keys(projectSchema.shape);
const COMPONENT_KEYS = Object.keys(componentSchema.shape);
/** Two spellings of one setting: huskies' and this orchestrator's. */
const MERGE_KEYS = ['merge_retries', 'mergemaster_attempts'] as const;

function toProject(d: z.output<typeof projectSchema>, components: ComponentSpec[]): ProjectConfig {
  return compact({
    defaultQa: d.default_qa,
    defaultCoderModel: d.default_coder_model,
    maxCoders: d.max_coders,
    maxRetries: d.max_retries,
    baseBranch: d.base_branch,
    rateLimitNotifications: d.rate_limit_notifications,
    timezone: d.timezone,
    components,
    dailyBudgetUsd: d.daily_budget_usd,
    drainAfterFailures: d.drain_after_failures,
    maxPerRuntime: d.max_per_runtime as Partial<Record<RuntimeName, number>>,
    qaCommand: d.qa_command,
    mergemasterAttempts: d.mergemaster_attempts ?? d.merge_retries ?? 2,
    archiveAfterHours: d.archive_after_hours,
    stuckAfterMinutes: d.stuck_after_minutes,
    keepBranches: d.keep_branches,
    commitMoves: d.commit_moves,
    stackOnParents: d.stack_on_parents,
    backgroundNice: d.background_nice,
  });
}

/** The huskies defaults; frozen, since every missing project.toml shares this object. */
export const DEFAULT_PROJECT: ProjectConfig = (() => {
  const p = toProject(projectSchema.parse({}), Object.freeze([]) as unknown as ComponentSpec[]);
  Object.freeze(p.maxPerRuntime);
  return Object.freeze(p);
})();

function checkComponents(list: unknown, place: Place): { components: ComponentSpec[]; errors: ConfigProblem[]; warnings: ConfigProblem[] } {
  const out = { components: [] as ComponentSpec[], errors: [] as ConfigProblem[], warnings: [] as ConfigProblem[] };
  if (!Array.isArray(list)) return out;
  list.forEach((raw: Record<string, unknown>, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return; // reported by the [[component]] schema
    const at: Place = { ...place, base: ['component', index], label: `[[component]] #${index + 1}` };
    out.warnings.push(...unknownKeys(raw, COMPONENT_KEYS, at, 'warning'));
    const r = componentSchema.safeParse(raw);
    if (r.success) out.components.push({ name: r.data.name, path: r.data.path, setup: r.data.setup, teardown: r.data.teardown, test: r.data.test });
    else out.errors.push(...issueProblems(r.error.issues, at));
  });
  return out;
}

/** Checks project.toml: every error and warning, and the config when there is no error. */
export function checkProjectToml(text: string, file = '.huskies/project.toml'): ConfigCheck<ProjectConfig> {
  const { doc, lines, problems } = readToml(file, text);
  if (!doc) return { problems };
  const place: Place = { file, lines, base: [] };
  const warnings = unknownKeys(doc, PROJECT_KEYS, place, 'warning');
  const r = projectSchema.safeParse(doc);
  const errors = r.success ? [] : issueProblems(r.error.issues, place);
  if (MERGE_KEYS.every((k) => doc[k] !== undefined)) {
    const later = [...MERGE_KEYS].sort((a, b) => (lines.lineOf([a]) ?? 0) - (lines.lineOf([b]) ?? 0))[1];
    errors.push(problemAt(place, [later], later, 'keys "merge_retries" and "mergemaster_attempts" are the same setting; keep one'));
  }
  const c = checkComponents(doc.component, place);
  errors.push(...c.errors);
  warnings.push(...c.warnings);
  const all = [...errors, ...warnings];
  return r.success && errors.length === 0 ? { value: toProject(r.data, c.components), problems: all } : { problems: all };
}

/** project.toml → ProjectConfig; throws ConfigError listing every error (warnings are not thrown). */
export function parseProjectToml(text: string, file = '.huskies/project.toml'): ProjectConfig {
  return valueOrThrow(checkProjectToml(text, file));
}
