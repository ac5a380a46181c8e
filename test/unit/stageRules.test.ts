// Stage rules: which orchestrator moves are allowed and when an agent may start.
import * as assert from 'node:assert/strict';
import { canStartAgent, checkTransition, targetOf, type TransitionKind } from '../../src/core/pipeline/stageRules';
import { STAGES, type Stage } from '../../src/core/model/stage';
import { item } from '../fixtures/memoryState';
import type { WorkItem } from '../../src/core/model/workItem';

const byId = (...items: WorkItem[]) => new Map(items.map((i) => [i.id, i]));

describe('stageRules: checkTransition', () => {
  const table: Record<TransitionKind, { from: Stage[]; to: Stage }> = {
    start: { from: ['backlog'], to: 'current' },
    coded: { from: ['current'], to: 'qa' },
    qa_passed: { from: ['qa'], to: 'merge' },
    merged: { from: ['merge'], to: 'done' },
    archive: { from: ['done'], to: 'archived' },
    demote: { from: ['current', 'qa', 'merge'], to: 'backlog' },
    fixup: { from: ['merge'], to: 'current' },
    qa_failed: { from: ['qa'], to: 'current' },
    abandon: { from: ['backlog', 'current', 'qa', 'merge', 'done'], to: 'archived' },
  };

  for (const [kind, rule] of Object.entries(table) as [TransitionKind, { from: Stage[]; to: Stage }][]) {
    it(`${kind}: from ${rule.from.join('/')} to ${rule.to}, refused from every other stage`, () => {
      assert.equal(targetOf(kind), rule.to);
      for (const s of STAGES) {
        const r = checkTransition(item(5, s), kind);
        if (rule.from.includes(s)) assert.equal(r, undefined, `${kind} from ${s}`);
        else {
          assert.ok(r, `${kind} from ${s} should be refused`);
          assert.ok(r.includes('Story 5') && r.includes(s) && r.includes(kind), r);
        }
      }
    });
  }

  it('nothing moves out of archived', () => {
    for (const kind of Object.keys(table) as TransitionKind[]) assert.ok(checkTransition(item(1, 'archived'), kind), kind);
  });

  it('an invalid item cannot move at all, with the reason', () => {
    const bad = item(3, 'backlog', { invalid: '3_story_x.md:2: front matter is not valid YAML' });
    for (const kind of ['start', 'abandon', 'demote'] as TransitionKind[]) {
      const r = checkTransition({ ...bad, stage: kind === 'demote' ? 'current' : 'backlog' }, kind);
      assert.ok(r?.includes('front matter is not valid YAML'), `${kind}: ${r}`);
    }
  });

  it('a blocked item may only be demoted, abandoned, or fixed up from merge', () => {
    const blocked = (s: Stage) => item(4, s, { blocked: true, blockedReason: 'retries used up' });
    const r = checkTransition(blocked('backlog'), 'start');
    assert.ok(r);
    assert.match(r, /blocked: retries used up/);
    assert.ok(checkTransition(blocked('current'), 'coded'));
    assert.ok(checkTransition(blocked('qa'), 'qa_passed'));
    assert.ok(checkTransition(blocked('merge'), 'merged'));
    assert.equal(checkTransition(blocked('merge'), 'fixup'), undefined, "a fix-up is the user's answer to a blocked merge");
    assert.equal(checkTransition(blocked('qa'), 'demote'), undefined);
    assert.equal(checkTransition(blocked('current'), 'abandon'), undefined);
    assert.match(checkTransition(item(4, 'backlog', { blocked: true }), 'start') ?? '', /is blocked\. Unblock/);
  });
});

describe('stageRules: canStartAgent', () => {
  it('allows backlog and current items with nothing in the way', () => {
    assert.equal(canStartAgent(item(1, 'backlog'), byId()), undefined);
    assert.equal(canStartAgent(item(1, 'current'), byId()), undefined);
  });

  it('refuses every other stage', () => {
    for (const s of ['qa', 'merge', 'done', 'archived'] as Stage[]) {
      const r = canStartAgent(item(1, s), byId());
      assert.ok(r?.includes(s), `${s}: ${r}`);
    }
  });

  it('refuses invalid and blocked items with the reason', () => {
    assert.match(canStartAgent(item(1, 'backlog', { invalid: 'Story 1 is in two places' }), byId()) ?? '', /invalid: Story 1 is in two places/);
    assert.match(canStartAgent(item(1, 'current', { blocked: true, blockedReason: 'waiting for design' }), byId()) ?? '', /blocked: waiting for design/);
    assert.ok(canStartAgent(item(1, 'current', { blocked: true }), byId()));
  });

  it('depends_on waits until every dependency is in done or archived', () => {
    const story = item(10, 'backlog', { dependsOn: [1, 2] });
    for (const [s1, s2, ok] of [
      ['done', 'archived', true],
      ['archived', 'archived', true],
      ['done', 'done', true],
      ['merge', 'done', false],
      ['done', 'qa', false],
      ['backlog', 'current', false],
    ] as [Stage, Stage, boolean][]) {
      const r = canStartAgent(story, byId(story, item(1, s1), item(2, s2)));
      if (ok) assert.equal(r, undefined, `${s1}/${s2}`);
      else assert.ok(r && /waits for/.test(r), `${s1}/${s2}: ${r}`);
    }
  });

  it('names exactly the dependencies still waited for', () => {
    const story = item(10, 'current', { dependsOn: [1, 2, 3] });
    const r = canStartAgent(story, byId(story, item(1, 'done'), item(2, 'qa')));
    assert.equal(r, 'Story 10 waits for #2, #3 to be done.');
  });

  it('a dependency that does not exist keeps it waiting', () => {
    const story = item(10, 'backlog', { dependsOn: [99] });
    assert.match(canStartAgent(story, byId(story)) ?? '', /#99/);
  });

  it('invalid comes before blocked and dependencies', () => {
    const story = item(10, 'backlog', { invalid: 'bad yaml', blocked: true, dependsOn: [1] });
    assert.match(canStartAgent(story, byId(story)) ?? '', /invalid/);
  });
});
