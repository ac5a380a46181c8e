// Long work in VS Code's progress UI: a spinner in the status bar while a story's worktree is made,
// its QA gates run or it merges (a notification for a merge the user started with Approve). The
// pairing of starts and ends lives in progressTracker.ts; this file only connects it to VS Code.
import * as vscode from 'vscode';
import type { Huskies as Orchestrator, HuskiesEvent } from '../core/api';
import { ProgressTracker } from './progressTracker';

export class WorkProgress implements vscode.Disposable {
  private readonly tracker = new ProgressTracker((opts, task) =>
    vscode.window.withProgress({ location: opts.notify ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window, title: opts.title }, (p) => task(p)),
  );
  private detach?: () => void;

  /** Follows an orchestrator's progress notices (one at a time: a new one replaces the last). */
  attach(o: Orchestrator): void {
    this.detach?.();
    const listener = (e: HuskiesEvent) => {
      if (e.type === 'work.progress') this.tracker.notice(e);
      // Approve moves the story to merge: its merge is the user's, shown as a notification.
      else if (e.type === 'item.moved' && e.to === 'merge' && e.reason === 'approved' && (e.source === 'user' || e.source === 'board')) this.tracker.expectNotify('merge', e.id);
    };
    o.on('event', listener);
    this.detach = () => o.off('event', listener);
  }

  dispose(): void {
    this.detach?.();
    this.tracker.dispose();
  }
}
