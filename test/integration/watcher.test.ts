// The watcher of .huskies/ on a real folder: config edits, a request queue made after start and the
// leader's state files each reach their handler by name, and the runtime files written beside them
// (logs, worktrees, temp files of atomic writes) reach none.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskiesWatcher, type WatchHandlers } from '../../src/core/store/watcher';
import { nullLogger } from '../../src/core/util/log';

type Kind = keyof WatchHandlers;

describe('the .huskies/ watcher (integration, real files)', function () {
  this.timeout(30_000);
  let root: string;
  let w: HuskiesWatcher;
  const seen: Kind[] = [];
  const waiters: { kind: Kind; resolve: () => void }[] = [];
  const hux = (...p: string[]) => path.join(root, '.huskies', ...p);

  function heard(kind: Kind): void {
    seen.push(kind);
    for (const x of waiters.filter((x) => x.kind === kind)) {
      waiters.splice(waiters.indexOf(x), 1);
      x.resolve();
    }
  }
  /** Resolves when `kind` is heard after this call. */
  const next = (kind: Kind) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${kind} event`)), 10_000);
      waiters.push({ kind, resolve: () => (clearTimeout(t), resolve()) });
    });

  beforeEach(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-watch-')));
    fs.mkdirSync(hux('work', '1_backlog'), { recursive: true });
    fs.writeFileSync(hux('project.toml'), 'max_coders = 1\n');
    seen.length = 0;
    w = new HuskiesWatcher(
      root,
      {
        work: () => heard('work'),
        config: () => heard('config'),
        requests: () => heard('requests'),
        state: () => heard('state'),
        huskiesCreated: () => heard('huskiesCreated'),
      },
      nullLogger,
      { settleMs: 60_000 },
    );
    await w.start();
  });

  afterEach(async () => {
    await w.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('an edit of project.toml or agents.toml reloads the config', async () => {
    let heardIt = next('config');
    fs.writeFileSync(hux('project.toml'), 'max_coders = 2\n');
    await heardIt;
    heardIt = next('config');
    fs.writeFileSync(hux('agents.toml'), '');
    await heardIt;
  });

  it('a request queue made after start is watched: each request file is served', async () => {
    let heardIt = next('requests');
    fs.mkdirSync(hux('requests'));
    await heardIt;
    heardIt = next('requests');
    fs.writeFileSync(hux('requests', '1.json'), '{}');
    await heardIt;
  });

  it("the leader's runs.json, replaced by rename, is a state change; a write elsewhere in .huskies/ is nothing", async () => {
    fs.mkdirSync(hux('logs'));
    fs.mkdirSync(hux('worktrees', '1_x'), { recursive: true });
    const before = seen.length;
    fs.writeFileSync(hux('logs', 'run.jsonl'), '{}\n');
    fs.writeFileSync(hux('worktrees', '1_x', 'a.txt'), 'x');
    fs.writeFileSync(hux('.runs.json.1.ab.tmp'), '{}');
    const heardIt = next('state');
    fs.renameSync(hux('.runs.json.1.ab.tmp'), hux('runs.json'));
    await heardIt;
    // The folders made above are entries of .huskies/ (no handler), the files inside them and the temp file are not seen at all.
    assert.deepEqual(
      seen.slice(before).filter((k) => k !== 'state'),
      [],
    );
  });
});
