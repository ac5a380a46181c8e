// The board's filter: text (#id, name, file name), type, agent and state, alone and together, and
// what is read back from the webview state.
import * as assert from 'node:assert/strict';
import type { CardView, RunView } from '../../src/protocol/messages';
import { NO_FILTER, agentNames, cardFilter, cardStates, isFilterActive, parseFilter, type BoardFilter } from '../../webview/boardFilter';

const NOW = 1_000_000;

function card(id: number, extra: Partial<CardView> = {}): CardView {
  return { id, type: 'story', name: `Story ${id}`, stage: 'backlog', fileName: `${id}_story_s${id}.md`, criteriaDone: 0, criteriaTotal: 0, blocked: false, ...extra };
}
function run(status: RunView['status'], extra: Partial<RunView> = {}): RunView {
  return { runId: 'r', storyId: 1, agent: 'coder-1', runtime: 'sim', status, lastSeq: 0, ...extra };
}
const pick = (f: Partial<BoardFilter>, cards: CardView[]): number[] => cards.filter(cardFilter({ ...NO_FILTER, ...f }, NOW)).map((c) => c.id);

describe('board filter', () => {
  const cards = [
    card(1, { name: 'Add greeting', fileName: '1_story_add_greeting.md' }),
    card(12, { type: 'bug', name: 'Crash on save', fileName: '12_bug_crash_on_save.md', agent: 'coder-2' }),
    card(123, { type: 'spike', name: 'Compare CLI parsers', fileName: '123_spike_parsers.md', run: run('running', { agent: 'coder-1' }) }),
    card(7, { type: 'refactor', name: 'Split the store', fileName: '7_refactor_greeting_helper.md' }),
  ];

  it('no filter keeps every card and is not active', () => {
    assert.deepEqual(pick({}, cards), [1, 12, 123, 7]);
    assert.equal(isFilterActive(NO_FILTER), false);
    assert.equal(isFilterActive({ ...NO_FILTER, text: '   ' }), false);
    assert.equal(isFilterActive({ ...NO_FILTER, state: 'blocked' }), true);
  });

  it('"#12" is story 12 exactly; a bare number is a part of the id', () => {
    assert.deepEqual(pick({ text: '#12' }, cards), [12]);
    assert.deepEqual(pick({ text: '12' }, cards), [12, 123]);
  });

  it('text matches the name or the file name, case-insensitively, every word', () => {
    assert.deepEqual(pick({ text: 'GREETING' }, cards), [1, 7]);
    assert.deepEqual(pick({ text: 'greeting add' }, cards), [1]);
    assert.deepEqual(pick({ text: 'crash_on' }, cards), [12]);
    assert.deepEqual(pick({ text: 'nothing like it' }, cards), []);
  });

  it('type and agent (assigned or running) narrow the cards, combined with the text', () => {
    assert.deepEqual(pick({ type: 'bug' }, cards), [12]);
    assert.deepEqual(pick({ agent: 'coder-1' }, cards), [123]);
    assert.deepEqual(pick({ agent: 'coder-2' }, cards), [12]);
    assert.deepEqual(pick({ agent: 'coder-2', type: 'story' }, cards), []);
    assert.deepEqual(pick({ text: 'greeting', type: 'refactor' }, cards), [7]);
  });

  it('each state picks the cards in it', () => {
    const all = [
      card(1, { run: run('running') }),
      card(2, { run: run('queued') }),
      card(3, { blocked: true, blockedReason: 'x' }),
      card(4, { blocked: true, question: 'Which one?' }),
      card(5, { waiting: 'depends on #1' }),
      card(6, { run: run('failed', { outcome: 'rate_limited' }) }),
      card(7, { resumeAt: NOW + 60_000 }),
      card(8, { resumeAt: NOW - 1 }),
      card(9, { run: run('failed', { reason: 'tests failed' }) }),
      card(10, { stage: 'merge', mergeFailure: 'conflict' }),
      card(11, { stage: 'qa', needsReview: true }),
      card(12, { paused: 'paused' }),
      card(13, { invalid: 'bad front matter' }),
      card(14, { run: run('succeeded') }),
    ];
    assert.deepEqual(pick({ state: 'running' }, all), [1]);
    assert.deepEqual(pick({ state: 'queued' }, all), [2]);
    assert.deepEqual(pick({ state: 'blocked' }, all), [3, 4]);
    assert.deepEqual(pick({ state: 'question' }, all), [4]);
    assert.deepEqual(pick({ state: 'waiting' }, all), [5, 6, 7], 'a rate-limited ending and a resume to come are waits');
    assert.deepEqual(pick({ state: 'failed' }, all), [9, 10], 'a wait is not a failure; a failed merge is');
    assert.deepEqual(pick({ state: 'needs review' }, all), [11]);
    assert.deepEqual(pick({ state: 'paused' }, all), [12]);
    assert.deepEqual(pick({ state: 'invalid' }, all), [13]);
    assert.deepEqual(cardStates(all[3], NOW), ['blocked', 'question']);
    assert.deepEqual(cardStates(all[13], NOW), []);
  });

  it('lists the agents the cards name, sorted and once each', () => {
    assert.deepEqual(agentNames(cards, ['qa']), ['coder-1', 'coder-2', 'qa']);
    assert.deepEqual(agentNames([]), []);
  });

  it('reads a saved filter back, dropping what is not shaped right', () => {
    assert.deepEqual(parseFilter({ text: '#4', type: 'bug', agent: 'a', state: 'paused' }), { text: '#4', type: 'bug', agent: 'a', state: 'paused' });
    assert.deepEqual(parseFilter({ text: 5, state: 'asleep' }), NO_FILTER);
    assert.deepEqual(parseFilter(undefined), NO_FILTER);
    assert.equal(parseFilter({ text: 'x'.repeat(1000) }).text.length, 200);
  });
});
