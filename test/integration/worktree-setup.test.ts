// A story's new worktree gets each [[component]]'s setup before its agent starts; a failing setup
// fails the run with the reason, and the agent never starts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../fixtures/repo';
import { huskiesPerTest } from '../fixtures/huskiesRepo';

describe('component setup in new worktrees (integration)', function () {
  this.timeout(60_000);
  const h = huskiesPerTest();

  it('setup runs in the new worktree, its output in the run transcript, before the agent', async () => {
    const { o } = await h.open('max_retries = 0\n[[component]]\nname = "app"\npath = "."\nsetup = ["echo preparing the app > setup.log"]\n', (r) => r.story(1, 'With setup'));
    const run = await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'qa', 'the story coded', 30_000);
    const r = o.registry.get(run.runId)!;
    assert.equal(fs.readFileSync(path.join(r.worktree!, 'setup.log'), 'utf8').trim(), 'preparing the app');
    const lines = fs.readFileSync(r.transcript, 'utf8');
    assert.ok(lines.indexOf('echo preparing the app') >= 0 && lines.indexOf('echo preparing the app') < lines.indexOf('"kind":"init"'), 'setup before the agent');
  });

  it('a failing setup fails the run with the reason; no agent starts', async () => {
    const { o } = await h.open('max_retries = 0\n[[component]]\nname = "app"\npath = "."\nsetup = ["echo no database; exit 4"]\n', (r) => r.story(2, 'Setup fails'));
    const run = await o.startAgent(2);
    const r = await waitFor(() => (o.registry.get(run.runId)?.status === 'failed' ? o.registry.get(run.runId) : undefined), 'the run fails', 30_000);
    assert.match(r!.reason!, /could not start: the worktree's setup failed: .*exit 4/);
    assert.ok(!r!.sessionId, 'the agent never ran');
  });
});
