// One orchestrator drives a project at a time: .huskies/orchestrator.lock names its process.
// A lock whose process is gone, or whose pid now belongs to another process, is stale and taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSameProcess, selfIdentity } from './proc';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  by: string;
  /** The holder's start time and boot (where known): a pid reused after the holder died is not the holder. */
  startTime?: number;
  bootId?: string;
}

/** Takes the lock, or returns who holds it. */
export function acquireLock(huskiesDir: string, by: string): { ok: true; release(): void } | { ok: false; holder: LockInfo } {
  const file = path.join(huskiesDir, 'orchestrator.lock');
  fs.mkdirSync(huskiesDir, { recursive: true });
  const me = selfIdentity();
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), by, startTime: me.startTime, bootId: me.bootId };
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
      if (holder && holder.host === os.hostname() && holder.pid !== process.pid && isSameProcess(holder.pid, holder.startTime, holder.bootId)) return { ok: false, holder };
      fs.rmSync(file, { force: true }); // stale: its process is gone (or its pid is someone else's now)
    }
  }
  throw new Error(`could not take ${file}`);
}
