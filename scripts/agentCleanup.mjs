// Ends the agents a test workspace started. Supervised runs outlive their host by design (a window
// reload must not stop them), so stopping code-server leaves them streaming; a test or bench that
// throws its workspace away kills them first, or the next measurement shares the CPU with them.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The process still runs in `workspace` (its folder or command line is inside it): a pid not reused by something else. */
function inWorkspace(pid, workspace) {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(workspace) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(workspace);
  } catch {
    return false;
  }
}

/** Kills the supervisor and the agent's process group of every run in `workspace` without an outcome; returns how many. */
export function killWorkspaceAgents(workspace) {
  const logs = join(workspace, '.huskies', 'logs');
  let files;
  try {
    files = readdirSync(logs).filter((f) => f.endsWith('.status.json'));
  } catch {
    return 0;
  }
  let killed = 0;
  for (const f of files) {
    let st;
    try {
      st = JSON.parse(readFileSync(join(logs, f), 'utf8'));
    } catch {
      continue;
    }
    if (st.outcome) continue;
    // The supervisor first, so that it does not outlive its agent; then the agent's whole group.
    for (const [pid, group] of [
      [st.supervisorPid, false],
      [st.pid, true],
    ]) {
      if (!Number.isInteger(pid) || pid <= 1 || !inWorkspace(pid, workspace)) continue;
      try {
        process.kill(group ? -pid : pid, 'SIGKILL');
        killed++;
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return killed;
}
