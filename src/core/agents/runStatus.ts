// The small files beside a run's transcript that let a later host find the run again:
// <base>.status.json (who runs it, what is known, how it ended) and <base>.control.json (a stop request).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { OutcomeKind, RunOutcome } from '../model/agentMessage';

export interface RunStatus {
  runId: string;
  /** The process that owns the run: the supervisor, or the host itself when `inProcess`. */
  supervisorPid: number;
  supervisorStart?: number;
  /** The boot the start times were counted in. */
  bootId?: string;
  inProcess?: boolean;
  /** The agent program: its pid is also its process group id. */
  pid?: number;
  startTime?: number;
  sessionId?: string;
  replied?: boolean;
  /** The last seq written to the transcript when this status was written; exact once there is an outcome. */
  lastSeq: number;
  /** Present once the run has ended and its transcript is complete. */
  outcome?: RunOutcome;
}

/** A stop request for a supervised run: the host writes it, then signals the supervisor. */
export interface RunControl {
  kind: OutcomeKind;
  reason: string;
}

// Built on first use: the supervisor, which never reads a status, is bundled without zod.
let schema: ReturnType<typeof makeSchema> | undefined;
const makeSchema = () =>
  z.looseObject({
    runId: z.string(),
    supervisorPid: z.number().int().min(0),
    supervisorStart: z.number().optional(),
    bootId: z.string().optional(),
    inProcess: z.boolean().optional(),
    pid: z.number().int().positive().optional(),
    startTime: z.number().optional(),
    sessionId: z.string().optional(),
    replied: z.boolean().optional(),
    lastSeq: z.number().int().min(0),
    outcome: z.looseObject({ ok: z.boolean(), kind: z.string(), reason: z.string().optional() }).optional(),
  });

function base(transcript: string): string {
  return transcript.endsWith('.jsonl') ? transcript.slice(0, -'.jsonl'.length) : transcript;
}

export const statusFileFor = (transcript: string): string => `${base(transcript)}.status.json`;
export const controlFileFor = (transcript: string): string => `${base(transcript)}.control.json`;
/** Where the supervisor's own stderr goes: only a crash of the supervisor itself writes there. */
export const supervisorLogFor = (transcript: string): string => `${base(transcript)}.supervisor.log`;

/** Writes beside the target and renames over it, so a reader sees the old or the new file, never half. */
export function writeJsonAtomicSync(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(value));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** The status of a run, or undefined when there is none. A file that is not a status is an error naming it. */
export function readStatus(transcript: string): RunStatus | undefined {
  const file = statusFileFor(transcript);
  const v = readJson(file);
  if (v === undefined) return undefined;
  const r = (schema ??= makeSchema()).safeParse(v);
  if (!r.success) throw new Error(`${file}: not a run status (${r.error.issues.map((e) => `${e.path.join('.') || '(root)'}: ${e.message}`).join('; ')})`);
  return r.data as RunStatus;
}

export function writeStatus(transcript: string, status: RunStatus): void {
  writeJsonAtomicSync(statusFileFor(transcript), status);
}

export function readControl(transcript: string): RunControl | undefined {
  try {
    const v = readJson(controlFileFor(transcript)) as Partial<RunControl> | undefined;
    if (v && typeof v.kind === 'string' && typeof v.reason === 'string') return { kind: v.kind, reason: v.reason };
  } catch {
    /* a request that cannot be read is no request; the signal alone still stops the run */
  }
  return undefined;
}

export function writeControl(transcript: string, control: RunControl): void {
  writeJsonAtomicSync(controlFileFor(transcript), control);
}

/** Removes the files that only matter while the run goes. */
export function removeRunScratch(transcript: string): void {
  fs.rmSync(controlFileFor(transcript), { force: true });
  try {
    if (fs.statSync(supervisorLogFor(transcript)).size === 0) fs.rmSync(supervisorLogFor(transcript), { force: true });
  } catch {
    /* no log */
  }
}
