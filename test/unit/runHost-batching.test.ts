// A fast stream is written and told in batches: queued lines reach the transcript on flush, every
// record once with contiguous seqs, a host that exits (even on an uncaught exception) writes what it holds.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentMessage, TranscriptRecord } from '../../src/core/model/agentMessage';
import type { AgentLaunch, RunSignal } from '../../src/core/ports/spawner';
import { RunHost } from '../../src/core/agents/runHost';
import { TranscriptWriter, readAfter } from '../../src/core/agents/transcript';
import { selfIdentity } from '../../src/core/util/proc';
import { REPO_ROOT } from '../fixtures/repo';
import { Leftovers, waitFor } from '../fixtures/processes';

const text = (t: string): AgentMessage => ({ kind: 'text', text: t });
const same = (m: AgentMessage) => m;

/** A program printing `n` lines, each in a write of its own, then exiting (or hanging). */
const printer = (n: number, hang = false) =>
  `let i = 0; const next = () => { if (i < ${n}) { process.stdout.write('line ' + ++i + '\\n'); setImmediate(next); } else if (${hang}) setInterval(() => {}, 1000); }; next();`;

describe('runHost: batched transcript writes', function () {
  this.timeout(30_000);
  let dir: string;
  const left = new Leftovers();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-batch-'));
  });
  afterEach(() => {
    left.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function launchOf(script: string): AgentLaunch {
    const file = path.join(dir, 'agent.js');
    fs.writeFileSync(file, script);
    return {
      runId: 'run-1',
      runtime: 'command',
      label: 'Test agent',
      spec: { program: process.execPath, args: [file], cwd: dir, env: { ...process.env }, label: 'Test agent (node)', missingHint: 'Install it.' },
      limits: { graceMs: 2000 },
      transcript: path.join(dir, 'logs', 'run-1.jsonl'),
      fromSeq: 0,
      secrets: [],
    };
  }

  it('TranscriptWriter: queued lines are numbered at once, on disk only after flush, and close writes what is left', () => {
    const file = path.join(dir, 't.jsonl');
    const w = new TranscriptWriter(file);
    const a = w.queue([text('a'), text('b')], 1);
    assert.deepEqual(
      a.map((r) => r.seq),
      [1, 2],
    );
    assert.equal(fs.readFileSync(file, 'utf8'), '', 'nothing written before flush');
    assert.ok(w.dirty);
    w.flush();
    assert.ok(!w.dirty);
    assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 2);
    w.queue([text('c')], 2);
    w.close();
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TranscriptRecord);
    assert.deepEqual(
      lines.map((r) => [r.seq, r.msg.kind === 'text' && r.msg.text]),
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
    );
  });

  it('a stream of small writes becomes a few batches, every line written once with contiguous seqs', async () => {
    const l = launchOf(printer(300));
    const host = new RunHost(l, { mask: same, owner: selfIdentity(), flushMs: 1000 });
    const signals: RunSignal[] = [];
    host.onSignal((s) => {
      signals.push(s);
      if (s.kind === 'started') left.group(s.pid);
    });
    host.start();
    const outcome = await host.done;
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const batches = signals.flatMap((s) => (s.kind === 'records' ? [s.records] : []));
    const told = batches.flat();
    const onDisk = await readAfter(l.transcript, 0);
    assert.deepEqual(onDisk, told, 'what was told is exactly what was written');
    assert.deepEqual(
      onDisk.map((r) => r.seq),
      onDisk.map((_, i) => i + 1),
    );
    const texts = onDisk.flatMap((r) => (r.msg.kind === 'text' ? r.msg.text.split('\n').filter(Boolean) : []));
    assert.deepEqual(
      texts,
      Array.from({ length: 300 }, (_, i) => `line ${i + 1}`),
    );
    assert.ok(batches.length <= 5, `${batches.length} batches for 300 separate writes`);
  });

  /** Starts a host on a program printing `lines` lines then hanging; resolves once the first is on disk. */
  async function firstLineOnDisk(lines: number, flushMs: number): Promise<RunHost> {
    const l = launchOf(printer(lines, true));
    const host = new RunHost(l, { mask: same, owner: selfIdentity(), flushMs });
    host.onSignal((s) => {
      if (s.kind === 'started') left.group(s.pid);
    });
    host.start();
    await waitFor(async () => (await readAfter(l.transcript, 0)).length >= 1, `the first line on disk (flushMs ${flushMs})`);
    return host;
  }

  it('with flushMs 0 every chunk of output is written and told at once', async () => {
    const host = await firstLineOnDisk(5, 0);
    assert.equal(host.unwritten, 0);
    host.stop('cancelled', 'done');
    await host.done;
  });

  it('output after a quiet spell is written at once, not after flushMs', async () => {
    const host = await firstLineOnDisk(1, 60_000); // waitFor gives up after 10 s
    host.stop('cancelled', 'done');
    await host.done;
  });

  it('a host that dies of an uncaught exception first writes the output it held', async () => {
    // The first write goes out at once; the next five lines, one chunk soon after, are held as one batch.
    const l = launchOf(
      `process.stdout.write('line 0\\n'); setTimeout(() => process.stdout.write([1, 2, 3, 4, 5].map((i) => 'line ' + i + '\\n').join('')), 200); setInterval(() => {}, 1000);`,
    );
    const script = path.join(dir, 'host.ts');
    fs.writeFileSync(
      script,
      `import { RunHost } from ${JSON.stringify(path.join(REPO_ROOT, 'src/core/agents/runHost.ts'))};
const l = ${JSON.stringify(l)};
const host = new RunHost(l, { mask: (m) => m, owner: { pid: process.pid }, flushMs: 60_000 });
host.onSignal((s) => { if (s.kind === 'started') process.stdout.write(s.pid + '\\n'); });
host.start();
const t = setInterval(() => {
  if (host.snapshot().lastSeq < 1 || host.unwritten < 1) return; // line 0 written, the rest held
  clearInterval(t);
  throw new Error('boom');
}, 10);
`,
    );
    let out: string;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      assert.fail('the host should have died');
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      out = e.stdout ?? '';
      assert.match(e.stderr ?? '', /boom/);
    }
    for (const pid of out.split('\n').filter(Boolean)) left.group(Number(pid));
    const onDisk = await readAfter(l.transcript, 0);
    const texts = onDisk.flatMap((r) => (r.msg.kind === 'text' ? r.msg.text.split('\n').filter(Boolean) : []));
    assert.deepEqual(texts, ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
  });
});
