// How a session started by hand finds the MCP server: the serving process writes `.huskies/logs/mcp.json`
// (beside the other runtime files, git-ignored)
// (mode 0600: the URL, its pid and the secret key hand-session tokens are derived from) while it serves,
// and `huskies mcp-token <story>` reads it to make that story's token.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fsAtomic';
import { storyToken } from './tokens';

export const HANDOFF_FILE = 'mcp.json';

const fileIn = (huskiesDir: string) => path.join(huskiesDir, 'logs', HANDOFF_FILE);

const handoffSchema = z.object({ url: z.string().url(), pid: z.number().int().positive(), key: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

export async function writeHandoff(huskiesDir: string, h: { url: string; key: Buffer }): Promise<void> {
  const file = fileIn(huskiesDir);
  await writeFileAtomic(file, `${JSON.stringify({ url: h.url, pid: process.pid, key: h.key.toString('base64url') })}\n`, { mode: 0o600 });
}

/** Removes the file if this process wrote it. */
export async function removeHandoff(huskiesDir: string): Promise<void> {
  const file = fileIn(huskiesDir);
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const parsed = handoffSchema.safeParse(safeJson(text));
  if (parsed.success && parsed.data.pid === process.pid) await fs.rm(file, { force: true });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The URL and a token for a story, or why there is none (no process serves the project, or the file is damaged). */
export async function handSession(huskiesDir: string, storyId: number): Promise<{ url: string; token: string } | { problem: string }> {
  const file = fileIn(huskiesDir);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  const none = 'no Huskies serves this project now: open it in VS Code or run `huskies run`, then try again';
  if (text === undefined) return { problem: none };
  const parsed = handoffSchema.safeParse(safeJson(text));
  if (!parsed.success) return { problem: `${path.relative(process.cwd(), file) || file} is damaged (${parsed.error.issues[0]?.message}); it is written again on the next start` };
  if (!alive(parsed.data.pid)) return { problem: none };
  return { url: parsed.data.url, token: storyToken(Buffer.from(parsed.data.key, 'base64url'), storyId) };
}
