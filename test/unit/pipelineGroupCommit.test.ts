// Group commit in the one writer: a command is decided and applied in memory under the lock, the
// next is decided on it while its state file is still written, and each command's audit line and
// events come only once it is on disk, in the order the commands were applied.
import * as assert from 'node:assert/strict';
import { EventBus } from '../../src/core/pipeline/eventBus';
import { Pipeline, type RequestResult } from '../../src/core/pipeline/pipeline';
import type { ApplyResult, Op } from '../../src/core/state/types';
import { nullLogger } from '../../src/core/util/log';
import { MemoryState, item } from '../fixtures/memoryState';

/** A memory state whose writes reach "disk" only when the test says so. */
class SlowDiskState extends MemoryState {
  readonly disk: Array<{ seq: number; write: (err?: Error) => void }> = [];
  override async apply(ops: readonly Op[]): Promise<ApplyResult> {
    const r = await super.apply(ops);
    let write!: (err?: Error) => void;
    const durable = new Promise<void>((res, rej) => (write = (err) => (err ? rej(err) : res())));
    this.disk.push({ seq: r.seq, write });
    return { ...r, durable };
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('pipeline: group commit', () => {
  it('the next command is decided on the last one at once; events and answers wait for the disk, in order', async () => {
    const state = new SlowDiskState([item(1, 'current'), item(2, 'current')]);
    const bus = new EventBus(nullLogger);
    const audited: string[] = [];
    const pipeline = new Pipeline(state, { append: (e) => audited.push(`${e.cmd} ${e.id}`) }, bus, () => ({ now: 1, logsDir: '/tmp', newRunId: (id) => `${id}-r` }), nullLogger);
    const seen: string[] = [];
    bus.on('run.queued', (e) => seen.push(`queued ${e.run.storyId}`));
    const answers: string[] = [];
    const ask = (id: number) =>
      pipeline.request({ type: 'run.enqueue', id, source: 'user', attempt: 1 }).then((r: RequestResult) => answers.push(`${id} ${r.ok ? 'ok' : 'refused'}`));
    const one = ask(1);
    const two = ask(2);
    const again = ask(1); // decided on the first, which is applied but not yet on disk: refused
    await turn();
    assert.equal(state.disk.length, 2, 'both applied without waiting for the first write');
    assert.ok(state.activeRun(1) && state.activeRun(2));
    assert.deepEqual([seen, answers, audited], [[], [], []], 'nothing announced before the disk has it');
    state.disk[1].write(); // the second write lands first: still nothing is announced out of order
    await turn();
    assert.deepEqual(seen, []);
    state.disk[0].write();
    await Promise.all([one, two, again]);
    assert.deepEqual(seen, ['queued 1', 'queued 2']);
    assert.deepEqual(audited, ['run.enqueue 1', 'run.enqueue 2']);
    assert.deepEqual(answers, ['1 ok', '2 ok', '1 refused']);
    await pipeline.close();
  });

  it('a change that could not be written is answered with the reason and announces nothing', async () => {
    const state = new SlowDiskState([item(1, 'current')]);
    const bus = new EventBus(nullLogger);
    const pipeline = new Pipeline(state, { append: () => undefined }, bus, () => ({ now: 1, logsDir: '/tmp', newRunId: (id) => `${id}-r` }), nullLogger);
    const seen: string[] = [];
    bus.on('*', (e) => seen.push(e.type));
    const r = pipeline.request({ type: 'run.enqueue', id: 1, source: 'user', attempt: 1 });
    await turn();
    state.disk[0].write(new Error('ENOSPC: no space left on device'));
    assert.deepEqual(await r, { ok: false, refusal: 'ENOSPC: no space left on device' });
    assert.deepEqual(seen, []);
    await pipeline.close();
  });

  it('an announcement that throws fails its own request only; the next ones are announced', async () => {
    const state = new SlowDiskState([item(1, 'current'), item(2, 'current')]);
    const bus = new EventBus(nullLogger);
    let failAudit = true;
    const audit = {
      append: () => {
        if (failAudit) {
          failAudit = false;
          throw new Error('EIO: audit.log');
        }
      },
    };
    const pipeline = new Pipeline(state, audit, bus, () => ({ now: 1, logsDir: '/tmp', newRunId: (id) => `${id}-r` }), nullLogger);
    const first = pipeline.request({ type: 'run.enqueue', id: 1, source: 'user', attempt: 1 });
    const second = pipeline.request({ type: 'run.enqueue', id: 2, source: 'user', attempt: 1 });
    await turn();
    for (const d of state.disk) d.write();
    await assert.rejects(first, /EIO/);
    assert.equal((await second).ok, true);
    await pipeline.close();
  });
});
