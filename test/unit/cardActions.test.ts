// Which actions a card offers in each stage and state (buttons and context menu share the rule), the
// context the native menu reads, and the messages a card's buttons and a drop send.
import * as assert from 'node:assert/strict';
import { actionContextKey, cardActions, parseWebviewMessage, type CardView, type RunView } from '../../src/protocol/messages';
import { cardMessage } from '../../webview/cardMessages';

function card(extra: Partial<CardView> = {}): CardView {
  return { id: 7, type: 'story', name: 'S', stage: 'backlog', fileName: '7_story_s.md', criteriaDone: 0, criteriaTotal: 0, blocked: false, ...extra };
}
function run(status: RunView['status']): RunView {
  return { runId: 'r', storyId: 7, agent: 'a', runtime: 'sim', status, lastSeq: 0 };
}

describe('card actions per stage and state', () => {
  it('backlog: start, move, pause, note, abandon; nothing to review, stop or demote', () => {
    assert.deepEqual(cardActions(card()), ['start', 'move', 'pause', 'note', 'abandon']);
  });

  it('start only for backlog and current stories that are not blocked, invalid or running', () => {
    assert.ok(cardActions(card({ stage: 'current', run: run('failed'), runCount: 1 })).includes('start'));
    assert.ok(!cardActions(card({ blocked: true })).includes('start'));
    assert.ok(!cardActions(card({ invalid: 'bad yaml' })).includes('start'));
    assert.ok(!cardActions(card({ stage: 'current', run: run('running') })).includes('start'));
    assert.ok(!cardActions(card({ stage: 'qa' })).includes('start'));
    for (const stage of ['qa', 'merge', 'done', 'archived'] as const) assert.ok(!cardActions(card({ stage })).includes('start'), stage);
  });

  it('a running story: stop, output and its runs, review while it has a branch, demote; no start or follow-up', () => {
    assert.deepEqual(cardActions(card({ stage: 'current', run: run('running'), runCount: 1, reviewable: true, hasWorktree: true })), [
      'stop',
      'review',
      'output',
      'runs',
      'worktree',
      'move',
      'pause',
      'note',
      'demote',
      'abandon',
    ]);
  });

  it('QA: approve and reject once no agent runs, with review, follow-up and demote', () => {
    const a = cardActions(card({ stage: 'qa', run: run('succeeded'), runCount: 2, reviewable: true, hasWorktree: true }));
    assert.deepEqual(a, ['approve', 'reject', 'followup', 'review', 'output', 'runs', 'worktree', 'move', 'pause', 'note', 'demote', 'abandon']);
    assert.ok(!cardActions(card({ stage: 'qa', run: run('running') })).includes('approve'));
    assert.ok(!cardActions(card({ stage: 'qa', blocked: true })).includes('approve'));
  });

  it('blocked: unblock, unless an open question is to be answered', () => {
    assert.ok(cardActions(card({ stage: 'current', blocked: true })).includes('unblock'));
    const q = cardActions(card({ stage: 'current', blocked: true, question: 'Which?', run: run('failed') }));
    assert.ok(q.includes('answer') && !q.includes('unblock') && !q.includes('followup'));
  });

  it('merge: fix up only after a failed merge with no agent on it', () => {
    assert.ok(!cardActions(card({ stage: 'merge' })).includes('fixup'));
    assert.ok(cardActions(card({ stage: 'merge', mergeFailure: 'conflict' })).includes('fixup'));
    assert.ok(!cardActions(card({ stage: 'merge', mergeFailure: 'conflict', run: run('running') })).includes('fixup'));
    const gaveUp = cardActions(card({ stage: 'merge', mergeFailure: 'conflict', blocked: true }));
    assert.ok(gaveUp.includes('fixup') && gaveUp.includes('unblock'), 'the mergemaster gave up: fix up or unblock');
  });

  it('done: review the merge commit and the runs; no demote; archived offers only what looks back', () => {
    assert.deepEqual(cardActions(card({ stage: 'done', reviewable: true, run: run('succeeded'), runCount: 1, hasWorktree: true })), [
      'review',
      'output',
      'runs',
      'move',
      'note',
      'abandon',
    ]);
    assert.deepEqual(cardActions(card({ stage: 'archived', reviewable: true, run: run('succeeded'), runCount: 1 })), ['output', 'runs']);
  });

  it('pause for an open story, resume (not pause) for a paused one, a note for any but an archived one', () => {
    assert.ok(cardActions(card({ stage: 'current' })).includes('pause'));
    const paused = cardActions(card({ stage: 'current', paused: 'lunch' }));
    assert.ok(paused.includes('resume') && !paused.includes('pause'));
    assert.ok(!cardActions(card({ stage: 'done' })).includes('pause'));
    assert.ok(!cardActions(card({ stage: 'archived' })).includes('note'));
  });

  it('the context keys match the names the menus use', () => {
    assert.equal(actionContextKey('start'), 'huskiesStart');
    assert.equal(actionContextKey('followup'), 'huskiesFollowup');
  });
});

describe('card messages', () => {
  it('each button action sends a message the host accepts', () => {
    const actions = [
      'start',
      'stop',
      'output',
      'open',
      'followup',
      'answer',
      'approve',
      'reject',
      'unblock',
      'review',
      'runs',
      'worktree',
      'fixup',
      'move',
      'pause',
      'resume',
      'note',
      'demote',
      'abandon',
    ];
    for (const a of actions) {
      const m = cardMessage(a, 7);
      assert.ok(m, a);
      assert.deepEqual(parseWebviewMessage(JSON.parse(JSON.stringify(m))), m, a);
    }
    assert.deepEqual(cardMessage('review', 7), { type: 'cardAction', storyId: 7, action: 'review' });
    assert.equal(cardMessage('nonsense', 7), undefined);
    assert.equal(cardMessage(undefined, 7), undefined);
  });

  it('a drop (moveStory) and a card action are validated: story number, stage and action from their lists only', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'moveStory', storyId: 3, to: 'qa' }), { type: 'moveStory', storyId: 3, to: 'qa' });
    assert.deepEqual(parseWebviewMessage({ type: 'moveStory', storyId: 3, to: 'archived', extra: 'dropped' }), { type: 'moveStory', storyId: 3, to: 'archived' });
    for (const bad of [
      { type: 'moveStory', storyId: 3 },
      { type: 'moveStory', storyId: 3, to: 'QA' },
      { type: 'moveStory', storyId: 3, to: '3_qa' },
      { type: 'moveStory', storyId: 3, to: '../done' },
      { type: 'moveStory', storyId: 3, to: 'toString' },
      { type: 'moveStory', storyId: 3, to: ['qa'] },
      { type: 'moveStory', storyId: 0, to: 'qa' },
      { type: 'moveStory', storyId: -1, to: 'qa' },
      { type: 'moveStory', storyId: 1.5, to: 'qa' },
      { type: 'moveStory', storyId: '3', to: 'qa' },
      { type: 'moveStory', storyId: 1e12, to: 'qa' },
      { type: 'cardAction', storyId: 3, action: 'rm -rf' },
      { type: 'cardAction', storyId: 3, action: 'constructor' },
      { type: 'cardAction', storyId: 3 },
      { type: 'cardAction', storyId: null, action: 'review' },
      { type: 'helpAction', key: 'no-agent', index: -1 },
      { type: 'helpAction', key: 'a b', index: 0 },
      { type: 'helpAction', key: 'no-agent', index: 1.5 },
      { type: 'projectControl', action: 'delete' },
      { type: 'addSchedule', kind: 'cron' },
      { type: 'cancelSchedule', kind: 'timer', id: '../x' },
      { type: 'cancelSchedule', kind: 'timer' },
    ])
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  });

  it('the project bar, help buttons and the schedule list send messages the host accepts', () => {
    for (const m of [
      { type: 'helpAction', key: 'silent:3-run1', index: 0 },
      { type: 'projectControl', action: 'pause' },
      { type: 'projectControl', action: 'note' },
      { type: 'addSchedule', kind: 'timer' },
      { type: 'cancelSchedule', kind: 'trigger', id: 'g-0a1b2c3d' },
    ])
      assert.deepEqual(parseWebviewMessage({ ...m, extra: 1 }), m);
  });
});

describe('card actions: questions and rate limits', () => {
  const limit = (others: string[]) => ({ agent: 'coder-1', until: Date.now() + 3_600_000, others });

  it('an open question is answered, never started or followed up, even when its story is not blocked', () => {
    for (const blocked of [true, false]) {
      const a = cardActions(card({ stage: 'current', blocked, question: 'Tabs or spaces?', questionOptions: ['tabs', 'spaces'], run: run('succeeded'), runCount: 1 }));
      assert.ok(a.includes('answer'), String(blocked));
      assert.ok(!a.includes('start'), String(blocked));
      assert.ok(!a.includes('followup'), String(blocked));
    }
  });

  it('an option button sends its index only; the host accepts indexes 0–9 and nothing else', () => {
    assert.deepEqual(cardMessage('option:1', 7), { type: 'answerOption', storyId: 7, index: 1 });
    assert.deepEqual(parseWebviewMessage({ type: 'answerOption', storyId: 7, index: 1, text: 'rm -rf /' }), { type: 'answerOption', storyId: 7, index: 1 });
    for (const bad of [
      { type: 'answerOption', storyId: 7 },
      { type: 'answerOption', storyId: 7, index: -1 },
      { type: 'answerOption', storyId: 7, index: 10 },
      { type: 'answerOption', storyId: 7, index: 0.5 },
      { type: 'answerOption', storyId: 7, index: '1' },
      { type: 'answerOption', storyId: 0, index: 1 },
    ])
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  });

  it('Use another agent: offered while the next run waits for a rate-limited agent and another is free', () => {
    assert.ok(cardActions(card({ stage: 'current', run: run('queued'), agentLimit: limit(['coder-2']) })).includes('otherAgent'));
    assert.ok(cardActions(card({ stage: 'current', run: run('failed'), runCount: 1, agentLimit: limit(['coder-2']) })).includes('otherAgent'));
    assert.ok(!cardActions(card({ stage: 'current', run: run('queued'), agentLimit: limit([]) })).includes('otherAgent'), 'no other agent free');
    assert.ok(!cardActions(card({ stage: 'current', run: run('queued') })).includes('otherAgent'), 'no limit');
    assert.ok(!cardActions(card({ stage: 'current', run: run('running'), agentLimit: limit(['coder-2']) })).includes('otherAgent'), 'running');
    assert.ok(!cardActions(card({ stage: 'current', blocked: true, agentLimit: limit(['coder-2']) })).includes('otherAgent'), 'blocked');
    assert.equal(actionContextKey('otherAgent'), 'huskiesOtherAgent');
    assert.deepEqual(cardMessage('otherAgent', 7), { type: 'cardAction', storyId: 7, action: 'otherAgent' });
  });
});
