// The progress notices of the stage workers (QA gates, merges): one start when work on a story
// begins, one end when it finishes, also when it fails, and after the event being delivered.
import * as assert from 'node:assert/strict';
import type { HuskiesEvent } from '../../src/core/model/events';
import type { Stage } from '../../src/core/model/stage';
import type { WorkItem } from '../../src/core/model/workItem';
import { EventBus } from '../../src/core/pipeline/eventBus';
import { StageWorker } from '../../src/core/pipeline/stageWorker';
import { nullLogger } from '../../src/core/util/log';

const story = (id: number, stage: Stage) => ({ id, stage, blocked: false, invalid: undefined }) as unknown as WorkItem;

class Worker extends StageWorker {
  readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  protected wants(): boolean {
    return true;
  }
  protected work(item: WorkItem): Promise<void> {
    return new Promise((resolve, reject) => this.pending.set(item.id, { resolve, reject }));
  }
}

function setup(stage: Stage, items: WorkItem[]) {
  const bus = new EventBus(nullLogger);
  const seen: HuskiesEvent[] = [];
  bus.on('*', (e) => seen.push(e));
  const w = new Worker(stage, 'work', { bus, logger: nullLogger, items: () => items, stopped: () => undefined });
  const progress = () => seen.filter((e) => e.type === 'work.progress').map((e) => (e.type === 'work.progress' ? [e.kind, e.id, e.phase, e.ok] : []));
  const settle = () => new Promise((r) => setImmediate(r));
  return { bus, w, seen, progress, settle };
}

describe('work progress notices from the stage workers', () => {
  it('a merge: one start when it begins and one end when it is done', async () => {
    const { w, progress, settle } = setup('merge', [story(12, 'merge'), story(13, 'qa')]);
    w.pump();
    await settle();
    assert.deepEqual(progress(), [['merge', 12, 'start', undefined]]);
    w.pump(); // already running: no second start
    await settle();
    assert.equal(progress().length, 1);
    w.pending.get(12)!.resolve();
    await settle();
    assert.deepEqual(progress(), [
      ['merge', 12, 'start', undefined],
      ['merge', 12, 'end', true],
    ]);
  });

  it('QA gates that fail still end, marked not ok', async () => {
    const { w, progress, settle } = setup('qa', [story(3, 'qa'), story(4, 'qa')]);
    w.pump();
    await settle();
    w.pending.get(3)!.reject(new Error('boom'));
    await settle();
    assert.deepEqual(progress(), [
      ['gates', 3, 'start', undefined],
      ['gates', 4, 'start', undefined],
      ['gates', 3, 'end', false],
    ]);
  });

  it('the start comes after the event that made the worker look (no notice inside another delivery)', async () => {
    const { bus, w, seen, settle } = setup('merge', [story(7, 'merge')]);
    w.start(); // pumps at once, then again on each move into merge
    await settle();
    w.pending.get(7)!.resolve();
    await settle();
    seen.length = 0;
    bus.emit({ type: 'item.moved', id: 7, from: 'qa', to: 'merge', source: 'user' });
    await settle();
    assert.deepEqual(
      seen.map((e) => e.type),
      ['item.moved', 'work.progress'],
    );
  });
});
