// What a scan learns of one entry of a stage folder, with blocking calls (the scan reads in short
// slices and yields between them): a file never read before is read at once, the others are lstat'ed.
import { lstatSync, type Stats } from 'node:fs';
import { notWorkItemReason, readNewItemFileSync } from './itemFile';

export type Probe = { kind: 'not-item'; reason: string } | { kind: 'read'; st: Stats; bytes: Buffer } | { kind: 'stat'; st: Stats | NodeJS.ErrnoException | undefined };

/** The inode and ctime change with every atomic rewrite, even one within the same millisecond and size. */
export function identityOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** One folder entry: not a work item by its name, read in one go (when `known` is false), or lstat'ed. Never throws. */
export function probeEntry(name: string, file: string, known: boolean): Probe {
  const reason = notWorkItemReason(name);
  if (reason) return { kind: 'not-item', reason };
  if (!known) {
    const got = readNewItemFileSync(file);
    if (got) return { kind: 'read', ...got };
  }
  try {
    return { kind: 'stat', st: lstatSync(file) };
  } catch (err) {
    return { kind: 'stat', st: (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : (err as NodeJS.ErrnoException) };
  }
}
