// Temp repositories for the merge tests and the merge benchmark: a base branch `main`, story worktrees on
// `huskies/<n>_<slug>` as the orchestrator makes them, and commits to branches nobody has checked out.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MergeResult } from '../../src/core/git/merge';

export class MergeRepo {
  private constructor(readonly dir: string) {}

  /** A repository with its own identity, `.huskies/worktrees/` ignored, and one commit on main. */
  static create(files: Record<string, string> = { 'a.txt': 'one\ntwo\nthree\n' }): MergeRepo {
    const repo = new MergeRepo(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-merge-'))));
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.name', 'Merge Tester');
    repo.git('config', 'user.email', 'merge@huskies.invalid');
    repo.git('config', 'commit.gpgsign', 'false');
    repo.write('.gitignore', '.huskies/worktrees/\n');
    for (const [rel, text] of Object.entries(files)) repo.write(rel, text);
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'initial');
    return repo;
  }

  /** A copy of this repository (made before any worktree is added), cheaper than building another one. */
  copy(): MergeRepo {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-merge-')));
    fs.cpSync(this.dir, dir, { recursive: true });
    return new MergeRepo(dir);
  }

  git(...args: string[]): string {
    return gitAt(this.dir, ...args);
  }

  rev(ref: string): string {
    return this.git('rev-parse', '--verify', `${ref}^{commit}`).trim();
  }

  write(rel: string, text: string, dir = this.dir): void {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }

  read(rel: string, dir = this.dir): string {
    return fs.readFileSync(path.join(dir, rel), 'utf8');
  }

  /** The file as committed on a ref. */
  show(ref: string, rel: string): string {
    return this.git('show', `${ref}:${rel}`);
  }

  /** A story worktree and branch from main, with one commit per entry of `commits` (null deletes a file). */
  story(n: number, slug: string, ...commits: Array<Record<string, string | null>>): { branch: string; worktree: string } {
    const branch = `huskies/${n}_${slug}`;
    const worktree = path.join(this.dir, '.huskies', 'worktrees', `${n}_${slug}`);
    this.git('worktree', 'add', '-q', '-b', branch, worktree, 'main');
    commits.forEach((files, i) => this.commitIn(worktree, files, `story ${n} step ${i + 1}`));
    return { branch, worktree };
  }

  commitIn(dir: string, files: Record<string, string | null>, message: string): string {
    for (const [rel, text] of Object.entries(files)) {
      if (text === null) fs.rmSync(path.join(dir, rel));
      else this.write(rel, text, dir);
    }
    // -A stages the deletions, -f the files a .gitignore would hide
    if (Object.keys(files).length) gitAt(dir, 'add', '-A', '-f', '--', ...Object.keys(files));
    gitAt(dir, 'commit', '-q', '--allow-empty', '-m', message);
    return gitAt(dir, 'rev-parse', 'HEAD').trim();
  }

  /** Commits to a branch without any working tree (as a push or another tool would). */
  commitTo(branch: string, files: Record<string, string>, message: string): string {
    const index = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-index-')), 'index');
    const env = { ...process.env, GIT_INDEX_FILE: index };
    const run = (...args: string[]) => execFileSync('git', args, { cwd: this.dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const parent = this.rev(branch);
      run('read-tree', parent);
      for (const [rel, text] of Object.entries(files)) {
        const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: this.dir, input: text, encoding: 'utf8' }).trim();
        run('update-index', '--add', '--cacheinfo', `100644,${blob},${rel}`);
      }
      const tree = run('write-tree').trim();
      const commit = run('commit-tree', tree, '-p', parent, '-m', message).trim();
      run('update-ref', `refs/heads/${branch}`, commit, parent);
      return commit;
    } finally {
      fs.rmSync(path.dirname(index), { recursive: true, force: true });
    }
  }

  /** `git status --porcelain` of a working tree, untracked files included. */
  status(dir = this.dir): string {
    return gitAt(dir, 'status', '--porcelain=v1', '--untracked-files=all');
  }

  /** Files on a ref whose lines start with a conflict marker. */
  markersOn(ref: string): string[] {
    try {
      return this.git('grep', '-l', '-E', '^(<<<<<<<|>>>>>>>)( |$)', ref, '--').split('\n').filter(Boolean);
    } catch {
      return []; // git grep exits 1 when nothing matches
    }
  }

  /** Files in a working tree (scratch worktrees excluded) whose lines start with a conflict marker. */
  markersIn(dir = this.dir): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.name === '.git' || p === path.join(this.dir, '.huskies', 'worktrees')) continue;
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && /^(<{7}|>{7})( |$)/m.test(fs.readFileSync(p, 'utf8'))) found.push(path.relative(dir, p));
      }
    };
    walk(dir);
    return found;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function gitAt(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Sets environment variables until the returned function puts the old values back. */
export function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Mocha hooks for a suite of merge tests: git sees no global or system config (the identity must come from
 * the repository), and every repository made with the returned function is removed afterwards.
 */
export function mergeRepos(opts: { detached?: boolean } = {}): (files?: Record<string, string>) => MergeRepo {
  const made: MergeRepo[] = [];
  let restore = () => {};
  before(() => {
    restore = setEnv({ GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
  });
  after(() => {
    restore();
    for (const r of made) r.cleanup();
  });
  return (files) => {
    const r = MergeRepo.create(files);
    // detached: main is checked out nowhere, so a merge only moves its ref
    if (opts.detached) r.git('checkout', '-q', '--detach');
    made.push(r);
    return r;
  };
}

export function expectKind<K extends MergeResult['kind']>(r: MergeResult, kind: K): Extract<MergeResult, { kind: K }> {
  assert.equal(r.kind, kind, `expected ${kind}, got ${JSON.stringify(r)}`);
  return r as Extract<MergeResult, { kind: K }>;
}
