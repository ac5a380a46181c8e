// Preflight with stand-in programs: a slow `claude auth status` is "could not check the login",
// not "not logged in", and blocks nothing; a real "not logged in" still does.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { preflight, PREFLIGHT_TIMEOUT_MS } from '../../src/core/agents/preflight';
import type { AgentSpec } from '../../src/core/config/config';

describe('preflight', function () {
  this.timeout(15_000);
  let dir: string;

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-preflight-')));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An executable `name` in the temp dir: a shell script answering --version and the login check. */
  function program(name: string, body: string): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  }

  const agent = (runtime: AgentSpec['runtime'], program: string): AgentSpec => ({ name: `${runtime}-1`, stage: 'coder', runtime, program, args: [], env: {} });
  const opts = (timeoutMs?: number) => ({ env: { PATH: `${dir}:${process.env.PATH}` }, simAgentPath: '/none', timeoutMs });

  const VERSION = 'if [ "$1" = "--version" ]; then echo "2.1.197 (Claude Code)"; exit 0; fi';

  it('the default wait is generous (30 s)', () => {
    assert.equal(PREFLIGHT_TIMEOUT_MS, 30_000);
  });

  it('a login check that does not answer in time is "could not check the login", ok, login unknown', async () => {
    const pidFile = path.join(dir, 'sleeper.pid');
    const claude = program('claude', `${VERSION}\nsleep 30 & echo $! > ${pidFile}\nwait`);
    const p = await preflight(agent('claude', claude), opts(300));
    assert.equal(p.ok, true, p.message);
    assert.equal(p.loggedIn, undefined);
    assert.equal(p.version, '2.1.197 (Claude Code)');
    assert.equal(p.message, 'Claude Code 2.1.197 (Claude Code): could not check the login (`claude auth status` did not answer within 0.3 s)');
    assert.doesNotMatch(p.message, /not logged in/);
    // What the check started is gone with it.
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(sleeper, 0);
        await new Promise((r) => setTimeout(r, 20));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the check was killed with its process group');
  });

  it('a --version that does not answer in time is not a failure either', async () => {
    const codex = program('codex', 'sleep 30');
    const p = await preflight(agent('codex', codex), opts(300));
    assert.equal(p.ok, true);
    assert.match(p.message, /could not check the version or login \(`codex --version` did not answer within 0\.3 s\)/);
  });

  it('a real "not logged in" answer still fails, and a logged-in one passes', async () => {
    const out = program('claude', `${VERSION}\necho '{"loggedIn":false,"authMethod":"none"}'; exit 1`);
    const no = await preflight(agent('claude', out), opts());
    assert.equal(no.ok, false);
    assert.equal(no.loggedIn, false);
    assert.match(no.message, /is not logged in/);
    const inn = program('claude2', `${VERSION}\necho '{"loggedIn":true,"authMethod":"api_key"}'`);
    const yes = await preflight(agent('claude', inn), opts());
    assert.equal(yes.ok, true);
    assert.equal(yes.loggedIn, true);
    assert.equal(yes.message, 'Claude Code 2.1.197 (Claude Code) (api_key)');
  });

  it('codex with its own key needs no login check', async () => {
    const codex = program('codex', 'if [ "$1" = "--version" ]; then echo "codex-cli 0.169.0"; exit 0; fi\nsleep 30');
    const p = await preflight({ ...agent('codex', codex), env: { CODEX_API_KEY: 'k' } }, opts(300));
    assert.equal(p.ok, true);
    assert.equal(p.loggedIn, true);
  });
});
