// The bearer tokens of the MCP server: one random token per agent run (or per hand-started session),
// scoped to that run's story and revoked when the run ends. Only a hash of each token is kept, and
// a presented token is compared in constant time.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Whom a token speaks for: a run of the pool, or a session started by hand for a story. */
export interface McpSession {
  /** The run's id; a hand-started session has a key of its own (`manual-…`) and no run. */
  key: string;
  storyId: number;
  runId?: string;
  /** The run's worktree, where run_tests runs the gates. */
  worktree?: string;
  /** Where the run's MCP calls are recorded. */
  transcript?: string;
}

interface Entry {
  hash: Buffer;
  session: McpSession;
}

const hashOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** A token long enough that guessing is hopeless: 32 random bytes, URL-safe. */
export function newToken(): string {
  return `hk_${randomBytes(32).toString('base64url')}`;
}

/**
 * A token for a session started by hand on a story (`huskies mcp-token <story>`): derived from the serving
 * process's secret key and the story number, so the command can make it from `.huskies/logs/mcp.json` (mode 0600).
 */
export function storyToken(key: Buffer, storyId: number): string {
  return `hk_s${storyId}_${createHmac('sha256', key).update(`story:${storyId}`).digest('base64url')}`;
}

/** The story a hand-session token was made for with this key, or undefined; compared in constant time. */
export function storyOfToken(key: Buffer, presented: string): number | undefined {
  const m = /^hk_s([1-9]\d{0,9})_[A-Za-z0-9_-]{43}$/.exec(presented);
  if (!m) return undefined;
  const id = Number(m[1]);
  const want = Buffer.from(storyToken(key, id));
  const got = Buffer.from(presented);
  return want.length === got.length && timingSafeEqual(want, got) ? id : undefined;
}

export class TokenRegistry {
  private byHash = new Map<string, Entry>();
  private byKey = new Map<string, string>();

  /** `derived` recognizes tokens that are not registered one by one (hand-started sessions). */
  constructor(private readonly derived?: (presented: string) => McpSession | undefined) {}

  /** A fresh token for the session; a session registered again gets a new token and the old one stops working. */
  register(session: McpSession): string {
    this.revoke(session.key);
    const token = newToken();
    const hash = hashOf(token);
    this.byHash.set(hash.toString('hex'), { hash, session: { ...session } });
    this.byKey.set(session.key, hash.toString('hex'));
    return token;
  }

  /** The token stops working at once; true when there was one. */
  revoke(key: string): boolean {
    const h = this.byKey.get(key);
    if (h === undefined) return false;
    this.byKey.delete(key);
    this.byHash.delete(h);
    return true;
  }

  /** The session of a presented token, or undefined; the final comparison takes the same time whatever matched. */
  lookup(presented: string | undefined): McpSession | undefined {
    if (!presented || presented.length > 512) return undefined;
    const hash = hashOf(presented);
    const entry = this.byHash.get(hash.toString('hex'));
    // The map is keyed by a hash the caller cannot steer toward a real token; the comparison below stays constant-time anyway.
    const against = entry?.hash ?? Buffer.alloc(hash.length);
    const same = timingSafeEqual(hash, against);
    if (same && entry) return entry.session;
    return this.derived?.(presented);
  }

  /** The session registered under a key (a run id), if any. */
  session(key: string): McpSession | undefined {
    const h = this.byKey.get(key);
    return h === undefined ? undefined : this.byHash.get(h)?.session;
  }

  get size(): number {
    return this.byKey.size;
  }

  clear(): void {
    this.byHash.clear();
    this.byKey.clear();
  }
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h ?? '');
  return m?.[1];
}
