// What needs the user (review, failed merge, blocked, question), shown once per story and reason;
// and the merge status bar text.
import * as assert from 'node:assert/strict';
import type { Snapshot } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import { AttentionLedger, mergeStatus, mergeStatusText, needsUser } from '../../src/extension/attention';
import { item } from '../fixtures/memoryState';

type Snap = Pick<Snapshot, 'items' | 'runs' | 'waits'>;
const REVIEW = 'waiting for your review: approve or reject it (huskies approve 1 / huskies reject 1 "why")';
const running = (storyId: number): RunRecord => ({
  runId: `r${storyId}`,
  storyId,
  agent: 'a',
  runtime: 'sim',
  status: 'running',
  queuedAt: 1,
  transcript: '',
  lastSeq: 0,
  attempt: 1,
  stage: 'current',
});

function snap(extra: Partial<Snap>): Snap {
  return { items: [], runs: [], waits: new Map(), ...extra };
}

describe('attention: what needs the user', () => {
  it('finds a review, a failed merge, a blocked story and a question, naming each story', () => {
    const s = snap({
      items: [
        item(1, 'qa', { name: 'Greeting' }),
        item(2, 'merge', { frontMatter: { merge_failure: 'conflicts in a.txt' } }),
        item(3, 'current', { blocked: true, blockedReason: 'retries used up' }),
        item(4, 'current', { blocked: true, frontMatter: { question: 'Which port?' } }),
        item(5, 'merge'),
        item(6, 'qa'),
      ],
      waits: new Map([
        [1, REVIEW],
        [6, 'the QA gates run (qa: server)'],
      ]),
    });
    assert.deepEqual(
      needsUser(s).map((a) => [a.id, a.reason]),
      [
        [1, 'review'],
        [2, 'mergeFailed'],
        [3, 'blocked'],
        [4, 'question'],
      ],
    );
    const msgs = needsUser(s).map((a) => a.message);
    assert.match(msgs[0], /#1 Greeting is ready for your review/);
    assert.match(msgs[1], /merge of story #2 .*failed: conflicts in a\.txt/);
    assert.match(msgs[2], /#3 .*blocked: retries used up/);
    assert.match(msgs[3], /asks: Which port\?/);
  });

  it('a failed merge whose mergemaster gave up (the story blocked) is told as a failed merge, with its fix-up actions', () => {
    const s = snap({ items: [item(2, 'merge', { blocked: true, blockedReason: 'the mergemaster could not land it', frontMatter: { merge_failure: 'conflicts in a.txt' } })] });
    assert.deepEqual(
      needsUser(s).map((a) => [a.id, a.reason]),
      [[2, 'mergeFailed']],
    );
  });

  it('nothing while an agent works on the story (a mergemaster on a failed merge, say) or the file is invalid', () => {
    const s = snap({ items: [item(2, 'merge', { frontMatter: { merge_failure: 'x' } }), item(3, 'current', { blocked: true, invalid: 'bad' })], runs: [running(2)] });
    assert.deepEqual(needsUser(s), []);
  });

  it('the ledger shows each story and reason once while it lasts, and again when it comes back', () => {
    const ledger = new AttentionLedger();
    const blocked = snap({ items: [item(3, 'current', { blocked: true })] });
    assert.equal(ledger.next(needsUser(blocked)).length, 1);
    assert.equal(ledger.next(needsUser(blocked)).length, 0, 'not again on the next change');
    const plusReview = snap({ items: [item(3, 'current', { blocked: true }), item(1, 'qa')], waits: new Map([[1, REVIEW]]) });
    assert.deepEqual(
      ledger.next(needsUser(plusReview)).map((a) => a.id),
      [1],
    );
    assert.equal(ledger.next(needsUser(snap({ items: [item(3, 'current')] }))).length, 0, 'unblocked: nothing new');
    assert.equal(ledger.next(needsUser(blocked)).length, 1, 'blocked again: shown again');
  });
});

describe('attention: merges in the status bar', () => {
  it('shows merges in progress and failures, hides itself when there are none', () => {
    const m = mergeStatus(snap({ items: [item(12, 'merge'), item(3, 'merge', { frontMatter: { merge_failure: 'x' } }), item(9, 'merge', { blocked: true }), item(4, 'qa')] }));
    assert.deepEqual(m, { merging: [12], failed: [3] });
    assert.equal(mergeStatusText(m), '$(git-merge) merging #12  $(error) merge failed #3');
    assert.equal(mergeStatusText({ merging: [], failed: [] }), undefined);
    assert.equal(mergeStatusText({ merging: [1, 2, 3, 4, 5], failed: [] }), '$(git-merge) merging #1, #2, #3 +2');
  });
});
