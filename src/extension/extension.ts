// VS Code edges only: builds the orchestrator for the workspace folder and wires the board,
// the output panels, the status bar, the commands, notifications, settings and trust to it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { FollowerError, Orchestrator } from '../core/orchestrator';
import { initProject } from '../core/project';
import { isGitRepo, git } from '../core/git/git';
import { which } from '../core/agents/runtimes';
import type { RunRecord } from '../core/agents/runRegistry';
import type { Logger } from '../core/util/log';
import { redact } from '../core/util/log';
import type { WebviewMessage } from '../protocol/messages';
import { CommandIds } from './commandIds';
import { BoardHub, OutputPanels } from './webviews';
import { statusText } from './boardModel';

let orchestrator: Orchestrator | undefined;

function rootFolder(): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders[0];
}

function channelLogger(ch: vscode.LogOutputChannel): Logger {
  return { info: (m) => ch.info(redact(m)), warn: (m) => ch.warn(redact(m)), error: (m) => ch.error(redact(m)) };
}

function storyIdOf(arg: unknown): number | undefined {
  if (typeof arg === 'number' && Number.isInteger(arg)) return arg;
  if (typeof arg === 'string' && /^\d+$/.test(arg)) return Number(arg);
  if (arg && typeof arg === 'object' && 'storyId' in arg && typeof (arg as { storyId: unknown }).storyId === 'number') return (arg as { storyId: number }).storyId;
  return undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Huskies', { log: true });
  context.subscriptions.push(log);
  const logger = channelLogger(log);
  const folder = rootFolder();

  const board = new BoardHub(context.extensionUri, () => orchestrator, (m) => onBoardAction(m));
  const outputs = new OutputPanels(context.extensionUri, () => orchestrator);
  context.subscriptions.push(board, outputs, vscode.window.registerWebviewViewProvider('huskies.board', board, { webviewOptions: { retainContextWhenHidden: true } }));

  const status = vscode.window.createStatusBarItem('agents', vscode.StatusBarAlignment.Left, 100);
  status.name = 'Huskies agents';
  status.command = CommandIds.openBoard;
  status.text = '$(circle-outline) Huskies';
  status.show();
  context.subscriptions.push(status);

  const refresh = () => {
    board.refresh();
    void outputs.refresh();
    const o = orchestrator;
    if (!o) return;
    const snap = o.snapshot();
    status.text = statusText(snap);
    const today = new Date().toISOString().slice(0, 10);
    const spent = snap.runs.filter((r) => r.endedAt && new Date(r.endedAt).toISOString().startsWith(today)).reduce((s, r) => s + (r.costUsd ?? 0), 0);
    const running = snap.runs.filter((r) => r.status === 'running').map((r) => `#${r.storyId} ${r.agent}`);
    status.tooltip = `Huskies — ${snap.running} running, ${snap.queued} queued (max ${snap.maxCoders})${running.length ? `\n${running.join('\n')}` : ''}\nToday: $${spent.toFixed(2)}\nClick to open the board.`;
  };

  const notifyEnded = (run: RunRecord) => {
    if (run.status !== 'failed') return;
    void vscode.window.showWarningMessage(`Huskies: the agent on story #${run.storyId} failed: ${run.reason ?? 'unknown reason'}`, 'Show Output').then((pick) => {
      if (pick) outputs.show(run.storyId);
    });
  };

  const startOrchestrator = async () => {
    if (!folder || orchestrator) return;
    const setting = vscode.workspace.getConfiguration('huskies').get<string>('agentProgramPath', '').trim();
    const o = new Orchestrator({
      root: folder.uri.fsPath,
      simAgentPath: context.asAbsolutePath(path.join('dist', 'sim-agent.js')),
      logger,
      owner: 'vscode',
      trusted: vscode.workspace.isTrusted,
      programOverride: setting ? { claude: setting } : undefined,
    });
    orchestrator = o;
    o.on('changed', refresh);
    o.on('runEnded', notifyEnded);
    await o.start();
    refresh();
  };

  const requireOrch = (): Orchestrator => {
    if (!orchestrator) throw new Error('Open a folder first: Huskies works on the folder open in this window.');
    return orchestrator;
  };

  const run = (fn: (...args: unknown[]) => unknown) => async (...args: unknown[]) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof FollowerError) void vscode.window.showInformationMessage(err.message);
      else void vscode.window.showErrorMessage(`Huskies: ${(err as Error).message}`);
    }
  };

  const pickStory = async (title: string, filter: (id: number) => boolean): Promise<number | undefined> => {
    const o = requireOrch();
    const items = o.store.all().filter((i) => filter(i.id));
    if (!items.length) {
      void vscode.window.showInformationMessage(`Huskies: no story to choose for "${title}".`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      items.map((i) => ({ label: `#${i.id} ${i.name}`, description: i.stage, id: i.id })),
      { title, placeHolder: 'Choose a story' },
    );
    return pick?.id;
  };

  const commands: Record<string, (...args: unknown[]) => unknown> = {
    [CommandIds.initProject]: async () => {
      if (!folder) throw new Error('Open a folder first.');
      const root = folder.uri.fsPath;
      if (!(await isGitRepo(root))) {
        const pick = await vscode.window.showWarningMessage(`${folder.name} is not a git repository. Huskies keeps each agent in a git worktree.`, { modal: true }, 'Run git init');
        if (pick !== 'Run git init') return;
        await git(root, ['init']);
      }
      const res = await initProject(root, { claudeFound: !!which(vscode.workspace.getConfiguration('huskies').get<string>('agentProgramPath', '') || 'claude') });
      await requireOrch().reloadConfig();
      await requireOrch().rescan();
      void vscode.window.showInformationMessage(res.created.length ? `Huskies: created ${res.created.length} files under .huskies/.` : 'Huskies: the project was already set up.');
    },
    [CommandIds.newStory]: async () => {
      const o = requireOrch();
      const name = await vscode.window.showInputBox({ title: 'New Story (1/2)', prompt: 'Story title', placeHolder: 'e.g. Add a login form', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'A story needs a title.') });
      if (!name) return;
      const crit = await vscode.window.showInputBox({ title: 'New Story (2/2)', prompt: 'Acceptance criteria, separated by ";" (optional: press Enter to skip)', ignoreFocusOut: true });
      if (crit === undefined) return;
      const item = await o.createStory({ name, criteria: crit.split(';').map((c) => c.trim()).filter(Boolean) });
      const open = await vscode.window.showInformationMessage(`Huskies: created story #${item.id} in the backlog.`, 'Open', 'Start Agent');
      if (open === 'Open') await vscode.window.showTextDocument(vscode.Uri.file(item.path));
      if (open === 'Start Agent') await o.startAgent(item.id);
    },
    [CommandIds.openBoard]: () => board.openPanel(),
    [CommandIds.startAgent]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Start Agent', (id) => {
        const it = o.store.get(id)!;
        return (it.stage === 'backlog' || it.stage === 'current') && !o.activeRun(id);
      }));
      if (id === undefined) return;
      await o.startAgent(id);
    },
    [CommandIds.stopAgent]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Stop Agent', (id) => !!o.activeRun(id)));
      if (id === undefined) return;
      o.stopAgent(id);
    },
    [CommandIds.showAgentOutput]: async (arg) => {
      const o = requireOrch();
      const snap = o.snapshot();
      const id = storyIdOf(arg) ?? (await pickStory('Show Agent Output', (id) => snap.latestRun.has(id)));
      if (id === undefined) return;
      outputs.show(id);
    },
    [CommandIds.showLog]: () => log.show(),
  };
  for (const [id, fn] of Object.entries(commands)) context.subscriptions.push(vscode.commands.registerCommand(id, run(fn)));

  const onBoardAction = async (m: WebviewMessage) => {
    const exec = (id: string, arg?: unknown) => vscode.commands.executeCommand(id, arg);
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
      case 'openStory': {
        const it = orchestrator?.store.get(m.storyId);
        if (it) await vscode.window.showTextDocument(vscode.Uri.file(it.path), { preview: true });
        return;
      }
    }
  };

  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => orchestrator?.setTrusted(true)),
    { dispose: () => void orchestrator?.dispose() },
  );

  if (folder) {
    await startOrchestrator().catch((err) => logger.error(`could not start: ${(err as Error).message}`));
    if (!vscode.workspace.isTrusted) logger.warn('The workspace is not trusted: no agent will run until it is.');
  }
}

export async function deactivate(): Promise<void> {
  const o = orchestrator;
  orchestrator = undefined;
  await o?.dispose();
}
