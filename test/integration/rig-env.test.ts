// The VS Code rig's nested Node-24 npm installs, started from inside `npm test` / `npm run demo`:
// a real outer npm runs scripts/vscode-rig.sh, which must hand its installs a clean environment.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../fixtures/repo';

const RIG_SCRIPT = path.join(REPO_ROOT, 'scripts', 'vscode-rig.sh');
const MACHINE_SETTINGS = [
  'npm_config_registry',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_cafile',
  'npm_config_ca',
  'npm_config_strict_ssl',
  'npm_config_cache',
];

/** The env the nested npm gets when an outer `npm run` starts the rig script, as name → value. */
function nestedEnv(dir: string, rigDir: string, extra: NodeJS.ProcessEnv = {}): Map<string, string> {
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'outer',
      version: '1.0.0',
      private: true,
      scripts: { rig: `bash '${RIG_SCRIPT}' --print-npm-env` },
    }),
  );
  const r = spawnSync('npm', ['run', '-s', 'rig'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HUSKIES_RIG_DIR: rigDir, ...extra },
  });
  assert.equal(r.status, 0, `npm run failed: ${r.stderr}`);
  const env = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

describe('the VS Code rig under an outer npm (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  let rigDir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-rig-env-')));
    rigDir = path.join(dir, 'rig');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('drops the outer npm state: user agent (Node 20), node-gyp, prefix, lifecycle, NODE, INIT_CWD', () => {
    const env = nestedEnv(dir, rigDir);
    // Only what the rig sets itself for Node 24, and the machine's settings it keeps, may be there.
    const allowed = new Set(['npm_config_nodedir', 'npm_config_update_notifier', 'npm_config_fund', 'npm_config_audit', 'npm_config_loglevel', ...MACHINE_SETTINGS]);
    const leaked = [...env.keys()].filter((k) => (/^npm_/i.test(k) && !allowed.has(k)) || ['NODE', 'INIT_CWD', 'NODE_OPTIONS'].includes(k));
    assert.deepEqual(leaked, []);
  });

  it('puts Node 24 first on PATH, with its headers for node-gyp, and no node_modules/.bin or npm shims', () => {
    const env = nestedEnv(dir, rigDir);
    const entries = (env.get('PATH') ?? '').split(':');
    assert.equal(entries[0], path.join(rigDir, 'node24', 'bin'));
    assert.deepEqual(
      entries.filter((e) => e.endsWith('/node_modules/.bin') || e.endsWith('/node-gyp-bin')),
      [],
    );
    assert.equal(env.get('npm_config_nodedir'), path.join(rigDir, 'node24'));
  });

  it('keeps the machine settings a user gave in the environment (registry, proxy)', () => {
    const env = nestedEnv(dir, rigDir, { npm_config_registry: 'http://127.0.0.1:9/mirror/', npm_config_https_proxy: 'http://127.0.0.1:9/' });
    assert.equal(env.get('npm_config_registry'), 'http://127.0.0.1:9/mirror/');
    assert.equal(env.get('npm_config_https_proxy'), 'http://127.0.0.1:9/');
  });
});
