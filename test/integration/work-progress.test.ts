// The progress notices a story's long work sends on its way from backlog to done: its worktree
// (with the components' setup), its QA gates and its merge, each a start and then an end; and the
// charts' numbers the same project gives afterwards.
import * as assert from 'node:assert/strict';
import { waitFor } from '../fixtures/repo';
import { huskiesPerTest } from '../fixtures/huskiesRepo';
import type { HuskiesEvent } from '../../src/core/api';

describe('work progress and charts (integration)', function () {
  this.timeout(90_000);
  const h = huskiesPerTest();

  it('worktree, gates and merge each start and end; the story counts as done today', async () => {
    const { o } = await h.open('default_qa = "server"\nqa_command = "test -d huskies-sim"\n[[component]]\nname = "app"\npath = "."\nsetup = ["echo ready > setup.log"]\n', (r) =>
      r.story(1, 'All the way'),
    );
    const seen: string[] = [];
    o.on('event', (e: HuskiesEvent) => {
      if (e.type === 'work.progress' && e.id === 1) seen.push(`${e.kind} ${e.phase}${e.message ? ` ${e.message}` : ''}${e.ok === undefined ? '' : ` ${e.ok}`}`);
    });
    await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'done', 'the story merged', 80_000);
    await waitFor(() => seen.includes('merge end true'), 'the merge worker finished', 10_000);
    // each kind in order; the gates' end may come after the merge's start (it reports the result first)
    const of = (kind: string) => seen.filter((x) => x.startsWith(`${kind} `));
    assert.deepEqual(of('worktree'), ['worktree start', 'worktree step running setup', 'worktree end true']);
    assert.deepEqual(of('gates'), ['gates start', 'gates end true']);
    assert.deepEqual(of('merge'), ['merge start', 'merge end true']);
    assert.ok(seen.indexOf('worktree end true') < seen.indexOf('gates start') && seen.indexOf('gates start') < seen.indexOf('merge start'));
    const s = await o.stats();
    assert.equal(s.donePerDay[s.donePerDay.length - 1], 1);
    // the story file was written by hand before start: when it entered the backlog is not in the log
    assert.deepEqual(
      s.stageTimes.map((t) => [t.stage, t.count]),
      [
        ['current', 1],
        ['qa', 1],
        ['merge', 1],
      ],
    );
  });
});
