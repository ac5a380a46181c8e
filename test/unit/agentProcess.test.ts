// AgentProcess with real tiny child processes: line assembly, stderr, missing programs, process-group
// stop (grandchildren included), the inactivity and wall-clock watchdogs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { AgentProcess, coalesceText, fmtDuration, type LaunchSpec, type ProcessLimits } from '../../src/core/agents/agentProcess';
import type { AgentMessage, RunOutcome } from '../../src/core/model/agentMessage';
import type { ExitStatus, StreamParser } from '../../src/core/agents/parsers/types';

/** Each stdout line → one text message; stderr lines → nothing; the outcome follows the exit code. */
class FakeParser implements StreamParser {
  lines: string[] = [];
  stderrLines: string[] = [];
  exit?: ExitStatus;
  line(l: string): AgentMessage[] {
    this.lines.push(l);
    return [{ kind: 'text', text: l }];
  }
  stderrLine(l: string): AgentMessage[] {
    this.stderrLines.push(l);
    return [];
  }
  finish(exit: ExitStatus): RunOutcome {
    this.exit = exit;
    return exit.code === 0 ? { ok: true, kind: 'success' } : { ok: false, kind: 'failed', reason: `exit ${exit.code ?? exit.signal}` };
  }
}

function launch(script: string, limits: ProcessLimits = {}, over: Partial<LaunchSpec> = {}) {
  const parser = new FakeParser();
  const batches: AgentMessage[][] = [];
  const spec: LaunchSpec = {
    program: process.execPath,
    args: ['-e', script],
    cwd: os.tmpdir(),
    env: { ...process.env },
    label: 'Test agent (node)',
    missingHint: 'Install it with: npm i -g test-agent',
    ...over,
  };
  const ap = new AgentProcess(spec, parser, (m) => batches.push(m), limits);
  const texts = () =>
    batches
      .flat()
      .filter((m): m is Extract<AgentMessage, { kind: 'text' }> => m.kind === 'text')
      .map((m) => m.text)
      .join('\n')
      .split('\n');
  return { ap, parser, batches, texts };
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: not done after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

describe('agentProcess: AgentProcess', function () {
  this.timeout(8000);
  const leftovers: number[] = [];
  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it('reassembles lines split across chunks and strips \\r', async () => {
    const script = `
      const w = (s) => new Promise((r) => process.stdout.write(s, () => setTimeout(r, 30)));
      (async () => { await w('hel'); await w('lo\\r\\nwor'); await w('ld\\n\\nsecond'); await w(' half\\nlast without newline'); })();`;
    const { ap, parser, texts } = launch(script);
    ap.start();
    assert.ok(ap.pid && ap.pid > 0);
    const outcome = await ap.done;
    assert.deepEqual(outcome, { ok: true, kind: 'success' });
    assert.deepEqual(parser.lines, ['hello', 'world', 'second half', 'last without newline']);
    assert.deepEqual(texts(), ['hello', 'world', 'second half', 'last without newline']);
    assert.equal(parser.exit?.code, 0);
  });

  it('keeps stderr apart from stdout and hands its tail to finish', async () => {
    const script = `process.stdout.write('out 1\\n'); process.stderr.write('err 1\\nerr 2\\n'); process.stdout.write('out 2\\n'); process.exitCode = 3;`;
    const { ap, parser, texts } = launch(script);
    ap.start();
    const outcome = await ap.done;
    assert.deepEqual(outcome, { ok: false, kind: 'failed', reason: 'exit 3' });
    assert.deepEqual(parser.lines, ['out 1', 'out 2']);
    assert.deepEqual(parser.stderrLines, ['err 1', 'err 2']);
    assert.deepEqual(texts(), ['out 1', 'out 2']);
    assert.equal(parser.exit?.code, 3);
    assert.match(parser.exit!.stderrTail, /err 1\nerr 2/);
    assert.ok(!parser.exit!.stderrTail.includes('out'));
  });

  it('a missing program ends with kind missing_program and the hint in the reason', async () => {
    const { ap } = launch('', {}, { program: '/nonexistent/dir/huskies-no-such-agent', args: [] });
    ap.start();
    const o = await withTimeout(ap.done, 3000, 'missing program');
    assert.equal(o.ok, false);
    assert.equal(o.kind, 'missing_program');
    assert.ok(o.reason?.includes('Test agent (node)'), o.reason);
    assert.ok(o.reason?.includes('/nonexistent/dir/huskies-no-such-agent'), o.reason);
    assert.ok(o.reason?.includes('Install it with: npm i -g test-agent'), o.reason);
  });

  it('a program name not on PATH is missing too', async () => {
    const { ap } = launch('', {}, { program: 'huskies-no-such-agent-xyz', args: [], env: { PATH: '/nonexistent' } });
    ap.start();
    const o = await withTimeout(ap.done, 3000, 'missing program');
    assert.equal(o.kind, 'missing_program');
  });

  // spawn() reports a missing working directory as ENOENT as well; the program is there, the
  // worktree is not, and the reason must not send the user to reinstall the program.
  it('a missing working directory is not reported as a missing program', async () => {
    const { ap } = launch('console.log(1)', {}, { cwd: '/nonexistent/huskies-worktree-gone' });
    ap.start();
    const o = await withTimeout(ap.done, 3000, 'missing cwd');
    assert.equal(o.ok, false);
    assert.notEqual(o.kind, 'missing_program', o.reason);
    assert.ok(o.reason?.includes('/nonexistent/huskies-worktree-gone'), o.reason);
  });

  it('stop() kills the whole group, grandchild included, even when the child ignores SIGTERM', async () => {
    const script = `
      process.on('SIGTERM', () => { console.log('ignoring TERM'); });
      const g = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
      console.log('grandchild ' + g.pid);
      setInterval(() => {}, 1000);`;
    const { ap, parser, texts } = launch(script, { graceMs: 200 });
    ap.start();
    assert.ok(await waitFor(() => texts().some((t) => t.startsWith('grandchild ')), 3000), 'the child reports its grandchild');
    const gpid = Number(
      texts()
        .find((t) => t.startsWith('grandchild '))!
        .split(' ')[1],
    );
    const cpid = ap.pid!;
    leftovers.push(gpid, cpid);
    assert.ok(running(gpid) && running(cpid));
    const t0 = Date.now();
    ap.stop();
    ap.stop(); // twice is harmless
    const o = await withTimeout(ap.done, 3000, 'stop');
    assert.equal(o.ok, false);
    assert.equal(o.kind, 'cancelled');
    assert.equal(o.reason, 'stopped by the user');
    assert.ok(Date.now() - t0 >= 150, 'the child ignored TERM, so KILL came after the grace period');
    assert.equal(parser.exit?.signal, 'SIGKILL');
    assert.ok(await waitFor(() => !running(cpid), 2000), 'child gone');
    assert.ok(await waitFor(() => !running(gpid), 2000), 'grandchild gone');
  });

  it('stop() also kills a grandchild that ignores SIGTERM', async () => {
    const script = `
      const g = require('child_process').spawn('sh', ['-c', 'trap "" TERM; exec sleep 60'], { stdio: 'ignore' });
      console.log('grandchild ' + g.pid);
      process.on('SIGTERM', () => {});
      setInterval(() => {}, 1000);`;
    const { ap, texts } = launch(script, { graceMs: 150 });
    ap.start();
    assert.ok(await waitFor(() => texts().some((t) => t.startsWith('grandchild ')), 3000));
    const gpid = Number(
      texts()
        .find((t) => t.startsWith('grandchild '))!
        .split(' ')[1],
    );
    leftovers.push(gpid, ap.pid!);
    await new Promise((r) => setTimeout(r, 100)); // let sh exec sleep with TERM ignored
    ap.stop('cancelled', 'test stop');
    const o = await withTimeout(ap.done, 3000, 'stop');
    assert.equal(o.reason, 'test stop');
    assert.ok(await waitFor(() => !running(gpid), 2000), 'grandchild gone');
  });

  it('what the program left running in its group is reaped when it exits', async () => {
    const script = `
      const g = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
      g.unref();
      console.log('grandchild ' + g.pid);`;
    const { ap, texts } = launch(script);
    ap.start();
    const o = await withTimeout(ap.done, 3000, 'exit');
    assert.equal(o.kind, 'success');
    const gpid = Number(
      texts()
        .find((t) => t.startsWith('grandchild '))!
        .split(' ')[1],
    );
    leftovers.push(gpid);
    assert.ok(await waitFor(() => !running(gpid), 2000), 'the background process is gone');
  });

  // A background process that inherited the program's stdout (a dev server started with `&`)
  // keeps the pipe open: the run must still end when the program exits, and the group is reaped.
  it('a program that exits while a background child holds its stdout still ends', async () => {
    const script = `
      const g = require('child_process').spawn('sleep', ['60'], { stdio: ['ignore', 'inherit', 'inherit'] });
      g.unref();
      console.log('grandchild ' + g.pid);`;
    const { ap, texts } = launch(script);
    ap.start();
    await waitFor(() => texts().some((t) => t.startsWith('grandchild ')), 3000);
    const line = texts().find((t) => t.startsWith('grandchild '));
    if (line) leftovers.push(Number(line.split(' ')[1]));
    leftovers.push(ap.pid!);
    try {
      const o = await withTimeout(ap.done, 1500, 'exit with an inherited stdout');
      assert.equal(o.kind, 'success');
      if (line) assert.ok(await waitFor(() => !running(Number(line.split(' ')[1])), 2000));
    } finally {
      ap.stop(); // let the test end either way
    }
  });

  it('the inactivity watchdog stops a silent child', async () => {
    const { ap } = launch(`console.log('started'); setInterval(() => {}, 1000);`, { inactivityMs: 300, graceMs: 500 });
    const t0 = Date.now();
    ap.start();
    leftovers.push(ap.pid!);
    const o = await withTimeout(ap.done, 4000, 'inactivity');
    const took = Date.now() - t0;
    assert.equal(o.ok, false);
    assert.equal(o.kind, 'inactivity');
    assert.match(o.reason ?? '', /no output for 300 ms/);
    assert.ok(took >= 280 && took < 2500, `stopped after ${took} ms`);
  });

  // These two use a clock that moves only when the child prints, so a slow start on a busy
  // machine is never mistaken for silence; the watchdog's own timer still runs in real time.
  function steppedClock() {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }

  it('output keeps the inactivity watchdog away', async () => {
    const clock = steppedClock();
    const parser = new FakeParser();
    const script = `let n = 0; const t = setInterval(() => { console.log('tick ' + n); if (++n === 8) clearInterval(t); }, 40);`;
    // every line moves the clock by 90% of the limit: only resetting on output keeps it under the limit
    const ap = new AgentProcess(
      { program: process.execPath, args: ['-e', script], cwd: os.tmpdir(), env: process.env, label: 'x', missingHint: '' },
      parser,
      (msgs) => clock.advance(270 * msgs.length),
      { inactivityMs: 300 },
      clock,
    );
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'chatty');
    assert.equal(o.kind, 'success', o.reason);
    assert.equal(parser.lines.length, 8);
  });

  it('an open tool call is not silence', async () => {
    const clock = steppedClock();
    const parser = new FakeParser();
    parser.line = (l: string): AgentMessage[] => (l === 'use' ? [{ kind: 'tool_use', id: 't1', name: 'Bash', input: {} }] : [{ kind: 'text', text: l }]);
    const ap = new AgentProcess(
      { program: process.execPath, args: ['-e', `console.log('use'); setTimeout(() => {}, 400);`], cwd: os.tmpdir(), env: process.env, label: 'x', missingHint: '' },
      parser,
      () => clock.advance(60_000), // the tool call "runs" far longer than the limit
      { inactivityMs: 200 },
      clock,
    );
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'tool call');
    assert.equal(o.kind, 'success', o.reason);
  });

  it('the same silence without an open tool call is stopped (control for the test above)', async () => {
    const clock = steppedClock();
    const ap = new AgentProcess(
      { program: process.execPath, args: ['-e', `console.log('text'); setTimeout(() => {}, 3000);`], cwd: os.tmpdir(), env: process.env, label: 'x', missingHint: '' },
      new FakeParser(),
      () => clock.advance(60_000),
      { inactivityMs: 200, graceMs: 500 },
      clock,
    );
    ap.start();
    leftovers.push(ap.pid!);
    const o = await withTimeout(ap.done, 4000, 'silence');
    assert.equal(o.kind, 'inactivity');
  });

  it('the wall-clock timeout stops the run with kind timeout', async () => {
    const { ap } = launch(`setInterval(() => console.log('busy'), 20);`, { timeoutMs: 300, graceMs: 500 });
    const t0 = Date.now();
    ap.start();
    leftovers.push(ap.pid!);
    const o = await withTimeout(ap.done, 4000, 'timeout');
    assert.equal(o.kind, 'timeout');
    assert.equal(o.ok, false);
    assert.match(o.reason ?? '', /time limit of 300 ms/);
    assert.ok(Date.now() - t0 >= 280);
  });

  it('stop() after the exit changes nothing', async () => {
    const { ap } = launch(`console.log('x')`);
    ap.start();
    const o = await ap.done;
    ap.stop();
    assert.equal(o.kind, 'success');
  });
});

describe('agentProcess: coalesceText', () => {
  it('merges consecutive texts with a newline, keeping other kinds as separators', () => {
    const n: AgentMessage = { kind: 'notice', message: 'n' };
    assert.deepEqual(coalesceText([{ kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }, n, { kind: 'text', text: 'c' }]), [
      { kind: 'text', text: 'a\nb' },
      n,
      { kind: 'text', text: 'c' },
    ]);
  });

  it('adds no newline after a text that ends with one, or before a delta', () => {
    assert.deepEqual(
      coalesceText([
        { kind: 'text', text: 'a\n' },
        { kind: 'text', text: 'b' },
      ]),
      [{ kind: 'text', text: 'a\nb' }],
    );
    assert.deepEqual(
      coalesceText([
        { kind: 'text', text: 'Hel', delta: true },
        { kind: 'text', text: 'lo', delta: true },
        { kind: 'text', text: '!', delta: true },
      ]),
      [{ kind: 'text', text: 'Hello!', delta: true }],
    );
    assert.deepEqual(
      coalesceText([
        { kind: 'text', text: 'full' },
        { kind: 'text', text: '+d', delta: true },
      ]),
      [{ kind: 'text', text: 'full+d' }],
    );
  });

  it('returns short lists as they are and does not change its input', () => {
    const one: AgentMessage[] = [{ kind: 'text', text: 'a' }];
    assert.equal(coalesceText(one), one);
    assert.deepEqual(coalesceText([]), []);
    const input: AgentMessage[] = [
      { kind: 'text', text: 'a' },
      { kind: 'text', text: 'b' },
    ];
    coalesceText(input);
    assert.deepEqual(input, [
      { kind: 'text', text: 'a' },
      { kind: 'text', text: 'b' },
    ]);
    const t: AgentMessage = { kind: 'thinking', text: 'x' };
    assert.deepEqual(coalesceText([t, t]), [t, t]);
  });
});

describe('agentProcess: fmtDuration', () => {
  it('picks ms, s, min or h', () => {
    assert.equal(fmtDuration(0), '0 ms');
    assert.equal(fmtDuration(300), '300 ms');
    assert.equal(fmtDuration(999), '999 ms');
    assert.equal(fmtDuration(1000), '1 s');
    assert.equal(fmtDuration(90_000), '90 s');
    assert.equal(fmtDuration(119_000), '119 s');
    assert.equal(fmtDuration(120_000), '2 min');
    assert.equal(fmtDuration(30 * 60_000), '30 min');
    assert.equal(fmtDuration(119 * 60_000), '119 min');
    assert.equal(fmtDuration(120 * 60_000), '2 h');
    assert.equal(fmtDuration(5 * 3_600_000), '5 h');
  });
});

describe('agentProcess: API retries, network give-up, and hostile receivers', function () {
  this.timeout(8000);

  function steppedClock() {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }

  /** Lines "retry <ms> <cause>" become retry messages; anything else is text. */
  function retryParser(): FakeParser {
    const p = new FakeParser();
    p.line = (l: string): AgentMessage[] => {
      const m = /^retry (\d+) (\w+)$/.exec(l);
      return m ? [{ kind: 'retry', message: l, delayMs: Number(m[1]), cause: m[2] as 'network' }] : [{ kind: 'text', text: l }];
    };
    return p;
  }

  const spec = (script: string): LaunchSpec => ({ program: process.execPath, args: ['-e', script], cwd: os.tmpdir(), env: process.env, label: 'Test agent', missingHint: '' });

  it('an announced retry wait is not silence: the watchdog allows the delay', async () => {
    const clock = steppedClock();
    // The program announces a 60 s retry, then is silent; on the clock the silence lasts 30 s.
    const ap = new AgentProcess(
      spec(`console.log('retry 60000 overloaded'); setTimeout(() => console.log('answer'), 400);`),
      retryParser(),
      () => clock.advance(30_000),
      { inactivityMs: 200, graceMs: 500 },
      clock,
    );
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'retry wait');
    assert.equal(o.kind, 'success', o.reason);
  });

  it('the watchdog is extended by the delay, not for ever (control for the test above)', async () => {
    const clock = steppedClock();
    const ap = new AgentProcess(
      spec(`console.log('retry 1000 overloaded'); setTimeout(() => {}, 3000);`),
      retryParser(),
      () => clock.advance(30_000),
      { inactivityMs: 200, graceMs: 500 },
      clock,
    );
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'retry wait over');
    assert.equal(o.kind, 'inactivity');
  });

  it('network retries in a row stop the run as network, with the last retry in the reason', async () => {
    const script = `for (let i = 1; i <= 5; i++) console.log('retry 10 network'); setTimeout(() => {}, 3000);`;
    const ap = new AgentProcess(spec(script), retryParser(), () => undefined, { maxNetworkRetries: 3, graceMs: 500 });
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'network give-up');
    assert.equal(o.ok, false);
    assert.equal(o.kind, 'network');
    assert.match(o.reason!, /^Test agent could not reach the API \(3 retries in a row\): retry 10 network$/);
  });

  it('real output between network retries starts the count again', async () => {
    const script = `for (let i = 1; i <= 6; i++) console.log(i % 2 ? 'retry 10 network' : 'progress');`;
    const ap = new AgentProcess(spec(script), retryParser(), () => undefined, { maxNetworkRetries: 2 });
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'intermittent');
    assert.equal(o.kind, 'success', o.reason);
  });

  it('a receiver that throws stops the run with a reason instead of taking the process down', async () => {
    const ap = new AgentProcess(
      spec(`console.log('one'); setTimeout(() => {}, 3000);`),
      new FakeParser(),
      () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
      { graceMs: 500 },
    );
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'throwing receiver');
    assert.equal(o.kind, 'failed');
    assert.equal(o.reason, 'the output of Test agent could not be recorded: Maximum call stack size exceeded');
  });

  it('a parser that throws loses that line only', async () => {
    const p = new FakeParser();
    const line = p.line.bind(p);
    p.line = (l: string) =>
      l === 'bad'
        ? (() => {
            throw new Error('parser bug');
          })()
        : line(l);
    const got: AgentMessage[] = [];
    const ap = new AgentProcess(spec(`console.log('good 1'); console.log('bad'); console.log('good 2');`), p, (m) => got.push(...m));
    ap.start();
    const o = await withTimeout(ap.done, 4000, 'throwing parser');
    assert.equal(o.kind, 'success');
    assert.deepEqual(
      got
        .filter((m) => m.kind === 'text')
        .map((m) => (m as { text: string }).text)
        .join('\n')
        .split('\n'),
      ['good 1', 'good 2'],
    );
  });
});
