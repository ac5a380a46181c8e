// The commands that look at and steer one story beyond start and stop: review its changes in the
// diff editor, open its worktree in a new window, its run history, fix-up, and move to a stage.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STAGES, STAGE_TITLES, type ChangedFile, type Huskies as Orchestrator, type RunRecord, type Stage, type StoryChanges } from '../core/api';
import { programName } from '../protocol/programs';
import { optionText } from './attention';
import { agentLimitOf } from './boardModel';
import { CommandIds } from './commandIds';
import { gitUri } from './gitContent';

/** A story number from a command argument: a number, a numeric string, or a context-menu object ({ storyId }). */
export function storyIdOf(arg: unknown): number | undefined {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (ok(arg)) return arg;
  if (typeof arg === 'string' && /^\d{1,15}$/.test(arg) && ok(Number(arg))) return Number(arg);
  if (arg && typeof arg === 'object' && 'storyId' in arg) {
    const id = (arg as { storyId: unknown }).storyId;
    if (ok(id)) return id;
  }
  return undefined;
}

/** Moves a story's next run from a rate-limited agent to another one (the card's "Use another agent"). */
export const USE_OTHER_AGENT = 'huskies.useOtherAgent';

/** Answers a story's open question with the agent's suggested option number `index` (arguments: story, index). */
export const ANSWER_OPTION = 'huskies.answerOption';

export interface StoryCommandDeps {
  requireOrch(): Orchestrator;
  /** Asks for a story when the command came without one. */
  pickStory(title: string, filter: (id: number) => boolean): Promise<number | undefined>;
  showOutput(storyId: number, runId?: string): void;
}

const STATUS_LETTER: Record<ChangedFile['status'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typechange: 'T', unmerged: 'U' };

/** The three URIs of one changed file: the resource (named in the list), the original side and the changed side. */
export function changeUris(c: StoryChanges, f: ChangedFile): { resource: vscode.Uri; original: vscode.Uri; modified: vscode.Uri } {
  const original = f.status === 'added' || f.status === 'copied' ? gitUri(f.oldPath ?? f.path) : gitUri(f.oldPath ?? f.path, c.base);
  let modified: vscode.Uri;
  if (f.status === 'deleted') modified = gitUri(f.path);
  else if (c.worktree) modified = vscode.Uri.file(path.join(c.worktree, ...f.path.split('/')));
  else modified = gitUri(f.path, c.head);
  if (f.status === 'copied') return { resource: modified, original: gitUri(f.oldPath!, c.base), modified };
  return { resource: f.status === 'deleted' ? gitUri(f.path, c.base) : modified, original, modified };
}

function sideNames(c: StoryChanges): string {
  if (c.merged) return `merge ${c.head.slice(0, 8)}`;
  return c.worktree ? `${c.base.slice(0, 8)} ↔ worktree` : `${c.base.slice(0, 8)} ↔ ${c.branch ?? c.head.slice(0, 8)}`;
}

function describeRun(r: RunRecord): { label: string; description: string; detail?: string } {
  const when = r.startedAt ?? r.queuedAt;
  const ended = r.status === 'queued' || r.status === 'running' ? r.status : `${r.status}${r.outcome && r.outcome !== 'success' ? ` (${r.outcome})` : ''}`;
  const cost = r.costUsd !== undefined ? ` · $${r.costUsd.toFixed(2)}` : '';
  const icon =
    r.status === 'running' ? '$(sync~spin)' : r.status === 'succeeded' ? '$(pass)' : r.status === 'failed' ? '$(error)' : r.status === 'stopped' ? '$(debug-stop)' : '$(clock)';
  return {
    label: `${icon} ${r.agent || 'unassigned'} · ${r.stage}`,
    description: `${new Date(when).toLocaleString()} · ${ended}${cost}`,
    detail: r.reason,
  };
}

export function storyCommands(d: StoryCommandDeps): Record<string, (...args: unknown[]) => unknown> {
  const stageOf = (id: number) => d.requireOrch().store.get(id)?.stage;
  const withBranch = (id: number) => {
    const o = d.requireOrch();
    const it = o.store.get(id);
    if (!it) return false;
    if ((it.stage === 'done' || it.stage === 'archived') && typeof it.frontMatter.merge_commit === 'string') return true;
    return (it.stage === 'current' || it.stage === 'qa' || it.stage === 'merge') && o.registry.forStory(id).some((r) => r.branch || r.worktree);
  };
  const storyFor = async (arg: unknown, title: string, filter: (id: number) => boolean) => storyIdOf(arg) ?? (await d.pickStory(title, filter));

  const changesOf = async (id: number): Promise<StoryChanges | undefined> => {
    const c = await d.requireOrch().storyChanges(id);
    if (!c.files.length) {
      void vscode.window.showInformationMessage(`Huskies: story #${id} has no changes yet (${sideNames(c)}).`);
      return undefined;
    }
    return c;
  };

  return {
    [CommandIds.reviewChanges]: async (arg) => {
      const id = await storyFor(arg, 'Review Changes', withBranch);
      if (id === undefined) return;
      const c = await changesOf(id);
      if (!c) return;
      const name = d.requireOrch().store.get(id)?.name ?? '';
      // No original side marks a file as added, no modified side as deleted.
      const resources = c.files.map((f) => {
        const u = changeUris(c, f);
        return [u.resource, f.status === 'added' ? undefined : u.original, f.status === 'deleted' ? undefined : u.modified];
      });
      await vscode.commands.executeCommand('vscode.changes', `#${id} ${name} (${sideNames(c)})`, resources);
    },
    [CommandIds.reviewFile]: async (arg) => {
      const id = await storyFor(arg, 'Review Changes (Pick File)', withBranch);
      if (id === undefined) return;
      const c = await changesOf(id);
      if (!c) return;
      const pick = await vscode.window.showQuickPick(
        c.files.map((f) => ({
          label: f.path,
          description: `${STATUS_LETTER[f.status]}${f.oldPath ? ` ← ${f.oldPath}` : ''}`,
          file: f,
        })),
        { title: `Story #${id}: changed files (${sideNames(c)})`, placeHolder: 'Choose a file to compare', matchOnDescription: true },
      );
      if (!pick) return;
      const u = changeUris(c, pick.file);
      await vscode.commands.executeCommand('vscode.diff', u.original, u.modified, `${path.posix.basename(pick.file.path)} (#${id}: ${sideNames(c)})`);
    },
    [CommandIds.openWorktree]: async (arg) => {
      const o = d.requireOrch();
      const worktreeOf = (id: number) =>
        o.registry
          .forStory(id)
          .map((r) => r.worktree)
          .find((w): w is string => !!w && fs.existsSync(w));
      const id = await storyFor(arg, 'Open Worktree in New Window', (id) => !!worktreeOf(id));
      if (id === undefined) return;
      const dir = worktreeOf(id);
      if (!dir) throw new Error(`Story #${id} has no worktree on disk (none yet, or it was removed after the merge).`);
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dir), { forceNewWindow: true });
    },
    [CommandIds.showRuns]: async (arg) => {
      const o = d.requireOrch();
      const id = await storyFor(arg, 'Show Runs', (id) => o.registry.forStory(id).length > 0);
      if (id === undefined) return;
      const runs = [...o.registry.forStory(id)].sort((a, b) => b.queuedAt - a.queuedAt);
      if (!runs.length) {
        void vscode.window.showInformationMessage(`Huskies: no agent has run on story #${id} yet.`);
        return;
      }
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ ...describeRun(r), runId: r.runId })),
        {
          title: `Story #${id}: ${runs.length} run${runs.length === 1 ? '' : 's'}, newest first`,
          placeHolder: 'Choose a run to show its output',
          matchOnDescription: true,
          matchOnDetail: true,
        },
      );
      if (pick) d.showOutput(id, pick.runId);
    },
    [CommandIds.fixupStory]: async (arg) => {
      const o = d.requireOrch();
      const id = await storyFor(arg, 'Fix Up Failed Merge', (id) => stageOf(id) === 'merge' && o.store.get(id)?.frontMatter.merge_failure !== undefined);
      if (id !== undefined) await o.fixup(id);
    },
    [ANSWER_OPTION]: async (arg, indexArg) => {
      const o = d.requireOrch();
      const id = storyIdOf(arg);
      const index = typeof indexArg === 'number' ? indexArg : typeof arg === 'object' && arg && 'index' in arg ? (arg as { index: unknown }).index : undefined;
      if (id === undefined || typeof index !== 'number' || !Number.isInteger(index)) throw new Error('Answer with an option needs a story number and an option number.');
      const text = optionText(o.store.get(id), index);
      if (!text) throw new Error(`Story #${id} has no open question with option ${index + 1} (any more).`);
      await o.answer(id, text, 'user');
      d.showOutput(id);
    },
    [USE_OTHER_AGENT]: async (arg) => {
      const o = d.requireOrch();
      const limitOf = (id: number) => {
        const snap = o.snapshot();
        const it = snap.items.find((x) => x.id === id);
        return it && agentLimitOf(it, snap, Date.now());
      };
      const id = await storyFor(arg, 'Use Another Agent', (id) => !!limitOf(id)?.others.length);
      if (id === undefined) return;
      const limit = limitOf(id);
      if (!limit) {
        void vscode.window.showInformationMessage(`Huskies: story #${id} does not wait for a rate-limited agent (any more).`);
        return;
      }
      if (!limit.others.length) throw new Error(`No other agent of ${limit.agent}'s role can take story #${id} now: each is rate-limited, drained or not ready.`);
      const specs = o.agents();
      const pick = await vscode.window.showQuickPick(
        limit.others.map((name) => {
          const a = specs.find((x) => x.name === name);
          return { label: name, description: [programName(a?.runtime, a?.program), a?.model].filter(Boolean).join(' · '), name };
        }),
        { title: `Story #${id}: ${limit.agent} is rate-limited until ${new Date(limit.until).toLocaleTimeString()}`, placeHolder: 'Choose the agent to take it instead' },
      );
      if (!pick) return;
      // A session belongs to its program: the other agent starts afresh from the story, in the same worktree.
      const queued = o.activeRun(id);
      const followUp = queued?.status === 'queued' && queued.sessionId ? queued.prompt : undefined;
      if (queued?.status === 'queued') await o.stopAgent(id);
      await o.startAgent(id, { agent: pick.name });
      d.showOutput(id);
      if (followUp) {
        await vscode.env.clipboard.writeText(followUp);
        void vscode.window.showInformationMessage(
          `Huskies: ${pick.name} starts on #${id} from the story (a new session). Your follow-up for ${limit.agent} is on the clipboard: send it again once ${pick.name} has run.`,
        );
      }
    },
    [CommandIds.moveStory]: async (arg, toArg) => {
      const o = d.requireOrch();
      const id = await storyFor(arg, 'Move Story to…', (id) => stageOf(id) !== undefined);
      if (id === undefined) return;
      const from = stageOf(id);
      let to: Stage | undefined = STAGES.find((s) => s === toArg);
      if (!to) {
        const pick = await vscode.window.showQuickPick(
          STAGES.filter((s) => s !== from).map((s) => ({ label: STAGE_TITLES[s], stage: s })),
          { title: `Move story #${id} from ${from ? STAGE_TITLES[from] : '?'} to…`, placeHolder: 'Choose a stage' },
        );
        to = pick?.stage;
      }
      if (to) await o.moveStory(id, to, 'user');
    },
  };
}
