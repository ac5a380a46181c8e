// scripts/test-all.sh (what `npm test` runs) in a scratch copy of the repository whose npm, npx
// and node are scripted: every way a step can fail still ends with the Total line and a non-zero exit.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../fixtures/repo';

interface Script {
  /** Exit status of `npm ci`; when unset, node_modules is up to date and npm ci does not run. */
  npmCi?: number;
  /** Exit status of `node esbuild.mjs`. */
  build?: number;
  /** What `npx mocha` prints and its exit status, for the unit and the integration run. */
  unit?: { out: string; status: number };
  integration?: { out: string; status: number };
  /** What `npx eslint .` prints and its exit status (passes silently when unset). */
  lint?: { out: string; status: number };
}

const PASSING = { out: '  3 passing (1s)\n', status: 0 };

function runTestAll(dir: string, script: Script, env: NodeJS.ProcessEnv = {}): { status: number | null; lastLine: string; out: string } {
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'scripts', 'test-all.sh'), path.join(dir, 'scripts', 'test-all.sh'));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}\n');
  if (script.npmCi === undefined) {
    const installed = path.join(dir, 'node_modules', '.package-lock.json');
    fs.mkdirSync(path.dirname(installed));
    fs.writeFileSync(installed, '{}\n');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(installed, later, later);
  }
  const bin = path.join(dir, 'fake-bin');
  fs.mkdirSync(bin);
  const unit = script.unit ?? PASSING;
  const integration = script.integration ?? PASSING;
  for (const [name, w] of Object.entries({ 'unit.out': unit.out, 'integration.out': integration.out, 'lint.out': script.lint?.out ?? '' }))
    fs.writeFileSync(path.join(bin, name), w);
  const tool = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  tool('npm', `[ "$1" = ci ] && { mkdir -p node_modules; exit ${script.npmCi ?? 0}; }; exit 0`);
  tool('node', `[ "$1" = esbuild.mjs ] && exit ${script.build ?? 0}; exit 0`);
  tool(
    'npx',
    [
      'case "$*" in *mocha*) echo "git global config: ${GIT_CONFIG_GLOBAL-unset}" ;; esac',
      'case "$*" in',
      `  *mocha*test/unit*) cat "${bin}/unit.out"; exit ${unit.status} ;;`,
      `  *mocha*test/integration*) cat "${bin}/integration.out"; exit ${integration.status} ;;`,
      `  *eslint*) cat "${bin}/lint.out"; exit ${script.lint?.status ?? 0} ;;`,
      'esac',
      'exit 0',
    ].join('\n'),
  );
  const r = spawnSync('bash', [path.join(dir, 'scripts', 'test-all.sh'), '--no-e2e'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env, PATH: `${bin}:/usr/bin:/bin` },
  });
  const out = `${r.stdout}${r.stderr}`;
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, lastLine: lines[lines.length - 1], out };
}

describe('npm test: scripts/test-all.sh counts and exit status (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-test-all-')));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('all steps pass: the totals add up and the exit status is 0', () => {
    const r = runTestAll(dir, {});
    assert.equal(r.lastLine, 'Total: 9 passed, 0 failed, 0 skipped', r.out);
    assert.equal(r.status, 0);
  });

  it('mocha reports failing tests: they are counted and the exit status is non-zero', () => {
    const r = runTestAll(dir, { integration: { out: '  5 passing (2s)\n  2 failing\n  1 pending\n', status: 2 } });
    assert.equal(r.lastLine, 'Total: 11 passed, 2 failed, 1 skipped', r.out);
    assert.notEqual(r.status, 0);
  });

  it("ends with what failed: the failing tests' titles and errors, and a failing check by name, just above the Total line", () => {
    const report =
      '  5 passing (2s)\n  1 failing\n\n  1) merge queue (integration)\n       lands two stories in order:\n     AssertionError: expected 2 got 1\n      at Context.<anonymous> (test/integration/merge.test.ts:40:12)\n';
    const r = runTestAll(dir, { integration: { out: report, status: 1 }, lint: { out: 'src/a.ts\n  3:1  error  no-unused-vars\n', status: 1 } });
    const tail = r.out.slice(r.out.lastIndexOf('=== what failed ==='));
    assert.ok(tail.startsWith('=== what failed ==='), r.out);
    assert.match(tail, /--- lint:\n[\s\S]*3:1 {2}error {2}no-unused-vars/);
    assert.match(tail, /--- integration tests:\n {2}1 failing[\s\S]*1\) merge queue \(integration\)\n {7}lands two stories in order:\n {5}AssertionError: expected 2 got 1/);
    assert.equal(r.lastLine, 'Total: 10 passed, 2 failed, 0 skipped', r.out);
    assert.doesNotMatch(runTestAll(fs.mkdtempSync(path.join(dir, 'ok-')), {}).out, /what failed/);
  });

  it('mocha fails without a summary (a test file that does not load): one failure', () => {
    const r = runTestAll(dir, { unit: { out: 'Error: Cannot find module ./gone\n', status: 1 } });
    assert.equal(r.lastLine, 'Total: 6 passed, 1 failed, 0 skipped', r.out);
    assert.notEqual(r.status, 0);
  });

  it('npm ci fails: the run stops with the Total line and a non-zero exit', () => {
    const r = runTestAll(dir, { npmCi: 1 });
    assert.equal(r.lastLine, 'Total: 0 passed, 1 failed, 0 skipped', r.out);
    assert.notEqual(r.status, 0);
  });

  it('the build fails: the run stops with the Total line and a non-zero exit', () => {
    const r = runTestAll(dir, { build: 1 });
    assert.equal(r.lastLine, 'Total: 3 passed, 1 failed, 0 skipped', r.out);
    assert.notEqual(r.status, 0);
  });

  it("runs the tests without the developer's global git configuration", () => {
    const gitconfig = path.join(dir, 'developer.gitconfig');
    fs.writeFileSync(gitconfig, '[user]\n\tname = Developer\n\temail = dev@example.invalid\n');
    const r = runTestAll(dir, {}, { GIT_CONFIG_GLOBAL: gitconfig });
    const seen = r.out.split('\n').filter((l) => l.startsWith('git global config:'));
    assert.deepEqual(seen, ['git global config: /dev/null', 'git global config: /dev/null'], r.out);
  });
});
