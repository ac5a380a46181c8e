// One orchestrator drives a project at a time: .huskies/orchestrator.lock names its pid.
// A lock whose process is gone is stale and taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  by: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, or returns who holds it. */
export function acquireLock(huskiesDir: string, by: string): { ok: true; release(): void } | { ok: false; holder: LockInfo } {
  const file = path.join(huskiesDir, 'orchestrator.lock');
  fs.mkdirSync(huskiesDir, { recursive: true });
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), by };
  for (let i = 0; i < 3; i++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return {
        ok: true,
        release: () => {
          try {
            const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
            if (cur.pid === process.pid) fs.rmSync(file, { force: true });
          } catch {
            /* gone already */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = undefined;
      }
      if (holder && holder.host === os.hostname() && holder.pid !== process.pid && alive(holder.pid)) return { ok: false, holder };
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take ${file}`);
}
