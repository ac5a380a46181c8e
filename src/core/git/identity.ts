// The user's git identity as git resolves it in a repository (local, global, system config and
// includes), to hand to agents whose shell hides the global config (Gemini sets GIT_CONFIG_GLOBAL).
import { execFile } from 'node:child_process';

export interface GitIdentity {
  name: string;
  email: string;
}

function configValue(root: string, key: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['config', '--get', key], { cwd: root, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, timeout: 10_000 }, (err, stdout) => {
      // Exit 1 means "not set"; anything else (no git, not a folder) is "unknown" all the same.
      const v = err ? '' : String(stdout).replace(/\r?\n$/, '');
      resolve(v.trim() ? v : undefined);
    });
  });
}

/** user.name and user.email as git would use them for a commit in `root`; undefined unless both are set. */
export async function readGitIdentity(root: string, env: NodeJS.ProcessEnv = process.env): Promise<GitIdentity | undefined> {
  const [name, email] = await Promise.all([configValue(root, 'user.name', env), configValue(root, 'user.email', env)]);
  return name !== undefined && email !== undefined ? { name, email } : undefined;
}

/**
 * The identity of a repository, read at most once per `ttlMs`: a burst of agent launches (30 at
 * start-up) shares one read instead of spawning git twice each. A change of the user's config is
 * seen after at most `ttlMs`.
 */
export class IdentityCache {
  private entries = new Map<string, { at: number; value: Promise<GitIdentity | undefined> }>();

  constructor(
    private readonly read: (root: string) => Promise<GitIdentity | undefined> = (root) => readGitIdentity(root),
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(root: string): Promise<GitIdentity | undefined> {
    const hit = this.entries.get(root);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.read(root).catch(() => undefined);
    this.entries.set(root, { at: this.now(), value });
    return value;
  }
}

const shared = new IdentityCache();

/** readGitIdentity through a process-wide IdentityCache. */
export function cachedGitIdentity(root: string): Promise<GitIdentity | undefined> {
  return shared.get(root);
}
