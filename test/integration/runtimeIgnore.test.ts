// The orchestrator's runtime files stay out of git in a project whose .huskies/.gitignore is the
// huskies format's own (it lists only the format's files): the missing ones go into the repository's
// info/exclude, and no file of the user's changes. Real git.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ignoreRuntimeFiles } from '../../src/core/git/runtimeIgnore';
import { RUNTIME_FILES } from '../../src/core/project';
import { Huskies } from '../../src/core/api';
import { ensureSimBuilt, gitRepoDir, makeRepo, SIM_AGENT } from '../fixtures/repo';

/** The .huskies/.gitignore the huskies format's init writes. */
const FORMAT_GITIGNORE = ['worktrees/', 'logs/', 'token_usage.jsonl', 'timers.json', 'triggers.json', 'audit.log', ''].join('\n');

const gitOut = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });

/** Writes every runtime file (a file, or a file inside the folder) under `project`/.huskies. */
function writeRuntimeFiles(project: string): void {
  for (const f of RUNTIME_FILES) {
    const p = path.join(project, '.huskies', f.endsWith('/') ? `${f}x.json` : f);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, '{}\n');
  }
}

describe('runtime files ignored by git', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const repo = () => {
    const d = gitRepoDir('huskies-ignore-');
    dirs.push(d);
    return d;
  };

  it('adds what the format’s .gitignore misses to info/exclude: git status shows none of them, .gitignore unchanged', async () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, '.huskies'));
    fs.writeFileSync(path.join(dir, '.huskies', '.gitignore'), FORMAT_GITIGNORE);
    writeRuntimeFiles(dir);
    fs.mkdirSync(path.join(dir, '.git', 'info'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.git', 'info', 'exclude'), '# mine\n*.tmp'); // no newline at the end
    assert.match(gitOut(dir, 'status', '--porcelain', '--untracked-files=all'), /runs\.json/, 'runs.json shows before');
    const added = await ignoreRuntimeFiles(dir);
    assert.deepEqual(
      added,
      RUNTIME_FILES.filter((f) => !FORMAT_GITIGNORE.split('\n').includes(f)).map((f) => `.huskies/${f}`),
    );
    assert.equal(gitOut(dir, 'status', '--porcelain', '--untracked-files=all'), '?? .huskies/.gitignore\n', 'only the user’s own file is left');
    assert.equal(fs.readFileSync(path.join(dir, '.huskies', '.gitignore'), 'utf8'), FORMAT_GITIGNORE);
    const exclude = fs.readFileSync(path.join(dir, '.git', 'info', 'exclude'), 'utf8');
    assert.ok(exclude.startsWith('# mine\n*.tmp\n# Runtime files of the Huskies orchestrator'), exclude);
    assert.match(exclude, /^\/\.huskies\/runs\.json$/m);
    assert.deepEqual(await ignoreRuntimeFiles(dir), [], 'a second start adds nothing');
    assert.equal(fs.readFileSync(path.join(dir, '.git', 'info', 'exclude'), 'utf8'), exclude);
  });

  it('adds nothing when the project’s .gitignore lists them all (a project made by huskies init here)', async () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, '.huskies'));
    fs.writeFileSync(path.join(dir, '.huskies', '.gitignore'), RUNTIME_FILES.join('\n') + '\n');
    const exclude = path.join(dir, '.git', 'info', 'exclude');
    const before = fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : undefined;
    assert.deepEqual(await ignoreRuntimeFiles(dir), []);
    assert.equal(fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : undefined, before);
  });

  it('works for a project in a folder inside the repository', async () => {
    const dir = repo();
    const project = path.join(dir, 'apps', 'web');
    fs.mkdirSync(path.join(project, '.huskies'), { recursive: true });
    writeRuntimeFiles(project);
    assert.equal((await ignoreRuntimeFiles(project)).length, RUNTIME_FILES.length);
    assert.equal(gitOut(dir, 'status', '--porcelain', '--untracked-files=all'), '');
    assert.match(fs.readFileSync(path.join(dir, '.git', 'info', 'exclude'), 'utf8'), /^\/apps\/web\/\.huskies\/runs\.json$/m);
  });

  it('does nothing in a folder that is not in a git repository', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-nogit-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, '.huskies'));
    assert.deepEqual(await ignoreRuntimeFiles(dir), []);
    assert.equal(fs.existsSync(path.join(dir, '.git')), false);
  });

  it('the orchestrator sees to it when it starts: runs.json never shows in git status', async function () {
    this.timeout(60_000);
    ensureSimBuilt();
    const r = await makeRepo({ projectToml: 'commit_moves = false\n' });
    dirs.push(r.dir);
    fs.writeFileSync(path.join(r.dir, '.huskies', '.gitignore'), FORMAT_GITIGNORE);
    const o = new Huskies({ root: r.dir, simAgentPath: SIM_AGENT });
    try {
      await o.start();
      writeRuntimeFiles(r.dir);
      assert.doesNotMatch(gitOut(r.dir, 'status', '--porcelain', '--untracked-files=all'), /runs\.json|agents_state|requests\/|orchestrator\.lock/);
    } finally {
      await o.dispose();
    }
  });
});
