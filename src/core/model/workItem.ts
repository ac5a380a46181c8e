// A work item: one markdown file under .huskies/work/<stage>/, parsed.
import type { Stage } from './stage';

export const ITEM_TYPES = ['story', 'bug', 'spike', 'refactor'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export interface Criterion {
  text: string;
  done: boolean;
}

export interface WorkItem {
  /** The number, unique across all stages. */
  id: number;
  type: ItemType;
  slug: string;
  stage: Stage;
  /** File name, e.g. 42_story_add_login.md */
  fileName: string;
  /** Absolute path of the file. */
  path: string;
  name: string;
  /** Front matter as parsed; unknown keys are kept so a rewrite preserves them. */
  frontMatter: Record<string, unknown>;
  body: string;
  criteria: Criterion[];
  agent?: string;
  dependsOn: number[];
  blocked: boolean;
  blockedReason?: string;
  /** Set when the file could not be parsed: what is wrong and where. The item is shown, never dropped. */
  invalid?: string;
  mtimeMs: number;
}

/** A file in a stage folder that is not a work item (its name has no number, type and slug): reported, never numbered. */
export interface StrayFile {
  stage: Stage;
  fileName: string;
  /** Absolute path of the file. */
  path: string;
  /** What is wrong, naming the file relative to the project root, e.g. ".huskies/work/1_backlog/notes.md: not a work item: …". */
  problem: string;
}
