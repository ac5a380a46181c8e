// An agent's question keeps the choices it offers: the MCP tool passes them as a list, the stage
// machine keeps them in front matter (question_options) beside the question, and an answer or an
// unblock clears both.
import * as assert from 'node:assert/strict';
import type { HuskiesEvent } from '../../src/core/model/events';
import { askQuestion } from '../../src/core/mcp/storyTools';
import type { McpDeps } from '../../src/core/mcp/types';
import { nullLogger } from '../../src/core/util/log';
import type { Snapshot } from '../../src/core/api';
import { needsUser, optionText, questionButtons } from '../../src/extension/attention';
import { makeCore } from '../fixtures/core';
import { item } from '../fixtures/memoryState';

type Ev<T extends HuskiesEvent['type']> = Extract<HuskiesEvent, { type: T }>;
const is =
  <T extends HuskiesEvent['type']>(t: T, pred: (e: Ev<T>) => boolean = () => true) =>
  (e: HuskiesEvent): e is Ev<T> =>
    e.type === t && pred(e as Ev<T>);

/** A story in current with one running agent run (auto-assign started it). */
async function running() {
  const c = makeCore({ items: [item(1, 'current')] });
  const h = await c.spawner.nth(1);
  return { c, runId: h.runId };
}

function deps(c: ReturnType<typeof makeCore>): McpDeps {
  return {
    state: c.state,
    request: c.request,
    config: () => c.config,
    policyContext: c.ctx,
    now: () => c.clock.now(),
    logger: nullLogger,
    mask: (t) => t,
    logsDir: '/tmp/none/logs',
  };
}

describe('questions with options', () => {
  it('ask_question keeps the options as a list in question_options; the question text stays the question alone', async () => {
    const { c, runId } = await running();
    const r = await askQuestion.run({ session: { key: runId, storyId: 1, runId }, deps: deps(c), args: { question: 'Tabs or spaces?', options: ['tabs', 'spaces'] } });
    assert.deepEqual(r.data?.options, ['tabs', 'spaces']);
    const it = c.state.item(1)!;
    assert.equal(it.frontMatter.question, 'Tabs or spaces?');
    assert.deepEqual(it.frontMatter.question_options, ['tabs', 'spaces']);
    assert.equal(it.blocked, true);
    const asked = c.events.find(is('item.questionAsked'));
    assert.deepEqual(asked?.options, ['tabs', 'spaces']);
  });

  it('a question without options writes no question_options', async () => {
    const { c, runId } = await running();
    await askQuestion.run({ session: { key: runId, storyId: 1, runId }, deps: deps(c), args: { question: 'Which name?' } });
    const it = c.state.item(1)!;
    assert.equal(it.frontMatter.question, 'Which name?');
    assert.ok(!('question_options' in it.frontMatter));
  });

  it('answering clears the question and its options; so does an unblock', async () => {
    const { c, runId } = await running();
    const asked = await c.request({ type: 'item.ask', id: 1, runId, question: 'A or B?', options: ['A', 'B'], source: 'mcp' });
    assert.equal(asked.ok, true);
    assert.deepEqual(c.state.item(1)!.frontMatter.question_options, ['A', 'B']);
    const h = c.spawner.handles[0];
    h.end({ ok: true, kind: 'success' });
    await c.waitEvent(is('run.ended'));
    const answered = await c.request({ type: 'item.answer', id: 1, answer: 'B', source: 'board' });
    assert.equal(answered.ok, true, answered.ok ? '' : answered.refusal);
    assert.ok(!('question_options' in c.state.item(1)!.frontMatter));
    assert.ok(!('question' in c.state.item(1)!.frontMatter));

    const { c: c2, runId: r2 } = await running();
    await c2.request({ type: 'item.ask', id: 1, runId: r2, question: 'A or B?', options: ['A', 'B'], source: 'mcp' });
    await c2.request({ type: 'item.unblock', id: 1, source: 'user' });
    assert.ok(!('question_options' in c2.state.item(1)!.frontMatter));
  });
});

describe('question notifications with options', () => {
  it('the notification carries the options; its buttons are the first three, then Answer…', () => {
    const asked = item(1, 'current', { blocked: true, frontMatter: { question: 'Which greeting?', question_options: ['Hello', 'Hi', 5, 'Hey', 'Yo'] } });
    const snap = { items: [asked], runs: [], waits: new Map() } as unknown as Pick<Snapshot, 'items' | 'runs' | 'waits'>;
    const [a] = needsUser(snap);
    assert.equal(a.reason, 'question');
    assert.deepEqual(a.options, ['Hello', 'Hi', 'Hey', 'Yo']);
    assert.deepEqual(questionButtons(a.options!), [{ title: 'Hello', index: 0 }, { title: 'Hi', index: 1 }, { title: 'Hey', index: 2 }, { title: 'Answer…' }]);
  });

  it('equal or long options: the first of equal titles stands, long ones are cut, the index stays the option’s own', () => {
    const long = 'x'.repeat(60);
    assert.deepEqual(questionButtons(['A', 'A', long, 'Answer…']), [{ title: 'A', index: 0 }, { title: `${'x'.repeat(39)}…`, index: 2 }, { title: 'Answer…' }]);
  });
});

describe('answering with an option', () => {
  it('the text is the option in the story file, by index; nothing without an open question or such an option', () => {
    const fm = { question: 'Which greeting?', question_options: ['Hello', 'Hi'] };
    assert.equal(optionText({ frontMatter: fm }, 1), 'Hi');
    assert.equal(optionText({ frontMatter: fm }, 2), undefined);
    assert.equal(optionText({ frontMatter: { question_options: ['Hello'] } }, 0), undefined, 'the question was answered');
    assert.equal(optionText({ frontMatter: { question: 'Q', question_options: [7] } }, 0), undefined);
    assert.equal(optionText(undefined, 0), undefined);
  });
});
