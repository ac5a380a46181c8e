// Process identity: a pid alone names a process only until it is reused (after it exits, or after
// a reboot), so a stored pid is paired with the process's start time and the boot it ran in.
import * as fs from 'node:fs';

interface ProcStat {
  state: string;
  pgrp: number;
  session: number;
  /** Clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' '); // f[0] is field 3
  const startTime = Number(f[19]);
  const pgrp = Number(f[2]);
  const session = Number(f[3]);
  if (!Number.isFinite(startTime) || !Number.isFinite(pgrp) || !Number.isFinite(session)) return undefined;
  return { state: f[0], pgrp, session, startTime };
}

/** Whether the process leads its own session (it was started detached, with setsid) (Linux). */
export function leadsSession(pid: number): boolean {
  return readStat(pid)?.session === pid;
}

/** When the process started, in clock ticks since boot (Linux); undefined where unknown or gone. */
export function processStartTime(pid: number): number | undefined {
  return readStat(pid)?.startTime;
}

let cachedBootId: string | null | undefined;

/** This boot's id (Linux): start times are counted from boot, so they only compare within one boot. */
export function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

/** Whether a signal can reach the pid at all (EPERM: it exists, owned by someone else). */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the living process `pid` is the one recorded with `startTime` (and `boot`). A zombie
 * counts as gone. Where start times are unknown (not Linux, or an old record without one) this
 * can only tell whether the pid exists.
 */
export function isSameProcess(pid: number, startTime: number | undefined, boot?: string): boolean {
  if (!pidExists(pid)) return false;
  const now = bootId();
  if (boot !== undefined && now !== undefined && boot !== now) return false;
  const st = readStat(pid);
  if (!st) return process.platform !== 'linux'; // on Linux a pid with no /proc entry is gone
  if (st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}

/** The pids of living processes in a process group (Linux; empty elsewhere). */
export function groupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const st = readStat(Number(n));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(Number(n));
  }
  return out;
}

/** The identity of this process, for records other processes check later. */
export function selfIdentity(): { pid: number; startTime?: number; bootId?: string } {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: bootId() };
}
