// The tools about stories: what the pipeline looks like, a story's file, ticking a criterion,
// new stories, moves along the pipeline, questions to the user and progress notes. Each one that
// changes state is a command through the one writer, for the caller's own story only.
import * as fs from 'node:fs/promises';
import { z } from 'zod';
import { STAGES, type Stage } from '../model/stage';
import type { TransitionKind } from '../model/commands';
import type { WorkItem } from '../model/workItem';
import { whyWaiting } from '../policies/waits';
import { defineTool, ToolError, type ToolCall, type ToolDef } from './types';

const storyId = z.number().int().positive().max(1_000_000_000);
const text = (max: number) => z.string().trim().min(1).max(max);

/** The story a changing call is about: the caller's own, or a refusal naming the argument. */
export function ownStory(call: ToolCall<unknown>, asked: number | undefined): WorkItem {
  const own = call.session.storyId;
  if (own <= 0) throw new ToolError('this call acts for no story of its own: name one with story_id', 'story_id');
  if (asked !== undefined && asked !== own)
    throw new ToolError(`story ${asked} is not yours: this session acts for story ${own} only, and other stories are read-only (get_story, status).`, 'story_id');
  const item = call.deps.state.item(own);
  if (!item) throw new ToolError(`your story ${own} is gone from .huskies/work.`);
  return item;
}

function itemView(item: WorkItem) {
  return {
    id: item.id,
    name: item.name,
    type: item.type,
    stage: item.stage,
    file: item.fileName,
    criteria: item.criteria.map((c, index) => ({ index, text: c.text, done: c.done })),
    depends_on: item.dependsOn,
    blocked: item.blocked,
    ...(item.blockedReason ? { blocked_reason: item.blockedReason } : {}),
    ...(typeof item.frontMatter.question === 'string' ? { question: item.frontMatter.question } : {}),
    ...(Array.isArray(item.frontMatter.question_options) ? { question_options: item.frontMatter.question_options } : {}),
    ...(item.invalid ? { invalid: item.invalid } : {}),
  };
}

const json = (v: unknown) => JSON.stringify(v, null, 1);

/** Refuses the command's refusal as the tool's error; returns the events on success. */
async function require(call: ToolCall<unknown>, c: Parameters<ToolCall<unknown>['deps']['request']>[0]) {
  const r = await call.deps.request(c);
  if (!r.ok) throw new ToolError(r.refusal);
  return r.events;
}

export const status = defineTool({
  name: 'status',
  description:
    'The pipeline: how many stories are in each stage, running and queued agents, and your story with its stage, acceptance criteria (numbered from 0) and what it waits for.',
  schema: z.strictObject({}),
  changes: false,
  async run(call) {
    const { state } = call.deps;
    const ctx = call.deps.policyContext();
    const counts = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
    for (const it of state.items()) counts[it.stage]++;
    const runs = state.activeRuns();
    const own = state.item(call.session.storyId);
    const data = {
      stages: counts,
      running: runs.filter((r) => r.status === 'running').length,
      queued: runs.filter((r) => r.status === 'queued').length,
      ...(state.agentState().paused ? { paused: state.agentState().paused!.reason } : {}),
      your_story: own ? { ...itemView(own), waits: whyWaiting(own, state, ctx) ?? null } : null,
    };
    return { text: json(data), data, summary: own ? `story ${own.id} in ${own.stage}` : 'status' };
  },
});

export const getStory = defineTool({
  name: 'get_story',
  description: "A story's file (markdown with front matter) and its parsed fields. Without id: your own story. Any story may be read.",
  schema: z.strictObject({ id: storyId.optional().describe('the story number; default: your story') }),
  changes: false,
  async run(call) {
    const id = call.args.id ?? call.session.storyId;
    const item = call.deps.state.item(id);
    if (!item) throw new ToolError(`there is no story ${id}.`, 'id');
    const content = await fs.readFile(item.path, 'utf8').catch((err: Error) => {
      throw new ToolError(`story ${id}'s file cannot be read: ${err.message}`, 'id');
    });
    const data = { ...itemView(item), content: call.deps.mask(content) };
    return { text: json(data), data, summary: `read story ${id}` };
  },
});

export const checkCriterion = defineTool({
  name: 'check_criterion',
  description: 'Ticks (done=true, the default) or unticks one acceptance criterion of your story in its file. index counts from 0, as status and get_story list them.',
  schema: z.strictObject({
    index: z.number().int().min(0).max(10_000).describe('the criterion, numbered from 0'),
    done: z.boolean().default(true),
    story_id: storyId.optional().describe('your story (the default); other stories are refused'),
  }),
  changes: true,
  async run(call) {
    const item = ownStory(call, call.args.story_id);
    const { index, done } = call.args;
    await require(call, { type: 'item.checkCriterion', id: item.id, index, done, source: 'mcp', runId: call.session.runId });
    const after = call.deps.state.item(item.id) ?? item;
    const left = after.criteria.filter((c) => !c.done).length;
    return {
      text: `${done ? 'Ticked' : 'Unticked'} criterion ${index} of story ${item.id}: "${item.criteria[index]?.text}". ${left} of ${after.criteria.length} left.`,
      data: { story: item.id, index, done, left },
      summary: `${done ? 'ticked' : 'unticked'} criterion ${index}`,
    };
  },
});

export const createStory = defineTool({
  name: 'create_story',
  description: 'Writes a new story to the backlog (for work you found that is outside your story). It returns the new story number.',
  schema: z.strictObject({
    name: text(200).describe('the title'),
    description: z.string().max(20_000).optional(),
    criteria: z.array(text(1000)).min(1).max(50).describe('acceptance criteria, at least one'),
    depends_on: z.array(storyId).max(50).optional().describe('stories this one waits for'),
  }),
  changes: true,
  async run(call) {
    const { name, description, criteria, depends_on } = call.args;
    for (const d of depends_on ?? []) if (!call.deps.state.item(d)) throw new ToolError(`depends_on names story ${d}, which does not exist.`, 'depends_on');
    const events = await require(call, { type: 'item.create', name, itemType: 'story', criteria, description, dependsOn: depends_on, source: 'mcp' });
    const created = events.find((e) => e.type === 'item.created');
    const item = created?.type === 'item.created' ? created.item : undefined;
    if (!item) throw new ToolError('the story was written but cannot be read back.');
    return {
      text: `Created story ${item.id} "${item.name}" in the backlog (${item.fileName}).`,
      data: { id: item.id, file: item.fileName, stage: item.stage },
      summary: `created story ${item.id} "${name}"`,
    };
  },
});

/** The moves an agent may make: along the pipeline, never past a gate. */
const AGENT_MOVES: Partial<Record<Stage, Partial<Record<Stage, TransitionKind>>>> = {
  current: { qa: 'coded', backlog: 'demote' },
  qa: { backlog: 'demote' },
};

export const moveStory = defineTool({
  name: 'move_story',
  description:
    'Moves your story along the pipeline: from current to qa when the work is done, or back to backlog. Merge and done are reached only through QA and the merge, never by a move.',
  schema: z.strictObject({ to: z.enum(STAGES), story_id: storyId.optional().describe('your story (the default); other stories are refused') }),
  changes: true,
  async run(call) {
    const item = ownStory(call, call.args.story_id);
    const to = call.args.to;
    if (to === 'merge' || to === 'done')
      throw new ToolError(`an agent cannot move a story to ${to}: it gets there only by passing QA and the merge gates. Move it to qa when your work is done.`, 'to');
    if (to === 'archived') throw new ToolError("archiving (abandoning) a story is the user's decision: ask_question if you think it should be.", 'to');
    const kind = AGENT_MOVES[item.stage]?.[to];
    if (!kind) {
      const allowed = Object.keys(AGENT_MOVES[item.stage] ?? {});
      throw new ToolError(`story ${item.id} is in ${item.stage}; from there an agent may move it ${allowed.length ? `to ${allowed.join(' or ')}` : 'nowhere'}.`, 'to');
    }
    await require(call, { type: 'item.transition', id: item.id, kind, source: 'mcp', reason: `moved by its agent (${kind})` });
    return { text: `Story ${item.id} moved from ${item.stage} to ${to}.`, data: { story: item.id, from: item.stage, to }, summary: `moved ${item.stage} → ${to}` };
  },
});

export const askQuestion = defineTool({
  name: 'ask_question',
  description:
    'Asks the user a question you cannot decide yourself. Your story is blocked until the user answers; then your session resumes with the answer. End your turn right after asking.',
  schema: z.strictObject({
    question: text(2000),
    options: z.array(text(300)).min(2).max(10).optional().describe('choices to offer, if any'),
    story_id: storyId.optional().describe('your story (the default); other stories are refused'),
  }),
  changes: true,
  async run(call) {
    const item = ownStory(call, call.args.story_id);
    const runId = call.session.runId;
    if (!runId) throw new ToolError('this session was started by hand and has no run to resume with the answer: ask the user directly.');
    const { question, options } = call.args;
    // The options stay a list (front matter question_options): the board offers each as a button, and the answer is its text.
    await require(call, { type: 'item.ask', id: item.id, runId, question, ...(options?.length ? { options } : {}), source: 'mcp' });
    return {
      text: `Asked. Story ${item.id} is blocked until the user answers${options?.length ? ' (with one of your options, or in their own words)' : ''}; your session resumes with the answer. Stop working now and end your turn.`,
      data: { story: item.id, blocked: true, ...(options?.length ? { options } : {}) },
      summary: `asked: ${question}`,
    };
  },
});

export const reportProgress = defineTool({
  name: 'report_progress',
  description: "Records a short progress note in your run's record and the project's audit log (the user sees it on the board).",
  schema: z.strictObject({ message: text(1000), percent: z.number().min(0).max(100).optional() }),
  changes: false,
  async run(call) {
    const { message, percent } = call.args;
    const line = percent === undefined ? message : `${Math.round(percent)}%: ${message}`;
    return { text: 'Recorded.', data: { recorded: line }, summary: line };
  },
});

export const STORY_TOOLS: ToolDef[] = [status, getStory, checkCriterion, createStory, moveStory, askQuestion, reportProgress];
