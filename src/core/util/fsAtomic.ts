// Atomic file writes: write a temp file beside the target, fsync, then rename over it,
// so a crash leaves either the old or the new content, never a torn file.
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * `mode` sets the new file's permissions (e.g. 0o600 for a file holding a secret) before it has any content.
 * The small writes and the rename are synchronous; only the fsync goes to the thread pool. Each await
 * costs a turn of the event loop, and with 30 agents streaming a turn can take tens of milliseconds:
 * six awaits held the pipeline's one writer for 100–700 ms per runs.json write.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = fsSync.openSync(tmp, 'w', opts.mode ?? 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fsSync.mkdirSync(dir, { recursive: true });
    fd = fsSync.openSync(tmp, 'w', opts.mode ?? 0o666);
  }
  try {
    try {
      fsSync.writeFileSync(fd, data);
      await new Promise<void>((resolve, reject) => fsSync.fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(tmp, file);
  } catch (err) {
    fsSync.rmSync(tmp, { force: true });
    throw err;
  }
}

export async function readFileOr(file: string, fallback: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
