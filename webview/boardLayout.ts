// How the board lays out its stages, without DOM: side-by-side columns when the view is wide (an
// editor panel), stacked sections when it is narrow (the sidebar); which sections are open by
// default, and the user's own choices, kept apart from the defaults so that both can change.
import type { Stage } from '../src/protocol/messages';

// The webview may import only from src/protocol/, so the stage list lives here too; the
// Record type makes tsc flag a stage added to the model but missing here.
export const STAGE_TITLES: Record<Stage, string> = {
  backlog: 'Backlog',
  current: 'Current',
  qa: 'QA',
  merge: 'Merge',
  done: 'Done',
  archived: 'Archived',
};
export const STAGES = Object.keys(STAGE_TITLES) as Stage[];
export const isStage = (s: unknown): s is Stage => typeof s === 'string' && Object.hasOwn(STAGE_TITLES, s);

export type Layout = 'columns' | 'stacked';

/** From this width of the board on, stages are columns side by side. */
export const COLUMNS_MIN_WIDTH = 720;

export function layoutFor(width: number): Layout {
  return width >= COLUMNS_MIN_WIDTH ? 'columns' : 'stacked';
}

export type SectionChoice = 'expanded' | 'collapsed';
/** What the user chose per stage; a stage not listed follows the default. */
export type SectionChoices = Partial<Record<Stage, SectionChoice>>;

/** The stage with work in progress: Current when it has cards, else the first of QA and Merge that has, else Backlog. */
export function focusStage(count: (stage: Stage) => number): Stage {
  if (count('current') > 0) return 'current';
  if (count('qa') > 0) return 'qa';
  if (count('merge') > 0) return 'merge';
  return 'backlog';
}

/**
 * Columns: every stage open but Archived (a narrow strip). Stacked: only the stage with work in
 * progress. While a filter is on, also every stage with cards that match (`matched`).
 */
export function defaultExpanded(stage: Stage, layout: Layout, focus: Stage, matched?: ReadonlySet<Stage>): boolean {
  if (matched?.has(stage)) return true;
  return layout === 'columns' ? stage !== 'archived' : stage === focus;
}

export function isExpanded(stage: Stage, choices: SectionChoices, layout: Layout, focus: Stage, matched?: ReadonlySet<Stage>): boolean {
  const c = choices[stage];
  return c === undefined ? defaultExpanded(stage, layout, focus, matched) : c === 'expanded';
}

/** The stages whose cards the board shows, in board order. */
export function expandedStages(choices: SectionChoices, layout: Layout, focus: Stage, matched?: ReadonlySet<Stage>): Stage[] {
  return STAGES.filter((s) => isExpanded(s, choices, layout, focus, matched));
}

/** The stages whose cards the board needs from the host: the open ones, or every one while a filter looks for matches. */
export function neededStages(expanded: readonly Stage[], filtering: boolean): Stage[] {
  return filtering ? [...STAGES] : [...expanded];
}

/** The user opened or closed a section: that is their choice for it from now on. */
export function toggled(choices: SectionChoices, stage: Stage, wasExpanded: boolean): SectionChoices {
  return { ...choices, [stage]: wasExpanded ? 'collapsed' : 'expanded' };
}

/** Saved state as the board writes it: `sections` per stage, and the collapsed list older boards read. */
export interface SavedSections {
  sections?: SectionChoices;
  /** Older saved state: the stages the user collapsed (every other one was open by then). */
  collapsed?: Stage[];
}

/** The choices from saved state; older state (a list of collapsed stages) reads as those stages closed by the user. */
export function readChoices(saved: { sections?: unknown; collapsed?: unknown }): SectionChoices {
  const out: SectionChoices = {};
  if (typeof saved.sections === 'object' && saved.sections !== null) {
    for (const [stage, choice] of Object.entries(saved.sections)) if (isStage(stage) && (choice === 'expanded' || choice === 'collapsed')) out[stage] = choice;
    return out;
  }
  if (Array.isArray(saved.collapsed)) for (const s of saved.collapsed) if (isStage(s)) out[s] = 'collapsed';
  return out;
}

export function writeChoices(choices: SectionChoices): Required<SavedSections> {
  return { sections: { ...choices }, collapsed: STAGES.filter((s) => choices[s] === 'collapsed') };
}

/**
 * The header of a stage: its count, or `shown / total` while a filter is on. `shown` is undefined
 * when the host sent the count but not the cards (a closed section), so nothing is known to filter.
 */
export function stageHeading(stage: Stage, total: number, shown: number | undefined, filtering: boolean): string {
  return filtering && shown !== undefined ? `${STAGE_TITLES[stage]} (${shown} / ${total})` : `${STAGE_TITLES[stage]} (${total})`;
}

/** More agents than this and the strip starts closed (its header still counts them and their problems). */
export const AGENTS_OPEN_MAX = 6;

/** Whether the agents strip is closed: the user's choice if they made one, else closed for a long list. */
export function agentsCollapsedFor(choice: boolean | undefined, count: number): boolean {
  return choice ?? count > AGENTS_OPEN_MAX;
}
