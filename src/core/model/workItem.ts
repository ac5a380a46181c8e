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
