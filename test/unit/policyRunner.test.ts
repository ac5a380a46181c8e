// The policy runner: auto-assign runs after every event, and a command it gave that the pipeline has
// not answered yet is not given again.
import * as assert from 'node:assert/strict';
import { PolicyRunner } from '../../src/core/policies/runner';
import { EventBus } from '../../src/core/pipeline/eventBus';
import type { RequestResult } from '../../src/core/pipeline/pipeline';
import type { Command } from '../../src/core/model/commands';
import type { PolicyContext } from '../../src/core/policies/types';
import { DEFAULT_PROJECT, type HuskiesConfig } from '../../src/core/config/config';
import { nullLogger } from '../../src/core/util/log';
import { MemoryState, item } from '../fixtures/memoryState';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('PolicyRunner', () => {
  it('a burst of events while its enqueues wait asks once per story, and again once they are answered', async () => {
    const state = new MemoryState([item(1, 'current'), item(2, 'current'), item(3, 'current')]);
    const bus = new EventBus(nullLogger);
    const config = { project: { ...DEFAULT_PROJECT }, agents: [] } as unknown as HuskiesConfig;
    const ctx = (): PolicyContext => ({ now: 0, config, agents: [], autoAssign: true });
    const asked: Command[] = [];
    const answers: Array<(r: RequestResult) => void> = [];
    const request = (c: Command) => {
      asked.push(c);
      return new Promise<RequestResult>((r) => answers.push(r));
    };
    const runner = new PolicyRunner(bus, state, ctx, request, nullLogger);
    runner.start();
    // Three stories moved by hand: three events, each followed by an auto-assign pass, while the pipeline is busy.
    for (const id of [1, 2, 3]) {
      bus.emit({ type: 'item.moved', id, from: 'backlog', to: 'current', source: 'user' });
      await turn();
    }
    const enqueued = () => asked.filter((c) => c.type === 'run.enqueue').map((c) => (c as { id: number }).id);
    assert.deepEqual(enqueued().sort(), [1, 2, 3], 'one enqueue per story, not one per story per event');
    // Refused (say, the story was paused meanwhile): the next pass may ask again.
    for (const answer of answers.splice(0)) answer({ ok: false, refusal: 'not now' });
    await turn();
    runner.kick();
    await turn();
    assert.deepEqual(enqueued().sort(), [1, 1, 2, 2, 3, 3]);
    runner.dispose();
  });
});
