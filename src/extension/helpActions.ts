// What each help-request action is called on a button and which command does it. No vscode import:
// the board model and the notifications share it, and it is unit-tested.
import type { Snapshot } from '../core/api';
import { CommandIds } from './commandIds';

export type HelpAction = Snapshot['help'][number]['actions'][number];

export function helpLabel(a: HelpAction): string {
  switch (a.kind) {
    case 'acknowledge':
      return `Acknowledge ${a.agent}`;
    case 'unblock':
      return 'Unblock';
    case 'resume':
    case 'resumeProject':
      return 'Resume';
    case 'fixup':
      return 'Fix Up';
    case 'review':
      return 'Review Changes';
    case 'openStory':
      return 'Open Story';
    case 'showOutput':
      return 'Show Output';
    case 'openBoard':
      return 'Open Board';
  }
}

/** The command (and its argument) that does an action; a run's output is shown by its story. */
export function helpCommand(a: HelpAction, snap: Pick<Snapshot, 'runs'>): { command: string; arg?: unknown } | undefined {
  switch (a.kind) {
    case 'acknowledge':
      return { command: CommandIds.acknowledgeAgent, arg: a.agent };
    case 'unblock':
      return { command: CommandIds.unblockStory, arg: a.storyId };
    case 'resume':
      return { command: CommandIds.resumeWork, arg: a.storyId };
    case 'resumeProject':
      return { command: CommandIds.resumeWork, arg: 'project' };
    case 'fixup':
      return { command: CommandIds.fixupStory, arg: a.storyId };
    case 'review':
      return { command: CommandIds.reviewChanges, arg: a.storyId };
    case 'openStory':
      return { command: CommandIds.openStory, arg: a.storyId };
    case 'showOutput': {
      const run = snap.runs.find((r) => r.runId === a.runId);
      return run ? { command: CommandIds.showAgentOutput, arg: run.storyId } : undefined;
    }
    case 'openBoard':
      return { command: CommandIds.openBoard };
  }
}
