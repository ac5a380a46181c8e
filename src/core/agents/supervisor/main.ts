// The supervisor: one small process per agent run, started detached by the host so that the run
// survives a reload of the host. It reads the launch from stdin (env and secrets never touch the
// disk), runs it with RunHost, and always leaves an outcome in the status file before it exits.
//   node dist/supervisor.js <status file>
import type { AgentLaunch } from '../../ports/spawner';
import type { OutcomeKind, RunOutcome } from '../../model/agentMessage';
import { RunHost } from '../runHost';
import * as fs from 'node:fs';
import { readControl, removeRunScratch, statusFileFor, writeStatus, type RunStatus } from '../runStatus';
import { signalGroup } from '../agentProcess';
import { selfIdentity } from '../../util/proc';
import { maskMessage } from '../mask';

const statusFile = process.argv[2] ?? '';
// The transcript the status file belongs to: known before the launch is read, checked against it after.
const transcript = statusFile.replace(/\.status\.json$/, '.jsonl');
const me = selfIdentity();
let host: RunHost | undefined;
let launch: AgentLaunch | undefined;

// First thing: a signal that arrives before the agent runs must still end in an outcome, not a silent exit.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => onStopSignal(sig));

function onStopSignal(sig: NodeJS.Signals): void {
  const req = readControl(transcript);
  const kind: OutcomeKind = req?.kind ?? 'orphaned';
  const reason = req?.reason ?? `the run's supervisor was stopped (${sig}); it is resumed on the next start`;
  if (host) host.stop(kind, reason);
  else finish({ ok: false, kind, reason });
}

/** Writes the final status when RunHost could not (no launch, or the supervisor itself failed) and exits. */
function finish(outcome: RunOutcome, code = 0): never {
  try {
    const status: RunStatus = host?.snapshot() ?? {
      runId: launch?.runId ?? runIdOnDisk(),
      supervisorPid: me.pid,
      supervisorStart: me.startTime,
      bootId: me.bootId,
      lastSeq: launch?.fromSeq ?? 0,
    };
    if (!status.outcome) writeStatus(transcript, { ...status, outcome });
    removeRunScratch(transcript);
  } finally {
    process.exit(code);
  }
}

/** Without a launch, the run is named by the status the host wrote before starting us. */
function runIdOnDisk(): string {
  try {
    const v = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { runId?: unknown };
    return typeof v.runId === 'string' ? v.runId : '';
  } catch {
    return '';
  }
}

process.on('uncaughtException', (err) => {
  // The agent must not outlive a supervisor that can no longer watch it.
  if (host?.pid) signalGroup(host.pid, 'SIGKILL');
  process.stderr.write(`huskies supervisor: ${err.stack ?? err}\n`);
  finish({ ok: false, kind: 'failed', reason: `the run's supervisor failed: ${err.message}` }, 1);
});

function readLaunch(): Promise<AgentLaunch> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('error', reject);
    process.stdin.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      // The host ends the launch with a newline: anything short of it was cut off when the host died.
      if (!text.endsWith('\n')) return reject(new Error('the launch was cut off before it was complete'));
      try {
        resolve(validLaunch(JSON.parse(text)));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

function validLaunch(v: unknown): AgentLaunch {
  const l = v as Partial<AgentLaunch>;
  const bad = (key: string) => new Error(`the launch on stdin has no valid ${key}`);
  if (!l || typeof l !== 'object') throw bad('object');
  if (typeof l.runId !== 'string') throw bad('runId');
  if (typeof l.transcript !== 'string' || statusFileFor(l.transcript) !== statusFile) throw bad('transcript (it must match the status file argument)');
  if (typeof l.fromSeq !== 'number') throw bad('fromSeq');
  if (!l.spec || typeof l.spec.program !== 'string' || !Array.isArray(l.spec.args)) throw bad('spec');
  if (!Array.isArray(l.secrets)) throw bad('secrets');
  return l as AgentLaunch;
}

async function main(): Promise<void> {
  if (!statusFile.endsWith('.status.json')) {
    process.stderr.write('usage: supervisor.js <status file> (the launch comes as JSON on stdin)\n');
    process.exit(2);
  }
  try {
    launch = await readLaunch();
  } catch (err) {
    finish({ ok: false, kind: 'failed', reason: `the run's supervisor could not read its launch: ${(err as Error).message}` }, 1);
  }
  host = new RunHost(launch, { mask: maskMessage, owner: me });
  host.start();
  const outcome = await host.done;
  finish(outcome);
}

void main();
