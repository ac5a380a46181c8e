// The board's view model, built from a hand-made orchestrator snapshot.
import * as assert from 'node:assert/strict';
import { buildBoardState, runView, statusText } from '../../src/extension/boardModel';
import type { Snapshot } from '../../src/core/api';
import type { RunRecord } from '../../src/core/model/run';
import type { HuskiesEvent } from '../../src/core/model/events';
import { cardActions } from '../../src/protocol/messages';
import { CommandIds } from '../../src/extension/commandIds';
import { helpCommand, helpLabel } from '../../src/extension/helpActions';
import { item } from '../fixtures/memoryState';
import { makeCore } from '../fixtures/core';

function run(runId: string, storyId: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    storyId,
    agent: 'coder-1',
    runtime: 'claude',
    status: 'succeeded',
    queuedAt: 1,
    transcript: `/work/proj/.huskies/logs/${runId}.jsonl`,
    lastSeq: 0,
    attempt: 1,
    stage: 'current',
    ...extra,
  };
}

/** A snapshot with every field the board reads; later optional fields stay absent. */
function snapshot(extra: Record<string, unknown> = {}): Snapshot {
  return {
    root: '/work/my-project',
    initialized: true,
    items: [],
    runs: [],
    latestRun: new Map(),
    running: 0,
    queued: 0,
    maxCoders: 3,
    problems: [],
    agents: [],
    trusted: true,
    timers: [],
    rateLimits: {},
    drained: {},
    preflight: [],
    costByStory: new Map(),
    costByAgent: new Map(),
    spentToday: 0,
    ...extra,
  } as unknown as Snapshot;
}

/** Only the listed keys of o, so new fields in the view model do not break these tests. */
function pick<T extends object>(o: T | undefined, keys: string[]): Record<string, unknown> {
  assert.ok(o);
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}

const CARD_KEYS = ['id', 'type', 'name', 'stage', 'fileName', 'criteriaDone', 'criteriaTotal', 'agent', 'blocked', 'blockedReason', 'invalid', 'run', 'costUsd'];
const RUN_KEYS = ['runId', 'storyId', 'agent', 'runtime', 'status', 'startedAt', 'endedAt', 'reason', 'costUsd', 'inputTokens', 'outputTokens', 'lastSeq'];

describe('boardModel: buildBoardState', () => {
  it('maps the snapshot to board state', () => {
    const items = [
      item(1, 'backlog', {
        criteria: [
          { text: 'a', done: true },
          { text: 'b', done: false },
          { text: 'c', done: true },
        ],
        agent: 'pinned-agent',
      }),
      item(2, 'current', { type: 'bug', name: 'Crash on start' }),
      item(3, 'qa', { blocked: true, blockedReason: 'retries used up' }),
      item(4, 'merge', { invalid: '4_story_s4.md:2: bad yaml' }),
    ];
    const old = run('r-old', 2, { agent: 'coder-old', costUsd: 0.5, queuedAt: 1, status: 'failed', reason: 'rate limited' });
    const latest = run('r-new', 2, {
      agent: 'coder-2',
      costUsd: 0.25,
      queuedAt: 2,
      status: 'running',
      startedAt: 100,
      usage: { inputTokens: 10, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
      lastSeq: 77,
    });
    const other = run('r-3', 3, { costUsd: 1 });
    const snap = snapshot({
      items,
      runs: [old, latest, other],
      latestRun: new Map([
        [2, latest],
        [3, other],
      ]),
      running: 1,
      queued: 2,
      maxCoders: 4,
      problems: ['.huskies/project.toml:3: key "max_coders" must be a positive whole number'],
      trusted: false,
    });
    const b = buildBoardState(snap);
    assert.equal(b.projectName, 'my-project');
    assert.equal(b.initialized, true);
    assert.equal(b.trusted, false);
    assert.equal(b.running, 1);
    assert.equal(b.queued, 2);
    assert.equal(b.maxCoders, 4);
    assert.deepEqual(b.problems, snap.problems);
    assert.deepEqual(
      b.cards.map((c) => c.id),
      [1, 2, 3, 4],
    );

    const [c1, c2, c3, c4] = b.cards;
    assert.deepEqual(pick(c1, CARD_KEYS), {
      id: 1,
      type: 'story',
      name: 'Story 1',
      stage: 'backlog',
      fileName: '1_story_s1.md',
      criteriaDone: 2,
      criteriaTotal: 3,
      agent: 'pinned-agent',
      blocked: false,
      blockedReason: undefined,
      invalid: undefined,
      run: undefined,
      costUsd: undefined,
    });
    assert.equal(c2.type, 'bug');
    assert.equal(c2.name, 'Crash on start');
    assert.equal(c2.agent, 'coder-2', 'the agent of the latest run');
    assert.equal(c2.costUsd, 0.75, 'cost is summed over all runs of the story');
    assert.deepEqual(pick(c2.run, RUN_KEYS), {
      runId: 'r-new',
      storyId: 2,
      agent: 'coder-2',
      runtime: 'claude',
      status: 'running',
      startedAt: 100,
      endedAt: undefined,
      reason: undefined,
      costUsd: 0.25,
      inputTokens: 10,
      outputTokens: 20,
      lastSeq: 77,
    });
    assert.equal(c3.blocked, true);
    assert.equal(c3.blockedReason, 'retries used up');
    assert.equal(c3.costUsd, 1);
    assert.equal(c4.invalid, '4_story_s4.md:2: bad yaml');
    assert.equal(c4.run, undefined);
  });

  it('a story that waits says why on its card, unless a block, an invalid file or a resume timer says it already', () => {
    const waits = new Map<number, string>([
      [1, 'waits for #9 to be done'],
      [2, 'blocked: x'],
      [3, 'resumes soon'],
    ]);
    const s = buildBoardState(
      snapshot({
        items: [item(1, 'current'), item(2, 'current', { blocked: true, blockedReason: 'x' }), item(3, 'current')],
        timers: [{ id: 't', kind: 'resume', storyId: 3, at: Date.now() + 60_000, reason: 'rate limit' }],
        waits,
      }),
    );
    assert.equal(s.cards.find((c) => c.id === 1)!.waiting, 'waits for #9 to be done');
    assert.equal(s.cards.find((c) => c.id === 2)!.waiting, undefined);
    assert.equal(s.cards.find((c) => c.id === 3)!.waiting, undefined);
  });

  it('says which cards have changes to review, a worktree, a failed merge, a review to give, and how many runs', () => {
    const runs = [
      run('a', 2, { branch: 'huskies/2_s2', worktree: '/w/2', queuedAt: 1 }),
      run('b', 2, { queuedAt: 2 }),
      run('c', 3, { branch: 'huskies/3_s3', worktree: '/w/3' }),
      run('d', 4, { branch: 'huskies/4_s4' }),
    ];
    const s = buildBoardState(
      snapshot({
        items: [
          item(1, 'backlog'),
          item(2, 'current'),
          item(3, 'qa'),
          item(4, 'merge', { frontMatter: { merge_failure: 'conflicts in a.txt' } }),
          item(5, 'done', { frontMatter: { merge_commit: 'abc1234' } }),
          item(6, 'done'),
        ],
        runs,
        latestRun: new Map(runs.map((r) => [r.storyId, r])),
        waits: new Map([
          [3, 'waiting for your review: approve or reject it (huskies approve 3 / huskies reject 3 "why")'],
          [4, 'the merge failed: conflicts in a.txt — fix it up'],
        ]),
      }),
    );
    const card = (id: number) => s.cards.find((c) => c.id === id)!;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((id) => [id, !!card(id).reviewable, !!card(id).hasWorktree, card(id).runCount]),
      [
        [1, false, false, 0],
        [2, true, true, 2],
        [3, true, true, 1],
        [4, true, false, 1],
        [5, true, false, 0],
        [6, false, false, 0],
      ],
    );
    assert.equal(card(3).needsReview, true);
    assert.equal(card(2).needsReview, false);
    assert.equal(card(4).mergeFailure, 'conflicts in a.txt');
    assert.equal(card(4).waiting, undefined, 'the failure has its own line');
    assert.equal(card(3).mergeFailure, undefined);
  });

  it('a stacked story says which parent it started from until it is done', () => {
    const s = buildBoardState(
      snapshot({
        items: [item(1, 'qa'), item(2, 'current', { frontMatter: { stacked_on: 1 } }), item(3, 'done', { frontMatter: { stacked_on: 1 } })],
      }),
    );
    assert.equal(s.cards.find((c) => c.id === 2)!.stackedOn, 1);
    assert.equal(s.cards.find((c) => c.id === 3)!.stackedOn, undefined);
  });

  it('does not leak transcript paths or prompts to the webview', () => {
    const r = run('r', 1, { prompt: 'SECRET PROMPT', worktree: '/work/proj/.huskies/worktrees/1', history: ['x'] });
    const b = buildBoardState(snapshot({ items: [item(1, 'current')], runs: [r], latestRun: new Map([[1, r]]) }));
    const json = JSON.stringify(b);
    assert.ok(!json.includes('SECRET PROMPT'));
    assert.ok(!json.includes('.jsonl'));
    assert.ok(!json.includes('worktrees'));
  });

  it('an uninitialized folder gives an empty board', () => {
    const b = buildBoardState(snapshot({ initialized: false, root: '/home/u/empty', agents: [{ name: 'coder-1', stage: 'coder', runtime: 'sim', args: [], env: {} }] }));
    assert.equal(b.initialized, false);
    assert.equal(b.projectName, 'empty');
    assert.deepEqual(b.cards, []);
    assert.deepEqual(b.agents, [], 'no phantom agent before the project exists');
  });

  it('the result is plain JSON (it crosses to the webview)', () => {
    const r = run('r', 1, { costUsd: 0.1 });
    const b = buildBoardState(snapshot({ items: [item(1, 'current')], runs: [r], latestRun: new Map([[1, r]]) }));
    // nothing is lost on the way through JSON (no Maps, Sets, Dates or functions); undefined fields may drop
    const strip = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(strip)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, strip(x)]),
            )
          : v;
    assert.deepEqual(JSON.parse(JSON.stringify(b)), strip(b));
    const walk = (v: unknown): void => {
      if (v && typeof v === 'object') {
        assert.ok(Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype, `not plain: ${Object.prototype.toString.call(v)}`);
        Object.values(v).forEach(walk);
      } else assert.notEqual(typeof v, 'function');
    };
    walk(b);
  });

  it('agent rows: running count, preflight, the latest future rate limit, drain and cost', () => {
    const now = Date.now();
    const agents = [
      { name: 'coder-1', stage: 'coder', runtime: 'claude', args: [], env: {} },
      { name: 'coder-2', stage: 'coder', runtime: 'codex', args: [], env: {} },
    ];
    const runs = [run('a', 1, { agent: 'coder-1', status: 'running' }), run('b', 2, { agent: 'coder-1', status: 'running' }), run('c', 3, { agent: 'coder-2', status: 'failed' })];
    const b = buildBoardState(
      snapshot({
        agents,
        runs,
        preflight: [{ agent: 'coder-2', runtime: 'codex', ok: false, message: 'codex was not found' }],
        rateLimits: {
          'coder-1': { until: now + 60_000, reason: 'x' },
          'runtime:claude': { until: now + 120_000, reason: 'y' },
          'coder-2': { until: now - 1000, reason: 'over' },
        },
        drained: { 'coder-2': { since: now, failures: 2, reason: 'failed twice' } },
        costByAgent: new Map([['coder-1', { costUsd: 2.5, inputTokens: 0, outputTokens: 0, runs: 2 }]]),
      }),
    );
    const rows = (b as unknown as { agents: Record<string, unknown>[] }).agents;
    assert.equal(rows.length, 2);
    assert.deepEqual(pick(rows[0], ['name', 'runtime', 'running', 'ok', 'rateLimitedUntil', 'drained', 'costUsd']), {
      name: 'coder-1',
      runtime: 'claude',
      running: 2,
      ok: true,
      rateLimitedUntil: now + 120_000,
      drained: undefined,
      costUsd: 2.5,
    });
    assert.deepEqual(pick(rows[1], ['name', 'running', 'ok', 'status', 'rateLimitedUntil', 'drained', 'costUsd']), {
      name: 'coder-2',
      running: 0,
      ok: false,
      status: 'codex was not found',
      rateLimitedUntil: undefined,
      drained: 'failed twice',
      costUsd: 0,
    });
  });

  it('runView copies the token counts from usage', () => {
    assert.equal(runView(run('r', 1)).inputTokens, undefined);
    assert.equal(runView(run('r', 1, { usage: { inputTokens: 5, outputTokens: 6, cacheReadTokens: 7, cacheWriteTokens: 8 } })).outputTokens, 6);
  });
});

describe('boardModel: statusText', () => {
  it('says what is running and queued', () => {
    assert.equal(statusText({ initialized: false, running: 3, queued: 1 }), '$(circle-outline) Huskies');
    assert.equal(statusText({ initialized: true, running: 0, queued: 0 }), '$(check) Huskies: idle');
    assert.equal(statusText({ initialized: true, running: 2, queued: 0 }), '$(pulse) Huskies: 2 running');
    assert.equal(statusText({ initialized: true, running: 2, queued: 5 }), '$(pulse) Huskies: 2 running, 5 queued');
    assert.equal(statusText({ initialized: true, running: 0, queued: 4 }), '$(clock) Huskies: 4 queued');
  });
});

describe('boardModel: controls, help and the schedule', () => {
  it('a card’s criteria counter follows the story when an agent ticks a criterion (item.changed)', async () => {
    const criteria = ['a', 'b', 'c'].map((text) => ({ text, done: false }));
    const core = makeCore({ items: [item(1, 'current', { criteria })], autoAssign: false });
    const before = buildBoardState(snapshot({ items: core.state.items() })).cards[0];
    assert.deepEqual([before.criteriaDone, before.criteriaTotal], [0, 3]);
    const r = await core.request({ type: 'item.checkCriterion', id: 1, index: 1, done: true, source: 'mcp' });
    assert.ok(r.ok);
    await core.waitEvent((e): e is Extract<HuskiesEvent, { type: 'item.changed' }> => e.type === 'item.changed' && e.id === 1);
    const after = buildBoardState(snapshot({ items: core.state.items() })).cards[0];
    assert.deepEqual([after.criteriaDone, after.criteriaTotal], [1, 3]);
  });

  it('shows a paused story’s reason and its note on the card, and not the paused wait a second time', () => {
    const b = buildBoardState(
      snapshot({
        items: [
          item(1, 'current', { frontMatter: { paused: true, paused_reason: 'waiting for the API key', note: 'check with ops' } }),
          item(2, 'current', { frontMatter: { paused: true } }),
        ],
        waits: new Map([[1, 'paused (waiting for the API key): no agent starts on it until you resume it (huskies resume 1)']]),
      }),
    );
    assert.deepEqual(pick(b.cards[0], ['paused', 'note', 'waiting']), { paused: 'waiting for the API key', note: 'check with ops', waiting: undefined });
    assert.equal(b.cards[1].paused, 'paused');
    assert.ok(cardActions(b.cards[0]).includes('resume'));
  });

  it('lists the help requests with their button labels, the project’s pause and latest notes, timers and triggers', () => {
    const b = buildBoardState(
      snapshot({
        help: [{ key: 'no-agent', reason: 'Story #1 is ready, but no agent can take it', since: 5, actions: [{ kind: 'acknowledge', agent: 'c1' }, { kind: 'openBoard' }] }],
        projectPaused: { since: 9, reason: 'release freeze', source: 'user' },
        notes: Array.from({ length: 7 }, (_, i) => ({ at: i, text: `n${i}`, source: 'user' })),
        scheduled: [
          {
            id: 't-1',
            schedule: { kind: 'every', seconds: 300 },
            timezone: 'UTC',
            action: { prompt: 'Check the build' },
            anchorAt: 0,
            createdAt: 0,
            source: 'user',
            fired: 2,
            nextAt: 1000,
          },
        ],
        triggers: [
          {
            id: 'g-1',
            when: { to: 'qa' },
            action: { tool: 'add_note', args: {} },
            mode: 'persistent',
            createdAt: 0,
            source: 'user',
            fired: 1,
            recent: [],
            lastError: 'no such tool',
          },
        ],
      }),
    );
    assert.deepEqual(b.help, [{ key: 'no-agent', storyId: undefined, reason: 'Story #1 is ready, but no agent can take it', since: 5, actions: ['Acknowledge c1', 'Open Board'] }]);
    assert.deepEqual(b.project?.paused, { since: 9, reason: 'release freeze' });
    assert.deepEqual(
      b.project?.notes.map((n) => n.text),
      ['n2', 'n3', 'n4', 'n5', 'n6'],
    );
    assert.deepEqual(pick(b.timers?.[0], ['id', 'schedule', 'action', 'nextAt', 'fired']), {
      id: 't-1',
      schedule: 'every 5m',
      action: 'prompt "Check the build"',
      nextAt: 1000,
      fired: 2,
    });
    assert.deepEqual(pick(b.triggers?.[0], ['id', 'mode', 'lastError']), { id: 'g-1', mode: 'persistent', lastError: 'no such tool' });
    assert.match(b.triggers![0].when, /to qa/);
  });

  it('the status bar says paused while the project is', () => {
    assert.equal(statusText({ initialized: true, running: 0, queued: 2, projectPaused: { since: 0, reason: 'x', source: 'user' } }), '$(debug-pause) Huskies: paused');
    assert.equal(statusText({ initialized: true, running: 1, queued: 0, projectPaused: { since: 0, reason: 'x', source: 'user' } }), '$(debug-pause) Huskies: paused, 1 finishing');
  });
});

describe('help request actions', () => {
  it('each action has a label and a registered command; a run’s output is opened by its story', () => {
    const snap = { runs: [run('r9', 4)] };
    const all: Parameters<typeof helpLabel>[0][] = [
      { kind: 'acknowledge', agent: 'c1' },
      { kind: 'unblock', storyId: 1 },
      { kind: 'resume', storyId: 1 },
      { kind: 'resumeProject' },
      { kind: 'fixup', storyId: 1 },
      { kind: 'review', storyId: 1 },
      { kind: 'openStory', storyId: 1 },
      { kind: 'showOutput', runId: 'r9' },
      { kind: 'openBoard' },
    ];
    const ids = new Set<string>(Object.values(CommandIds));
    for (const a of all) {
      assert.ok(helpLabel(a), a.kind);
      const c = helpCommand(a, snap);
      assert.ok(c && ids.has(c.command), a.kind);
    }
    assert.deepEqual(helpCommand({ kind: 'showOutput', runId: 'r9' }, snap), { command: CommandIds.showAgentOutput, arg: 4 });
    assert.equal(helpCommand({ kind: 'showOutput', runId: 'gone' }, snap), undefined);
  });
});

describe('boardModel: card states', () => {
  const agent = (name: string, extra: Record<string, unknown> = {}) => ({ name, stage: 'coder', runtime: 'sim', args: [], env: {}, ...extra });
  const hour = 3_600_000;

  it("a question's options reach the card; no options without an open question", () => {
    const asked = item(1, 'current', { blocked: true, frontMatter: { question: 'Tabs or spaces?', question_options: ['tabs', 'spaces', 7] } });
    const stale = item(2, 'current', { frontMatter: { question_options: ['a', 'b'] } });
    const b = buildBoardState(snapshot({ items: [asked, stale] }));
    assert.equal(b.cards[0].question, 'Tabs or spaces?');
    assert.deepEqual(b.cards[0].questionOptions, ['tabs', 'spaces']);
    assert.equal(b.cards[1].questionOptions, undefined);
  });

  it('a queued run pinned to a rate-limited agent: the card names the agent, its limit and the free agents of its role', () => {
    const until = Date.now() + hour;
    const queued = run('r2', 1, { agent: 'coder-1', status: 'queued', sessionId: 's1', prompt: 'and the docs' });
    const b = buildBoardState(
      snapshot({
        items: [item(1, 'current')],
        runs: [queued],
        latestRun: new Map([[1, queued]]),
        agents: [agent('coder-1'), agent('coder-2'), agent('coder-3'), agent('coder-4'), agent('qa-1', { stage: 'qa' }), agent('coder-5', { runtime: 'codex' })],
        rateLimits: { 'coder-1': { until, reason: 'usage limit' }, 'coder-3': { until, reason: 'x' }, 'runtime:codex': { until, reason: 'account' } },
        drained: { 'coder-4': { since: 0, failures: 3, reason: 'x' } },
      }),
    );
    assert.deepEqual(b.cards[0].agentLimit, { agent: 'coder-1', until, others: ['coder-2'] });
    assert.ok(cardActions(b.cards[0]).includes('otherAgent'));
  });

  it('a resume timer for a rate-limited agent counts too; a lifted limit or a running run does not', () => {
    const until = Date.now() + hour;
    const limited = run('r1', 1, { agent: 'coder-1', status: 'failed', outcome: 'rate_limited', reason: 'usage limit' });
    const timers = [{ id: 'resume-r1', kind: 'resume', storyId: 1, at: until, runId: 'r1', agent: 'coder-1', reason: 'usage limit' }];
    const base = { items: [item(1, 'current')], runs: [limited], latestRun: new Map([[1, limited]]), agents: [agent('coder-1'), agent('coder-2')], timers };
    const b = buildBoardState(snapshot({ ...base, rateLimits: { 'coder-1': { until, reason: 'usage limit' } } }));
    assert.deepEqual(b.cards[0].agentLimit, { agent: 'coder-1', until, others: ['coder-2'] });
    assert.equal(b.cards[0].resumeAt, until);
    const lifted = buildBoardState(snapshot({ ...base, rateLimits: { 'coder-1': { until: Date.now() - 1, reason: 'old' } } }));
    assert.equal(lifted.cards[0].agentLimit, undefined);
    const running = run('r3', 1, { agent: 'coder-1', status: 'running' });
    const busy = buildBoardState(snapshot({ ...base, latestRun: new Map([[1, running]]), rateLimits: { 'coder-1': { until, reason: 'x' } } }));
    assert.equal(busy.cards[0].agentLimit, undefined);
  });

  it('a QA run behind a rate-limited QA agent: the limit shows, no other agent is offered (another agent would start it as a coder)', () => {
    const until = Date.now() + hour;
    const queued = run('r2', 1, { agent: 'qa-1', status: 'queued', role: 'qa' });
    const b = buildBoardState(
      snapshot({
        items: [item(1, 'qa')],
        latestRun: new Map([[1, queued]]),
        agents: [agent('qa-1', { stage: 'qa' }), agent('qa-2', { stage: 'qa' }), agent('coder-1')],
        rateLimits: { 'qa-1': { until, reason: 'x' } },
      }),
    );
    assert.deepEqual(b.cards[0].agentLimit, { agent: 'qa-1', until, others: [] });
  });

  it('no other agent free: the limit shows, Use another agent is not offered', () => {
    const until = Date.now() + hour;
    const queued = run('r2', 1, { agent: 'coder-1', status: 'queued' });
    const b = buildBoardState(
      snapshot({
        items: [item(1, 'current')],
        latestRun: new Map([[1, queued]]),
        agents: [agent('coder-1'), agent('coder-2')],
        rateLimits: { 'runtime:sim': { until, reason: 'x' } },
        preflight: [],
      }),
    );
    assert.deepEqual(b.cards[0].agentLimit, { agent: 'coder-1', until, others: [] });
    assert.ok(!cardActions(b.cards[0]).includes('otherAgent'));
  });

  it("runs and agents carry their program's own name: never Claude Code for the simulated agent", () => {
    const agents = [
      agent('sim-1'),
      agent('claude-1', { runtime: 'claude', program: '/opt/bin/claude' }),
      agent('cmd-1', { runtime: 'command', program: '/usr/local/bin/my-agent' }),
    ];
    const runs = [run('a', 1, { agent: 'sim-1', runtime: 'sim' }), run('b', 2, { agent: 'claude-1', runtime: 'claude' }), run('c', 3, { agent: 'cmd-1', runtime: 'command' })];
    const b = buildBoardState(
      snapshot({
        items: [item(1, 'current'), item(2, 'current'), item(3, 'current')],
        runs,
        latestRun: new Map(runs.map((r) => [r.storyId, r])),
        agents,
      }),
    );
    assert.deepEqual(
      b.cards.map((c) => c.run?.program),
      ['simulated agent', 'Claude Code', 'my-agent'],
    );
    assert.deepEqual(
      b.agents.map((a) => a.program),
      ['simulated agent', 'Claude Code', 'my-agent'],
    );
    assert.equal(runView(run('q', 1, { runtime: '', status: 'queued' })).program, undefined);
  });
});
