// What the facade reads without changing anything: views of the state for the board and tests,
// whether a story may start an agent, the project's stats, transcript pages, a story's changes.
import * as path from 'node:path';
import { readAfter, readBefore } from '../agents/transcript';
import { storyChanges as gitStoryChanges, type StoryChanges } from '../git/storyDiff';
import { NotFoundError } from '../model/errors';
import type { WorkItem } from '../model/workItem';
import type { Orchestrator } from '../orchestrator';
import { canStartAgent } from '../pipeline/stageRules';
import { dependencyWait, stackParent } from '../policies/waits';
import { ProjectStatsReader, type ProjectStats } from '../stats/projectStats';

/** The stories, read-only. */
export function storeView(o: Orchestrator) {
  const s = o.state;
  return { get: (id: number) => s.item(id), all: () => s.items(), itemsById: () => s.itemsById() };
}

/** The runs, read-only. */
export function registryView(o: Orchestrator) {
  const s = o.state;
  return {
    get: (id: string) => s.run(id),
    all: () => s.runs(),
    forStory: (id: number) => s.runsForStory(id),
    latest: (id: number) => s.latestRun(id),
    active: () => s.activeRuns(),
  };
}

/** Why an agent cannot start on a story now (none when it can), and the parent it stacks on, if any. */
export function startCheck(o: Orchestrator, item: WorkItem): { why?: string; stackOn?: number } {
  // with stack_on_parents a story whose one open parent is coded starts from the parent's branch
  const stackOn = item.frontMatter.stacked_on === undefined ? stackParent(item, o.state, o.config.project.stackOnParents) : undefined;
  const why = canStartAgent(item, o.state.itemsById() as Map<number, WorkItem>, stackOn !== undefined) ?? (stackOn === undefined ? dependencyWait(item, o.state) : undefined);
  return { why, stackOn };
}

/** One reader per orchestrator: it keeps what it has read of the logs and reads only what was added since. */
const statsReaders = new WeakMap<Orchestrator, ProjectStatsReader>();

export function projectStats(o: Orchestrator): Promise<ProjectStats> {
  let reader = statsReaders.get(o);
  if (!reader) {
    reader = new ProjectStatsReader({ usage: path.join(o.huskiesDir, 'token_usage.jsonl'), audit: path.join(o.huskiesDir, 'audit.log') });
    statsReaders.set(o, reader);
  }
  return reader.stats(o.clock.now(), o.config.project.timezone);
}

export function readTranscript(o: Orchestrator, runId: string, beforeSeq: number | undefined, limit: number) {
  const run = o.state.run(runId);
  if (!run) return Promise.resolve({ records: [], hasOlder: false });
  return readBefore(run.transcript, beforeSeq, limit);
}

export function readTranscriptAfter(o: Orchestrator, runId: string, afterSeq: number, limit: number) {
  const run = o.state.run(runId);
  if (!run) return Promise.resolve([]);
  return readAfter(run.transcript, afterSeq, limit);
}

export async function storyChanges(o: Orchestrator, id: number): Promise<StoryChanges> {
  const item = o.state.item(id);
  if (!item) throw new NotFoundError(`There is no story ${id}.`);
  return gitStoryChanges(o.root, item, { baseBranch: o.config.project.baseBranch, runs: o.state.runsForStory(id) });
}
