// Background work (agents, their supervisors, gate commands) runs at a lower CPU priority than the
// editor, so that typing and clicking stay quick while 30 agents start or a test suite runs.
//
// A nice value alone is not enough on Linux: with autogroups (the default where processes are not
// placed in cgroups with CPU control), every session is its own scheduling group, weighed equally
// with every other whatever the nice values inside it. An agent is started in its own session (so
// that its whole process group can be stopped), so 30 agents would get 30 shares of the CPU to the
// editor's one. The session's group gets the nice value too (/proc/<pid>/autogroup).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { leadsSession } from './proc';

/** The nice values a user may give: 0 (the editor's own priority) to 19 (the lowest). */
export const NICE_MIN = 0;
export const NICE_MAX = 19;

/**
 * Lowers the priority of the process `pid` (just started) to `nice`, and that of its session's
 * scheduling group when it leads its own session. Never raises a priority (a process may already
 * run lower). Returns what could not be done, if anything; a process that is already gone is not
 * a failure.
 */
export function runInBackground(pid: number | undefined, nice: number | undefined, opts: { groupOnly?: boolean } = {}): string | undefined {
  if (pid === undefined || nice === undefined || !Number.isInteger(nice) || nice <= NICE_MIN) return undefined;
  const level = Math.min(nice, NICE_MAX);
  const problems: string[] = [];
  try {
    // groupOnly: the process was started through niceCommand, whose `nice` adds to what it finds.
    if (!opts.groupOnly && os.getPriority(pid) < level) os.setPriority(pid, level);
  } catch (err) {
    if (!gone(err)) problems.push(`nice ${level}: ${(err as Error).message}`);
  }
  // Only a session leader's group is its own: any other process shares its group with its parent's session.
  if (process.platform === 'linux' && leadsSession(pid)) {
    const file = `/proc/${pid}/autogroup`;
    try {
      if (groupNiceOf(fs.readFileSync(file, 'utf8')) < level) fs.writeFileSync(file, String(level));
    } catch (err) {
      // No such file: a kernel without autogroups, or the process is gone.
      if (!gone(err)) problems.push(`the session's scheduling group: ${(err as Error).message}`);
    }
  }
  return problems.length ? `could not lower the priority of process ${pid} (${problems.join('; ')})` : undefined;
}

/**
 * The nice value in the text of /proc/<pid>/autogroup ("/autogroup-42 nice 10"). A process still
 * in the boot-time group (a container's first session, say) has an empty file: that group runs at
 * the default weight, nice 0.
 */
export function groupNiceOf(text: string): number {
  const m = /nice\s+(-?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The `nice -n N` prefix that starts a program at `nice` (it execs the program: same pid), for a
 * program that may start others at once, before runInBackground could reach it. Empty when there
 * is nothing to lower, or on Windows.
 */
export function niceCommand(nice: number | undefined): string[] {
  if (nice === undefined || !Number.isInteger(nice) || nice <= NICE_MIN || process.platform === 'win32') return [];
  const delta = Math.min(nice, NICE_MAX) - os.getPriority();
  return delta > 0 ? ['nice', '-n', String(delta)] : [];
}

function gone(err: unknown): boolean {
  // os.getPriority and os.setPriority throw a SystemError, whose errno code is in `info`.
  const e = err as NodeJS.ErrnoException & { info?: { code?: string } };
  const code = e.info?.code ?? e.code;
  return code === 'ESRCH' || code === 'ENOENT';
}
