// What a card's lines say (webview/cardText.ts, no DOM): a question and a rate-limit wait are
// neither a success nor a failure, a run queued behind a rate-limited agent says whom it waits for
// and until when, and each reason appears once.
import * as assert from 'node:assert/strict';
import type { CardView, RunView } from '../../src/protocol/messages';
import { agentProgram, blockedText, cardRunState, mergeFailureText, optionAction, optionIndex, questionChoices, repeats, statusLine, waitingText } from '../../webview/cardText';
import { formatClock } from '../../webview/dom';

const NOW = Date.UTC(2026, 11, 2, 14, 0);
const HOUR = 3_600_000;

function card(extra: Partial<CardView> = {}): CardView {
  return { id: 7, type: 'story', name: 'S', stage: 'current', fileName: '7_story_s.md', criteriaDone: 0, criteriaTotal: 0, blocked: false, ...extra };
}
function run(status: RunView['status'], extra: Partial<RunView> = {}): RunView {
  return { runId: 'r', storyId: 7, agent: 'coder-1', runtime: 'sim', status, lastSeq: 0, ...extra };
}

describe('card text: a question', () => {
  const asked = card({
    blocked: true,
    blockedReason: 'Question from coder-1: Tabs or spaces?',
    question: 'Tabs or spaces?',
    questionOptions: ['tabs', 'spaces'],
    run: run('succeeded', { outcome: 'question', reason: 'asked: Tabs or spaces?' }),
  });

  it('the status line asks for the answer, never "succeeded"', () => {
    const s = statusLine(asked, NOW)!;
    assert.equal(s.state, 'question');
    assert.doesNotMatch(s.text, /succeeded/);
    assert.match(s.text, /waiting for your answer/);
    assert.equal(cardRunState(asked, NOW), 'question');
  });

  it('the question shows once: no blocked line that repeats it', () => {
    assert.equal(blockedText(asked), undefined);
  });

  it('each option is a button sent back by its index', () => {
    assert.deepEqual(questionChoices(asked), [
      { index: 0, label: 'tabs' },
      { index: 1, label: 'spaces' },
    ]);
    assert.equal(optionIndex(optionAction(1)), 1);
    for (const bad of ['option:', 'option:x', 'option:100', 'option:-1', 'answer', undefined]) assert.equal(optionIndex(bad), undefined, String(bad));
    assert.deepEqual(questionChoices(card({ questionOptions: ['a'] })), [], 'no question, no options');
  });
});

describe('card text: a rate-limit wait', () => {
  const limited = card({ run: run('failed', { outcome: 'rate_limited', reason: 'The simulated agent usage limit: resets 15:40' }), resumeAt: NOW + 12 * 60_000 });

  it('reads "rate-limited — resumes in …" with a countdown to the resume, in the waiting style, not the failure one', () => {
    const s = statusLine(limited, NOW)!;
    assert.equal(s.state, 'waiting');
    assert.equal(s.text, 'rate-limited — resumes ');
    assert.deepEqual(s.countdown, { until: NOW + 12 * 60_000, prefix: 'in ', done: 'now' });
    assert.equal(s.title, 'The simulated agent usage limit: resets 15:40', 'the reason on hover');
    assert.equal(cardRunState(limited, NOW), 'waiting');
  });

  it('once the resume time passed it says it is resuming; an overload is named as such', () => {
    assert.equal(statusLine(limited, NOW + HOUR)!.text, 'rate-limited — resuming');
    assert.equal(cardRunState(limited, NOW + HOUR), 'waiting');
    const over = card({ run: run('failed', { outcome: 'overloaded' }), resumeAt: NOW + 1000 });
    assert.match(statusLine(over, NOW)!.text, /^API overloaded — resumes/);
  });

  it('a real failure still reads as one', () => {
    const failed = card({ run: run('failed', { outcome: 'failed', reason: 'exit 1' }) });
    assert.equal(statusLine(failed, NOW)!.text, 'failed: exit 1');
    assert.equal(cardRunState(failed, NOW), 'failed');
  });
});

describe('card text: queued behind a rate-limited agent', () => {
  const until = NOW + HOUR;
  const waiting = `no agent can take it: coder-1 is rate-limited until ${new Date(until).toISOString()}: usage limit`;
  const queued = card({ run: run('queued', { reason: 'follow-up' }), agentLimit: { agent: 'coder-1', until, others: ['coder-2'] }, waiting });

  it('says which agent it waits for and until when, with a countdown; the waits line does not repeat it', () => {
    const s = statusLine(queued, NOW)!;
    assert.equal(s.state, 'waiting');
    assert.equal(s.text, `queued: coder-1 rate-limited until ${formatClock(until, NOW)} (`);
    assert.deepEqual(s.countdown, { until, prefix: 'in ', done: 'lifting now', coarse: true });
    assert.equal(s.after, ')');
    assert.equal(waitingText(queued, NOW), undefined);
  });

  it('a plain queued run says queued, and its waits line stays', () => {
    const plain = card({ run: run('queued'), waiting: 'queued: all 3 agent slots are busy' });
    assert.equal(statusLine(plain, NOW)!.text, 'queued · coder-1');
    assert.equal(waitingText(plain, NOW), 'Waits: queued: all 3 agent slots are busy');
  });
});

describe('card text: each reason once', () => {
  it('a failed run whose reason the blocked line gives shows no reason of its own', () => {
    const c = card({ blocked: true, blockedReason: 'failed 3 times; last: exit code 2', run: run('failed', { reason: 'Exit code 2.' }) });
    assert.equal(statusLine(c, NOW)!.text, 'failed');
    assert.equal(blockedText(c), 'Blocked: failed 3 times; last: exit code 2');
  });

  it('a failed merge whose reason the blocked line gives (the mergemaster gave up) shows it there only', () => {
    const c = card({
      stage: 'merge',
      blocked: true,
      blockedReason: 'the mergemaster could not land it after 2 attempts. The merge failed: conflict in a.ts. Fix it up',
      mergeFailure: 'conflict in a.ts',
      run: run('failed', { reason: 'conflict in a.ts' }),
    });
    assert.equal(mergeFailureText(c), undefined);
    assert.equal(statusLine(c, NOW)!.text, 'failed');
    assert.equal(mergeFailureText(card({ stage: 'merge', mergeFailure: 'conflict in a.ts' })), 'Merge failed: conflict in a.ts');
  });

  it('a reason that the waits line gives is not repeated on the status line; a stop is said once', () => {
    const c = card({
      run: run('failed', { reason: 'pinned to agent "x", which is not defined in .huskies/agents.toml' }),
      waiting: 'pinned to agent "x", which is not defined in .huskies/agents.toml',
    });
    assert.equal(statusLine(c, NOW)!.text, 'failed');
    const stopped = card({ run: run('stopped', { reason: 'stopped by the user' }), waiting: 'stopped by you: start it again to go on' });
    assert.equal(statusLine(stopped, NOW)!.text, 'stopped');
  });

  it('different reasons both show', () => {
    const c = card({ blocked: true, blockedReason: 'by hand', run: run('failed', { reason: 'exit 1' }) });
    assert.equal(statusLine(c, NOW)!.text, 'failed: exit 1');
    assert.equal(blockedText(c), 'Blocked: by hand');
  });

  it('repeats ignores case, spacing and trailing punctuation, and needs two texts', () => {
    assert.ok(repeats('Exit code 2.', 'failed: exit  code 2'));
    assert.ok(!repeats(undefined, 'x'));
    assert.ok(!repeats('', ''));
  });
});

describe('agent strip: the program', () => {
  it('shows the program by its own name, the runtime only when none came', () => {
    assert.equal(agentProgram({ runtime: 'sim', program: 'simulated agent' }), 'simulated agent');
    assert.equal(agentProgram({ runtime: 'sim' }), 'sim');
  });
});
