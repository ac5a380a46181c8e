// The server QA gate against real shells in temp folders: passing and failing commands, time limits
// and aborts that take the whole process group down, components, masking and the transcript.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readAfter } from '../../src/core/agents/transcript';
import type { ComponentSpec } from '../../src/core/config/types';
import { NO_GATES_SUMMARY, runGates, type GateOptions } from '../../src/core/gates/serverGates';
import type { TranscriptRecord } from '../../src/core/model/agentMessage';
import { redact } from '../../src/core/util/log';
import { Leftovers, running } from '../fixtures/processes';

const comp = (c: Partial<ComponentSpec> & { name: string }): ComponentSpec => ({ path: '.', setup: [], teardown: [], test: [], ...c });

describe('server gates (runGates)', function () {
  this.timeout(30_000);
  let dir: string;
  let logs: string;
  const leftovers = new Leftovers();

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-gates-')));
    logs = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-gates-logs-'));
  });
  afterEach(() => {
    leftovers.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(logs, { recursive: true, force: true });
  });

  const transcript = () => path.join(logs, 'gate-1.jsonl');
  const run = (config: Partial<GateOptions['config']>, more: Partial<GateOptions> = {}) =>
    runGates({ dir, config: { components: [], ...config }, transcript: transcript(), mask: (t) => t, ...more });
  const records = () => readAfter(transcript(), 0);
  const texts = (rs: TranscriptRecord[]) => rs.flatMap((r) => (r.msg.kind === 'text' ? r.msg.text.split('\n') : []));
  const notices = (rs: TranscriptRecord[]) => rs.flatMap((r) => (r.msg.kind === 'notice' ? [r.msg.message] : []));
  /** A background process that ignores TERM; the command goes on once it is in place and has written its pid. */
  const stubborn = (pidFile: string, redirect: string) =>
    `sh -c 'trap "" TERM; echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; exec sleep 300' ${redirect} & while [ ! -s ${pidFile} ]; do sleep 0.01; done`;
  /** Runs the commands and aborts the run when a line of output contains `text`. */
  const abortOnOutput = (text: string, qaCommand: string[]) => {
    const abort = new AbortController();
    return run(
      { qaCommand },
      {
        signal: abort.signal,
        graceMs: 300,
        onRecords: (recs) => {
          if (recs.some((x) => x.msg.kind === 'text' && x.msg.text.includes(text))) abort.abort();
        },
      },
    );
  };
  const pidIn = (file: string) => Number(fs.readFileSync(path.join(dir, file), 'utf8').trim());

  it('passes when every command exits 0, with each command and its output in the transcript', async () => {
    const r = await run({ components: [comp({ name: 'app', test: ['echo hello from tests'] })], qaCommand: ['echo lint ok'] });
    assert.equal(r.ok, true, r.summary);
    assert.deepEqual(
      r.results.map((x) => [x.command, x.cwd, x.exitCode, x.timedOut]),
      [
        ['echo hello from tests', dir, 0, false],
        ['echo lint ok', dir, 0, false],
      ],
    );
    assert.match(r.summary, /^all 2 gate commands passed in /);
    assert.equal(r.noGates, undefined);
    const recs = await records();
    assert.deepEqual(texts(recs), ['hello from tests', 'lint ok']);
    const n = notices(recs);
    assert.ok(n.some((m) => m.startsWith('$ echo hello from tests')));
    assert.ok(n.some((m) => /^exit 0 after /.test(m)));
  });

  it('fails with the exit code and the output tail, and runs nothing after the failure', async () => {
    const r = await run({ components: [comp({ name: 'app', test: ['echo compiling; echo "expected 2 but got 3" >&2; exit 3'] })], qaCommand: ['touch should-not-exist'] });
    assert.equal(r.ok, false);
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0].exitCode, 3);
    assert.match(r.summary, /failed: exit 3 after .*; 1 later gate command was not run$/);
    assert.match(r.outputTail, /expected 2 but got 3/);
    assert.match(r.outputTail, /compiling/);
    assert.match(r.outputTail, /\[exit 3 after /);
    assert.equal(fs.existsSync(path.join(dir, 'should-not-exist')), false);
  });

  it('a command with no output still gives a result', async () => {
    const r = await run({ qaCommand: ['exit 2'] });
    assert.equal(r.ok, false);
    assert.equal(r.results[0].exitCode, 2);
    assert.equal(r.outputTail, '$ exit 2\n[exit 2 after ' + r.outputTail.split('[exit 2 after ')[1]);
    assert.deepEqual(texts(await records()), []);
  });

  it('with no test command configured it passes and says so (setup alone tests nothing)', async () => {
    const r = await run({ components: [comp({ name: 'app', setup: ['touch ran'] })] }, { runSetup: true });
    assert.deepEqual(r, { ok: true, results: [], summary: NO_GATES_SUMMARY, outputTail: '', noGates: true });
    assert.equal(fs.existsSync(path.join(dir, 'ran')), false);
  });

  it('runs a component in its path, its setup only when asked, and refuses a path outside the worktree', async () => {
    fs.mkdirSync(path.join(dir, 'web'));
    const web = comp({ name: 'web', path: 'web', setup: ['echo set > setup.txt'], test: ['pwd', 'test -f setup.txt'] });
    const without = await run({ components: [web] });
    assert.equal(without.ok, false);
    assert.equal(without.results[0].cwd, path.join(dir, 'web'));
    assert.ok(texts(await records()).includes(path.join(dir, 'web')));

    const withSetup = await run({ components: [web] }, { runSetup: true });
    assert.equal(withSetup.ok, true, withSetup.summary);
    assert.equal(withSetup.results.length, 3);

    const outside = await run({ components: [comp({ name: 'evil', path: '../elsewhere', test: ['touch escaped'] })] });
    assert.equal(outside.ok, false);
    assert.equal(outside.results[0].exitCode, null);
    assert.match(outside.results[0].error ?? '', /component "evil": path "..\/elsewhere" is outside the worktree/);
    assert.match(outside.summary, /could not run: component "evil"/);

    fs.symlinkSync(os.tmpdir(), path.join(dir, 'link'));
    const linked = await run({ components: [comp({ name: 'linked', path: 'link', test: ['true'] })] });
    assert.match(linked.results[0].error ?? '', /outside the worktree through a symbolic link/);

    const missing = await run({ components: [comp({ name: 'gone', path: 'nope', test: ['true'] })] });
    assert.match(missing.results[0].error ?? '', /path "nope" does not exist/);
  });

  it('a worktree that is gone fails with a clear reason', async () => {
    const gone = path.join(dir, 'gone');
    const r = await runGates({ dir: gone, config: { components: [], qaCommand: ['true'] }, transcript: transcript(), mask: (t) => t });
    assert.equal(r.ok, false);
    assert.equal(r.results[0].error, `the folder ${gone} does not exist`);
    assert.equal(r.summary, `\`true\` failed: could not run: the folder ${gone} does not exist`);
  });

  it('runs with CI=true, the host environment and stdin closed', async () => {
    const r = await run({ qaCommand: ['test "$CI" = true', 'test "$HUSKIES_GATE_PROBE" = here', 'cat'] }, { env: { ...process.env, HUSKIES_GATE_PROBE: 'here' } });
    assert.equal(r.ok, true, r.summary);
  });

  it('runs each command below this process’s priority (project.toml background_nice)', async () => {
    const want = Math.max(11, os.getPriority());
    const r = await run({ qaCommand: ['nice', 'cat /proc/self/autogroup || true'] }, { nice: 11 });
    assert.equal(r.ok, true, r.summary);
    const out = texts(await records());
    assert.ok(out.includes(String(want)), `nice prints ${want}: ${out.join(' | ')}`);
    // Each command leads its own session (so its group can be stopped): its scheduling group is its own.
    if (fs.existsSync('/proc/self/autogroup'))
      assert.ok(
        out.some((l) => new RegExp(`nice ${want}$`).test(l)),
        out.join(' | '),
      );
  });

  it('masks secrets in the transcript, the commands and the output tail', async () => {
    const secret = 'sv-9f8e7d6c5b4a3210';
    const r = await run(
      { qaCommand: [`echo "token is $DEPLOY_TOKEN"; echo ${secret} >&2; exit 1`] },
      { env: { ...process.env, DEPLOY_TOKEN: secret }, mask: (t) => redact(t, [secret]) },
    );
    assert.equal(r.ok, false);
    const file = fs.readFileSync(transcript(), 'utf8');
    assert.ok(!file.includes(secret), file);
    assert.ok(file.includes('token is ***'));
    assert.ok(!r.outputTail.includes(secret));
    assert.ok(!r.results[0].command.includes(secret));
    assert.ok(!r.summary.includes(secret));
  });

  it('keeps the head and the tail of a very long output, and the output tail small', async () => {
    const r = await run({ qaCommand: ['seq 1 300000'] });
    assert.equal(r.ok, true);
    const recs = await records();
    const lines = texts(recs);
    assert.equal(lines[0], '1');
    assert.equal(lines[lines.length - 1], '300000');
    assert.ok(lines.length < 100_000, `${lines.length} lines written`);
    assert.ok(notices(recs).some((m) => /lines \(\d+ KB\) of output left out/.test(m)));
    assert.ok(fs.statSync(transcript()).size < 1024 * 1024);
    assert.ok(r.outputTail.length <= 4_200);
    assert.match(r.outputTail, /\n300000\n\[exit 0 after /);
  });

  it('cuts a line with no end', async () => {
    const r = await run({ qaCommand: ["head -c 3000000 /dev/zero | tr '\\0' x"] });
    assert.equal(r.ok, true);
    const lines = texts(await records());
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^x+ … \(line cut\)$/);
    assert.ok(lines[0].length < 10_000);
  });

  it('a time limit stops the command and its whole group, a background child that ignores TERM included', async () => {
    const cmd = [stubborn('stubborn.pid', ''), 'sleep 300 & echo $! > bg.pid', 'sleep 300'].join('; ');
    const r = await run({ qaCommand: [cmd, 'touch not-run'] }, { timeoutMs: 3_000, graceMs: 300 });
    const pids = [pidIn('stubborn.pid'), pidIn('bg.pid')];
    for (const pid of pids) leftovers.pid(pid);
    assert.equal(r.ok, false);
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0].timedOut, true);
    assert.equal(r.results[0].exitCode, null);
    assert.match(r.summary, /stopped by the time limit of 3 s; 1 later gate command was not run/);
    for (const pid of pids) assert.equal(running(pid), false, `pid ${pid} is still running`);
    assert.equal(fs.existsSync(path.join(dir, 'not-run')), false);
  });

  it('an abort stops the running command and its group, and nothing after it starts', async () => {
    const r = await abortOnOutput('ready', ['sleep 300 & echo $! > bg.pid; echo ready; wait', 'touch not-run']);
    const bg = pidIn('bg.pid');
    leftovers.pid(bg);
    assert.equal(r.ok, false);
    assert.equal(r.aborted, true);
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0].aborted, true);
    assert.equal(r.summary, 'stopped after 0 of 2 gate commands passed');
    assert.equal(running(bg), false);
    assert.equal(fs.existsSync(path.join(dir, 'not-run')), false);
  });

  it('runs the commands even when the transcript cannot be written, and says so', async () => {
    fs.writeFileSync(path.join(logs, 'not-a-folder'), '');
    const r = await runGates({ dir, config: { components: [], qaCommand: ['touch ran'] }, transcript: path.join(logs, 'not-a-folder', 'gate.jsonl'), mask: (t) => t });
    assert.equal(r.ok, true);
    assert.match(r.summary, /^the gate command passed in .*; the transcript could not be written \(/);
    assert.equal(fs.existsSync(path.join(dir, 'ran')), true);
  });

  it('ends the transcript with the summary', async () => {
    const r = await run({ qaCommand: ['true', 'false'] });
    const last = (await records()).at(-1)!.msg;
    assert.deepEqual(last, { kind: 'notice', message: r.summary, level: 'warning' });
    assert.match(r.summary, /^`false` failed: exit 1 after /);
  });

  it('an abort after the command has ended does not count against it, but nothing after it starts', async () => {
    // The background child outlives the shell and holds the output pipe; it says when the shell is gone.
    const waiter =
      `sh -c 'trap "" TERM; echo $$ > bg.tmp; mv bg.tmp bg.pid; while kill -0 $PPID 2>/dev/null; do sleep 0.01; done; echo shell-gone; exec sleep 300' & ` +
      'while [ ! -s bg.pid ]; do sleep 0.01; done; exit 0';
    const r = await abortOnOutput('shell-gone', [waiter, 'touch not-run']);
    leftovers.pid(pidIn('bg.pid'));
    assert.deepEqual([r.results.length, r.results[0].exitCode, r.results[0].aborted, r.aborted], [1, 0, false, true]);
    assert.equal(r.summary, 'stopped after 1 of 2 gate commands passed');
    assert.equal(fs.existsSync(path.join(dir, 'not-run')), false);
    assert.equal(running(pidIn('bg.pid')), false);
  });

  it('a signal aborted before the start runs nothing', async () => {
    const r = await run({ qaCommand: ['touch ran'] }, { signal: AbortSignal.abort() });
    assert.equal(r.ok, false);
    assert.equal(r.aborted, true);
    assert.deepEqual(r.results, []);
    assert.equal(fs.existsSync(path.join(dir, 'ran')), false);
  });

  it('stops what a passing command left running in the background, with or without its pipes', async () => {
    const cmd = ['sleep 300 & echo $! > bg.pid', stubborn('quiet.pid', '>/dev/null 2>&1')].join('; ');
    const r = await run({ qaCommand: [cmd] }, { graceMs: 300 });
    assert.equal(r.ok, true);
    const pids = [pidIn('bg.pid'), pidIn('quiet.pid')];
    for (const pid of pids) leftovers.pid(pid);
    for (const pid of pids) assert.equal(running(pid), false, `pid ${pid} is still running`);
  });
});
