// What a board message asks for: each becomes the command that does the same from the palette, so
// the board, the context menu and the palette share one code path. A drop on another column moves the
// story through the pipeline's stage rules; a refusal is told to the board (the card goes back) and the user.
import * as vscode from 'vscode';
import { redact, type Huskies as Orchestrator } from '../core/api';
import type { CardAction, HostMessage, WebviewMessage } from '../protocol/messages';
import { CommandIds } from './commandIds';
import { helpCommand } from './helpActions';
import { ANSWER_OPTION, USE_OTHER_AGENT } from './storyCommands';

const ACTION_COMMANDS: Record<CardAction, string> = {
  start: CommandIds.startAgent,
  stop: CommandIds.stopAgent,
  answer: CommandIds.answerQuestion,
  approve: CommandIds.approveStory,
  reject: CommandIds.rejectStory,
  unblock: CommandIds.unblockStory,
  fixup: CommandIds.fixupStory,
  followup: CommandIds.sendFollowUp,
  otherAgent: USE_OTHER_AGENT,
  review: CommandIds.reviewChanges,
  output: CommandIds.showAgentOutput,
  runs: CommandIds.showRuns,
  worktree: CommandIds.openWorktree,
  move: CommandIds.moveStory,
  pause: CommandIds.pauseWork,
  resume: CommandIds.resumeWork,
  note: CommandIds.addNote,
  demote: CommandIds.demoteStory,
  abandon: CommandIds.abandonStory,
};

export function boardActions(orch: () => Orchestrator | undefined, tellBoards: (m: HostMessage) => void): (m: WebviewMessage) => Promise<unknown> {
  const exec = (id: string, arg?: unknown) => vscode.commands.executeCommand(id, arg);
  return async (m) => {
    switch (m.type) {
      case 'startAgent':
        return exec(CommandIds.startAgent, m.storyId);
      case 'stopAgent':
        return exec(CommandIds.stopAgent, m.storyId);
      case 'openOutput':
        return exec(CommandIds.showAgentOutput, m.storyId);
      case 'newStory':
        return exec(CommandIds.newStory);
      case 'initProject':
        return exec(CommandIds.initProject);
      case 'followUp':
        return exec(CommandIds.sendFollowUp, m.storyId);
      case 'answer':
        return exec(CommandIds.answerQuestion, m.storyId);
      case 'answerOption':
        // The webview sends the option's index only: the command reads the text from the story's front matter.
        return exec(ANSWER_OPTION, m);
      case 'acknowledgeAgent':
        return exec(CommandIds.acknowledgeAgent, m.agent);
      case 'approve':
        return exec(CommandIds.approveStory, m.storyId);
      case 'reject':
        return exec(CommandIds.rejectStory, m.storyId);
      case 'unblock':
        return exec(CommandIds.unblockStory, m.storyId);
      case 'cardAction':
        return exec(ACTION_COMMANDS[m.action], m.storyId);
      case 'helpAction': {
        const o = orch();
        const snap = o?.snapshot();
        const action = snap?.help.find((h) => h.key === m.key)?.actions[m.index];
        const c = action && helpCommand(action, snap!);
        return c ? exec(c.command, c.arg) : undefined;
      }
      case 'projectControl':
        return exec(m.action === 'pause' ? CommandIds.pauseWork : m.action === 'resume' ? CommandIds.resumeWork : CommandIds.addNote, 'project');
      case 'addSchedule':
        return exec(m.kind === 'timer' ? CommandIds.addTimer : CommandIds.addTrigger);
      case 'cancelSchedule': {
        const o = orch();
        if (!o) return;
        try {
          await (m.kind === 'timer' ? o.cancelTimer(m.id, 'board') : o.cancelTrigger(m.id, 'board'));
        } catch (err) {
          void vscode.window.showWarningMessage(`Huskies: the ${m.kind} was not cancelled: ${redact((err as Error).message)}`);
        }
        return;
      }
      case 'moveStory': {
        const o = orch();
        if (!o) return;
        try {
          await o.moveStory(m.storyId, m.to, 'board');
        } catch (err) {
          const reason = redact((err as Error).message);
          tellBoards({ type: 'moveRefused', storyId: m.storyId, to: m.to, reason });
          void vscode.window.showWarningMessage(`Huskies: story #${m.storyId} was not moved to ${m.to}: ${reason}`);
        }
        return;
      }
      case 'openStory': {
        const it = orch()?.store.get(m.storyId);
        if (it) await vscode.window.showTextDocument(vscode.Uri.file(it.path), { preview: true });
        return;
      }
    }
  };
}
