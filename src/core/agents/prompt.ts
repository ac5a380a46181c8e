// The prompt an agent gets for a story: the agent's template (or the default) with the story,
// its worktree and branch, and the failures of earlier attempts.
import * as fs from 'node:fs';
import type { AgentSpec } from '../config/config';
import type { RunRecord } from '../model/run';
import type { WorkItem } from '../model/workItem';
import { renderTemplate } from './runtimes';

export const QUESTION_FILE = '.huskies-question.json';

export const DEFAULT_PROMPT = `You are a coding agent working on story {{story_id}} ("{{story_name}}") of this repository.
Your working directory is a git worktree on branch {{branch}}; stay in it, do not switch branches and do not push.
Implement the story, keep the tests passing, and commit your work with git before you finish. The files under .huskies/ belong to the orchestrator: do not edit them.
If you cannot go on without an answer from the user, write {"question": "..."} to ${QUESTION_FILE} in the worktree root and stop.

{{story}}{{history}}`;

/** Reads the story file without following a symlink out of the project (the store marks those invalid). */
function storyText(item: WorkItem): string {
  try {
    if (fs.lstatSync(item.path).isSymbolicLink()) return `# ${item.name}`;
    return fs.readFileSync(item.path, 'utf8');
  } catch {
    return `# ${item.name}`;
  }
}

export function buildPrompt(item: WorkItem, agent: AgentSpec, run: Pick<RunRecord, 'history' | 'branch'>, worktree: string): string {
  const history = run.history?.length
    ? `\n\nEarlier attempts at this story failed:\n${run.history.map((h, i) => `${i + 1}. ${h}`).join('\n')}\nAvoid repeating what went wrong.`
    : '';
  return renderTemplate(agent.prompt ?? DEFAULT_PROMPT, {
    story_id: String(item.id),
    story_name: item.name,
    story_file: item.path,
    story: storyText(item),
    worktree,
    branch: run.branch ?? '',
    stage: item.stage,
    agent_name: agent.name,
    history,
  });
}
