// The board's layout by width, the sections open by default (the stage with work in progress in the
// sidebar, every stage but Archived as columns), the user's choices and older saved state.
import * as assert from 'node:assert/strict';
import type { Stage } from '../../src/protocol/messages';
import {
  STAGES,
  defaultExpanded,
  expandedStages,
  focusStage,
  isExpanded,
  layoutFor,
  neededStages,
  readChoices,
  stageHeading,
  toggled,
  writeChoices,
} from '../../webview/boardLayout';

const counts =
  (c: Partial<Record<Stage, number>>) =>
  (s: Stage): number =>
    c[s] ?? 0;

describe('board layout', () => {
  it('columns from 720 px on, stacked sections below', () => {
    assert.equal(layoutFor(1200), 'columns');
    assert.equal(layoutFor(720), 'columns');
    assert.equal(layoutFor(719), 'stacked');
    assert.equal(layoutFor(300), 'stacked');
    assert.equal(layoutFor(0), 'stacked');
  });

  it('the stage with work in progress: Current, else QA or Merge with cards, else Backlog', () => {
    assert.equal(focusStage(counts({ backlog: 5, current: 1, qa: 3 })), 'current');
    assert.equal(focusStage(counts({ backlog: 5, qa: 3, merge: 1 })), 'qa');
    assert.equal(focusStage(counts({ backlog: 5, merge: 1, done: 9 })), 'merge');
    assert.equal(focusStage(counts({ backlog: 5, done: 9 })), 'backlog');
    assert.equal(focusStage(counts({})), 'backlog');
  });

  it('stacked: only the focus stage is open by default; columns: every stage but Archived', () => {
    assert.deepEqual(expandedStages({}, 'stacked', 'qa'), ['qa']);
    assert.deepEqual(expandedStages({}, 'columns', 'qa'), ['backlog', 'current', 'qa', 'merge', 'done']);
    assert.equal(defaultExpanded('archived', 'columns', 'backlog'), false);
  });

  it('a section the user toggled stays as they left it, whatever the default becomes', () => {
    let choices = toggled({}, 'done', isExpanded('done', {}, 'stacked', 'current'));
    assert.deepEqual(choices, { done: 'expanded' });
    choices = toggled(choices, 'current', isExpanded('current', choices, 'stacked', 'current'));
    assert.deepEqual(expandedStages(choices, 'stacked', 'current'), ['done']);
    assert.deepEqual(expandedStages(choices, 'stacked', 'backlog'), ['backlog', 'done']);
    assert.deepEqual(expandedStages(choices, 'columns', 'backlog'), ['backlog', 'qa', 'merge', 'done']);
  });

  it('while filtering: stages with matches open too (unless the user closed them), and the board needs every stage', () => {
    const matched = new Set<Stage>(['done', 'archived', 'qa']);
    assert.deepEqual(expandedStages({}, 'stacked', 'current', matched), ['current', 'qa', 'done', 'archived']);
    assert.deepEqual(expandedStages({ done: 'collapsed' }, 'stacked', 'current', matched), ['current', 'qa', 'archived']);
    assert.deepEqual(expandedStages({}, 'columns', 'backlog', new Set<Stage>(['archived'])), STAGES);
    assert.deepEqual(neededStages(['current'], true), STAGES);
    assert.deepEqual(neededStages(['current', 'done'], false), ['current', 'done']);
  });

  it('saves choices explicitly and still writes the collapsed list older boards read', () => {
    const saved = writeChoices({ done: 'expanded', archived: 'collapsed', qa: 'collapsed' });
    assert.deepEqual(saved.collapsed, ['qa', 'archived']);
    assert.deepEqual(readChoices(JSON.parse(JSON.stringify(saved)) as object), { done: 'expanded', archived: 'collapsed', qa: 'collapsed' });
  });

  it('reads older saved state (collapsed stages only) as the user’s closed sections, the rest by default', () => {
    assert.deepEqual(readChoices({ collapsed: ['done', 'nonsense', 3] }), { done: 'collapsed' });
    assert.deepEqual(readChoices({}), {});
    assert.deepEqual(readChoices({ sections: { qa: 'open', bogus: 'expanded', merge: 'expanded' } }), { merge: 'expanded' });
  });

  it('headers show the count, or shown / total while filtering', () => {
    assert.equal(stageHeading('qa', 12, 12, false), 'QA (12)');
    assert.equal(stageHeading('backlog', 10_000, 3, true), 'Backlog (3 / 10000)');
    assert.equal(stageHeading('done', 40, undefined, true), 'Done (40)', 'cards not sent: only the count is known');
    assert.equal(STAGES.length, 6);
  });
});
