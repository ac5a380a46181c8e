// Tells the user when a story needs them (review, failed merge, blocked, question) with the actions
// that resolve it, once per story and reason; and shows merges in progress and failed in the status bar.
import * as vscode from 'vscode';
import type { Snapshot } from '../core/api';
import { helpCommand, helpLabel } from './helpActions';
import { AttentionLedger, needsUser, questionButtons, type Attention, type AttentionReason } from './attention';
import { CommandIds } from './commandIds';
import { ANSWER_OPTION } from './storyCommands';
import { LookKeeper, mergeLook, type LookTarget } from './statusLook';

const ACTIONS: Record<AttentionReason, { title: string; command: string; index?: number }[]> = {
  review: [
    { title: 'Approve', command: CommandIds.approveStory },
    { title: 'Reject', command: CommandIds.rejectStory },
    { title: 'Review Changes', command: CommandIds.reviewChanges },
  ],
  mergeFailed: [
    { title: 'Fix Up', command: CommandIds.fixupStory },
    { title: 'Review Changes', command: CommandIds.reviewChanges },
    { title: 'Show Output', command: CommandIds.showAgentOutput },
  ],
  blocked: [
    { title: 'Unblock', command: CommandIds.unblockStory },
    { title: 'Show Output', command: CommandIds.showAgentOutput },
  ],
  question: [
    { title: 'Answer', command: CommandIds.answerQuestion },
    { title: 'Show Output', command: CommandIds.showAgentOutput },
  ],
};

/** More than this many at once (a window opening on a busy project) become one summary. */
const AT_ONCE = 3;

export class Notifier implements vscode.Disposable {
  private readonly ledger = new AttentionLedger();
  private readonly merge: vscode.StatusBarItem;
  private readonly mergeLook: LookKeeper;

  constructor() {
    this.merge = vscode.window.createStatusBarItem('merge', vscode.StatusBarAlignment.Left, 99);
    this.merge.name = 'Huskies merges';
    this.merge.command = CommandIds.openBoard;
    this.mergeLook = new LookKeeper(lookTarget(this.merge));
  }

  update(snap: Snapshot): void {
    this.mergeLook.apply(mergeLook(snap));

    const fresh = this.ledger.next(needsUser(snap));
    if (fresh.length > AT_ONCE) {
      void vscode.window
        .showInformationMessage(`Huskies: ${fresh.length} stories need you: ${fresh.map((a) => `#${a.id} (${label(a.reason)})`).join(', ')}.`, 'Open Board')
        .then((pick) => {
          if (pick) void vscode.commands.executeCommand(CommandIds.openBoard);
        });
    } else for (const a of fresh) this.show(a);
  }

  /** A help request the orchestrator raised (its backoff decides how often): one notification with its actions. */
  help(request: Snapshot['help'][number], snapshot: () => Pick<Snapshot, 'runs'>): void {
    const labels = request.actions.map(helpLabel);
    void vscode.window.showWarningMessage(`Huskies needs you: ${request.reason}`, ...labels).then((pick) => {
      const i = pick === undefined ? -1 : labels.indexOf(pick);
      const c = i >= 0 ? helpCommand(request.actions[i], snapshot()) : undefined;
      if (c) void vscode.commands.executeCommand(c.command, c.arg);
    });
  }

  private show(a: Attention): void {
    const actions = a.options?.length
      ? questionButtons(a.options).map((b) => ({ title: b.title, command: b.index === undefined ? CommandIds.answerQuestion : ANSWER_OPTION, index: b.index }))
      : ACTIONS[a.reason];
    const show = a.reason === 'review' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void show(`Huskies: ${a.message}`, ...actions.map((x) => x.title)).then((pick) => {
      const act = actions.find((x) => x.title === pick);
      if (act) void vscode.commands.executeCommand(act.command, a.id, ...(act.index !== undefined ? [act.index] : []));
    });
  }

  dispose(): void {
    this.merge.dispose();
  }
}

function label(r: AttentionReason): string {
  return r === 'review' ? 'review' : r === 'mergeFailed' ? 'merge failed' : r === 'question' ? 'question' : 'blocked';
}

/** A status bar item as the look keeper sets it. */
export function lookTarget(item: vscode.StatusBarItem): LookTarget {
  return {
    setText: (text) => (item.text = text),
    setTooltip: (tooltip) => (item.tooltip = tooltip),
    setBackground: (id) => (item.backgroundColor = id ? new vscode.ThemeColor(id) : undefined),
    show: () => item.show(),
    hide: () => item.hide(),
  };
}
