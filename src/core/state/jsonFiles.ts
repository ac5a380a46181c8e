// The JSON state files under .huskies/ (runs.json, timers.json, triggers.json, agents_state.json): read through
// a schema so a damaged or hand-edited file is reported and never crashes a start, written atomically.
import * as fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fsAtomic';

const MAX_TIME = 8.64e15; // the largest epoch ms a Date can hold
const time = z.number().finite().min(0).max(MAX_TIME);

const usage = z.object({ inputTokens: z.number(), outputTokens: z.number(), cacheReadTokens: z.number(), cacheWriteTokens: z.number() });

export const runSchema = z.looseObject({
  runId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
  storyId: z.number().int(),
  agent: z.string(),
  runtime: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'stopped']),
  queuedAt: time,
  startedAt: time.optional(),
  endedAt: time.optional(),
  pid: z.number().int().positive().optional(),
  pidStart: z.number().optional(),
  supervisorPid: z.number().int().positive().optional(),
  worktree: z.string().optional(),
  branch: z.string().optional(),
  sessionId: z.string().optional(),
  reason: z.string().optional(),
  outcome: z.string().optional(),
  usage: usage.optional(),
  costUsd: z.number().finite().optional(),
  transcript: z.string(),
  lastSeq: z.number().int().min(0),
  attempt: z.number().int().min(1),
  history: z.array(z.string()).optional(),
  handled: z.string().optional(),
  stage: z.string(),
  role: z.enum(['qa', 'mergemaster']).optional(),
  baseCommit: z.string().optional(),
  retryAt: time.optional(),
  prompt: z.string().optional(),
  modelReplied: z.boolean().optional(),
  stopRequested: z.object({ kind: z.string(), reason: z.string(), byUser: z.boolean(), handled: z.string().optional() }).optional(),
  transientFailures: z.number().int().optional(),
});

export const timerSchema = z.object({
  id: z.string(),
  kind: z.literal('resume'),
  storyId: z.number().int(),
  at: time,
  runId: z.string().optional(),
  sessionId: z.string().optional(),
  agent: z.string().optional(),
  reason: z.string(),
});

const SOURCES = ['user', 'board', 'cli', 'orchestrator', 'agent', 'watcher', 'timer', 'mcp', 'startup'] as const;
const STAGES = ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] as const;
const action = z.union([
  z.object({ tool: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), args: z.record(z.string(), z.unknown()) }),
  z.object({ prompt: z.string().min(1), agent: z.string().optional() }),
]);

export const scheduledTimerSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  name: z.string().optional(),
  schedule: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('at'), at: z.string() }),
    z.object({ kind: z.literal('every'), seconds: z.number().int().min(60) }),
    z.object({ kind: z.literal('cron'), cron: z.string() }),
  ]),
  timezone: z.string(),
  action,
  nextAt: time.optional(),
  anchorAt: time,
  createdAt: time,
  source: z.enum(SOURCES),
  fired: z.number().int().min(0),
  lastFiredAt: time.optional(),
  lastError: z.string().optional(),
});

export const triggerSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  name: z.string().optional(),
  when: z.object({
    from: z.enum(STAGES).optional(),
    to: z.enum(STAGES).optional(),
    type: z.enum(['story', 'bug', 'spike', 'refactor']).optional(),
    story: z.number().int().positive().optional(),
    key: z.string().optional(),
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    label: z.string().optional(),
  }),
  action,
  mode: z.enum(['once', 'persistent']),
  createdAt: time,
  source: z.enum(SOURCES),
  fired: z.number().int().min(0),
  recent: z.array(time).max(100),
  lastFiredAt: time.optional(),
  lastError: z.string().optional(),
  disabled: z.string().optional(),
});

export const agentStateSchema = z.object({
  rateLimited: z.record(z.string(), z.object({ until: time, reason: z.string() })).default({}),
  failures: z.record(z.string(), z.number().int().min(0)).default({}),
  drained: z.record(z.string(), z.object({ since: time, failures: z.number(), reason: z.string() })).default({}),
  paused: z.object({ since: time, reason: z.string(), source: z.string() }).optional(),
  notes: z.array(z.object({ at: time, text: z.string(), source: z.string() })).optional(),
});

export interface LoadResult<T> {
  value: T;
  /** What was wrong with the file, with its name; the file is kept aside as <file>.bad-<time>. */
  problems: string[];
}

/** Reads a JSON file; items of a list that fail the schema are dropped and reported, never crash. */
export function readJsonList<T>(file: string, key: string, item: z.ZodType<T>, optional = false): LoadResult<T[]> {
  const raw = readJson(file, !optional);
  if (raw.problem) return { value: [], problems: optional ? [] : [raw.problem] };
  if (raw.value === undefined) return { value: [], problems: [] };
  const list = (raw.value as Record<string, unknown>)?.[key];
  if (optional && list === undefined) return { value: [], problems: [] };
  if (!Array.isArray(list)) return { value: [], problems: [`${file}: "${key}" is not a list; starting with none`] };
  const out: T[] = [];
  const problems: string[] = [];
  list.forEach((x, i) => {
    const r = item.safeParse(x);
    if (r.success) out.push(r.data);
    else problems.push(`${file}: ${key}[${i}] is not valid (${r.error.issues.map((e) => `${e.path.join('.') || '(root)'}: ${e.message}`).join('; ')}); it is ignored`);
  });
  return { value: out, problems };
}

export function readJsonObject<T>(file: string, schema: z.ZodType<T>, fallback: T): LoadResult<T> {
  const raw = readJson(file);
  if (raw.problem) return { value: fallback, problems: [raw.problem] };
  if (raw.value === undefined) return { value: fallback, problems: [] };
  const r = schema.safeParse(raw.value);
  if (r.success) return { value: r.data, problems: [] };
  return { value: fallback, problems: [`${file} is not valid (${r.error.issues.map((e) => `${e.path.join('.') || '(root)'}: ${e.message}`).join('; ')}); starting clean`] };
}

/** keepAside: a file that is not JSON is copied aside (once per file: a second list read from it says nothing more). */
function readJson(file: string, keepAside = true): { value?: unknown; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `${file} cannot be read: ${(err as Error).message}` };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const aside = `${file}.bad-${Date.now()}`;
    if (!keepAside) return { problem: `${file} is not valid JSON` };
    try {
      fs.copyFileSync(file, aside);
    } catch {
      /* keeping a copy is a courtesy */
    }
    return { problem: `${file} is not valid JSON (${(err as Error).message}); a copy is kept as ${aside}` };
  }
}

export function writeJson(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');
}

/**
 * One JSON state file written with group commit: each save is one atomic, fsynced write of the
 * value as it is when the write starts, and the saves asked while a write is under way share the
 * next one. Writes never overlap, so the file only ever moves forward.
 */
export class GroupWrite {
  private tail: Promise<void> = Promise.resolve();
  private queued?: Promise<void>;

  constructor(
    private readonly file: string,
    private readonly value: () => unknown,
  ) {}

  /** Resolves once a write that began after this call is on disk (rejects if that write failed). */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.tail
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return writeJson(this.file, this.value());
      });
    this.queued = next;
    this.tail = next;
    return next;
  }
}
