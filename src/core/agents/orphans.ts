// Ending what is left of a run nobody watches any more: its supervisor and its agent's process
// group, each killed only when it is still the very process the status file recorded.
import type { RunOutcome } from '../model/agentMessage';
import { signalGroup } from './agentProcess';
import { readStatus, removeRunScratch, writeStatus, type RunStatus } from './runStatus';
import { bootId, groupMembers, isSameProcess, pidExists, processStartTime } from '../util/proc';

const REAPED: RunOutcome = { ok: false, kind: 'orphaned', reason: 'the run was left behind by an earlier host and stopped; it is resumed on the next start' };

/** Kills the agent's process group when the recorded leader is still ours, or what it left in its group. */
export function killAgentGroup(st: RunStatus): void {
  if (!st.pid) return;
  if (isSameProcess(st.pid, st.startTime, st.bootId)) {
    signalGroup(st.pid, 'SIGKILL');
    return;
  }
  for (const p of orphanedMembers(st)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * Processes the dead leader left in its group. They keep the group id, and the kernel reuses no id
 * that still names a group; so, in the same boot, members no older than the leader are its own.
 */
function orphanedMembers(st: RunStatus): number[] {
  if (!st.pid || st.startTime === undefined || st.bootId === undefined || st.bootId !== bootId()) return [];
  const now = processStartTime(st.pid);
  const leaderDead = now === undefined ? !pidExists(st.pid) : now === st.startTime && !isSameProcess(st.pid, st.startTime); // gone, or its zombie
  if (!leaderDead) return [];
  return groupMembers(st.pid).filter((p) => (processStartTime(p) ?? -1) >= st.startTime!);
}

/** Whether anything the status names still runs. */
export function runLeftovers(st: RunStatus): boolean {
  if (!st.inProcess && isSameProcess(st.supervisorPid, st.supervisorStart, st.bootId)) return true;
  if (!st.pid) return false;
  return isSameProcess(st.pid, st.startTime, st.bootId) || orphanedMembers(st).length > 0;
}

/**
 * Kills the run's supervisor (never a host that ran it in-process) and its agent group, waits until
 * they are gone, and records an outcome so the run reads as ended from now on.
 */
export async function reapRun(runId: string, transcript: string, outcome: RunOutcome = REAPED, waitMs = 5_000): Promise<void> {
  const st = readStatus(transcript);
  if (!st || st.runId !== runId || st.outcome) return;
  // The supervisor first, so it does not go on to report the agent's death as the run's ending.
  if (!st.inProcess && isSameProcess(st.supervisorPid, st.supervisorStart, st.bootId)) process.kill(st.supervisorPid, 'SIGKILL');
  killAgentGroup(st);
  const until = Date.now() + waitMs;
  while (runLeftovers(st) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    killAgentGroup(st); // members started by the group while it was being killed
  }
  // The supervisor may have written its outcome before it died: that one stands.
  const now = readStatus(transcript);
  if (!now?.outcome) writeStatus(transcript, { ...(now ?? st), outcome });
  removeRunScratch(transcript);
}
