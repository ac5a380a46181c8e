// The pipeline's stages and the folders that hold them under .huskies/work/.

export const STAGES = ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_FOLDERS: Record<Stage, string> = {
  backlog: '1_backlog',
  current: '2_current',
  qa: '3_qa',
  merge: '4_merge',
  done: '5_done',
  archived: '6_archived',
};

export const STAGE_TITLES: Record<Stage, string> = {
  backlog: 'Backlog',
  current: 'Current',
  qa: 'QA',
  merge: 'Merge',
  done: 'Done',
  archived: 'Archived',
};

const BY_FOLDER = new Map<string, Stage>(STAGES.map((s) => [STAGE_FOLDERS[s], s]));

export function stageOfFolder(folder: string): Stage | undefined {
  return BY_FOLDER.get(folder);
}

export function isStage(v: unknown): v is Stage {
  return typeof v === 'string' && (STAGES as readonly string[]).includes(v);
}
