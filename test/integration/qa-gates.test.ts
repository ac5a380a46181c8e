// QA with `default_qa = "server"`: the project's test command runs in the story's worktree after
// the coder; a pass sends the story on to merge, a failure back to its coder with the output, and
// after max_retries the story is blocked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { waitFor } from '../fixtures/repo';
import { huskiesPerTest } from '../fixtures/huskiesRepo';

describe('server QA gates (integration)', function () {
  this.timeout(90_000);
  const h = huskiesPerTest();

  it('passing gates move the story on to merge', async () => {
    const { repo, o } = await h.open('default_qa = "server"\nqa_command = "test -d huskies-sim"\n', (r) => r.story(1, 'Passes'));
    await o.startAgent(1);
    await waitFor(() => o.store.get(1)?.stage === 'merge', 'the story passes QA', 60_000);
    const audit = fs.readFileSync(`${repo.dir}/.huskies/audit.log`, 'utf8');
    assert.match(audit, /"cmd":"item.qaResult".*"from":"qa","to":"merge"/);
  });

  it('failing gates send the story back to its coder with the output, then block it after max_retries', async () => {
    const { o } = await h.open('default_qa = "server"\nmax_retries = 1\nqa_command = "echo the greeting test fails; exit 3"\n', (r) => r.story(2, 'Fails QA'));
    await o.startAgent(2);
    await waitFor(() => o.store.get(2)?.blocked, 'blocked after the retries', 60_000);
    const item = o.store.get(2)!;
    assert.equal(item.stage, 'current');
    assert.match(item.blockedReason!, /the QA gates failed after 2 attempts; last: .*exit 3/);
    assert.match(String(item.frontMatter.qa_feedback), /the greeting test fails/);
    const runs = o.registry.forStory(2);
    assert.equal(runs.length, 2, 'the coder ran twice');
    assert.match(runs[1].prompt ?? runs[1].history?.join('\n') ?? '', /the greeting test fails/, 'the second run was told the output');
  });
});
