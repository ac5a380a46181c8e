// VS Code edges only: builds the orchestrator for the workspace folder and wires the board,
// the output panels, the status bar, the commands, notifications, settings and trust to it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { Huskies as Orchestrator, git, initProject, isGitRepo, redact, which, type HuskiesEvent, type Logger, type RunRecord } from '../core/api';
import { CommandIds } from './commandIds';
import { BoardHub } from './webviews';
import { OutputPanels } from './outputPanels';
import { agentsLook, LookKeeper } from './statusLook';
import { boardActions } from './boardActions';
import { GIT_SCHEME, GitContentProvider } from './gitContent';
import { lookTarget, Notifier } from './notifier';
import { storyCommands, storyIdOf } from './storyCommands';
import { controlCommands } from './controlCommands';
import { ProblemDiagnostics } from './diagnostics';
import { ChartsFeed } from './chartsFeed';
import { WorkProgress } from './progress';

let orchestrator: Orchestrator | undefined;

function rootFolder(): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders[0];
}

function channelLogger(ch: vscode.LogOutputChannel): Logger {
  return { info: (m) => ch.info(redact(m)), warn: (m) => ch.warn(redact(m)), error: (m) => ch.error(redact(m)) };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Huskies', { log: true });
  context.subscriptions.push(log);
  const logger = channelLogger(log);
  const folder = rootFolder();

  const actions = boardActions(
    () => orchestrator,
    (m) => board.tell(m),
  );
  const charts = new ChartsFeed(
    () => orchestrator,
    (m) => board.tell(m),
    (m) => log.warn(m),
  );
  const board: BoardHub = new BoardHub(
    context.extensionUri,
    () => orchestrator,
    (m) => (m.type === 'requestCharts' ? charts.request() : actions(m)),
  );
  const progress = new WorkProgress();
  context.subscriptions.push(progress);
  const outputs = new OutputPanels(context.extensionUri, () => orchestrator);
  const notifier = new Notifier();
  const diagnostics = new ProblemDiagnostics();
  context.subscriptions.push(
    diagnostics,
    board,
    outputs,
    notifier,
    vscode.window.registerWebviewViewProvider('huskies.board', board, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, new GitContentProvider(() => orchestrator)),
  );

  const status = vscode.window.createStatusBarItem('agents', vscode.StatusBarAlignment.Left, 100);
  status.name = 'Huskies agents';
  status.command = CommandIds.openBoard;
  const statusLook = new LookKeeper(lookTarget(status));
  statusLook.apply({ text: '$(circle-outline) Huskies', tooltip: 'Huskies', visible: true });
  context.subscriptions.push(status);

  let initializedContext: boolean | undefined;
  const refresh = () => {
    board.refresh();
    void outputs.refresh();
    const o = orchestrator;
    if (!o) return;
    const snap = o.snapshot();
    diagnostics.refresh(snap);
    notifier.update(snap);
    if (snap.initialized !== initializedContext) {
      initializedContext = snap.initialized;
      // Completes the walkthrough's first step, however the project got initialized.
      void vscode.commands.executeCommand('setContext', 'huskies.initialized', snap.initialized);
    }
    statusLook.apply(agentsLook(snap, Date.now()));
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
      supervisorPath: context.asAbsolutePath(path.join('dist', 'supervisor.js')),
      logger,
      owner: 'vscode',
      // git and the other short-lived programs start from a small helper: a start from the extension
      // host (hundreds of MB) blocks its event loop for 15-30 ms each, 100+ times when 30 agents start.
      launcher: true,
      trusted: vscode.workspace.isTrusted,
      programOverride: setting ? { claude: setting } : undefined,
    });
    orchestrator = o;
    progress.attach(o);
    o.on('changed', refresh);
    o.on('runEnded', notifyEnded);
    o.on('event', (e: HuskiesEvent) => {
      if (e.type === 'help.requested') notifier.help(e.request, () => o.snapshot());
    });
    o.on('agentDrained', (name: string, d: { failures: number; reason: string }) => {
      void vscode.window
        .showWarningMessage(
          `Huskies: agent ${name} failed ${d.failures} times in a row and takes no more work until you acknowledge it. Last: ${d.reason}`,
          'Acknowledge',
          'Show Log',
        )
        .then((pick) => {
          if (pick === 'Acknowledge') void vscode.commands.executeCommand(CommandIds.acknowledgeAgent, name);
          if (pick === 'Show Log') log.show();
        });
    });
    o.on('rateLimited', (r: RunRecord, at: number) => {
      void vscode.window.showWarningMessage(`Huskies: ${r.agent} hit a rate limit on story #${r.storyId}; it resumes the same session at ${new Date(at).toLocaleTimeString()}.`);
    });
    await o.start();
    refresh();
  };

  const requireOrch = (): Orchestrator => {
    if (!orchestrator) throw new Error('Open a folder first: Huskies works on the folder open in this window.');
    return orchestrator;
  };

  const run =
    (fn: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (err) {
        void vscode.window.showErrorMessage(`Huskies: ${redact((err as Error).message)}`);
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
      const name = await vscode.window.showInputBox({
        title: 'New Story (1/2)',
        prompt: 'Story title',
        placeHolder: 'e.g. Add a login form',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'A story needs a title.'),
      });
      if (!name) return;
      const crit = await vscode.window.showInputBox({
        title: 'New Story (2/2)',
        prompt: 'Acceptance criteria, separated by ";" (optional: press Enter to skip)',
        ignoreFocusOut: true,
      });
      if (crit === undefined) return;
      const item = await o.createStory({
        name,
        criteria: crit
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      });
      const open = await vscode.window.showInformationMessage(`Huskies: created story #${item.id} in the backlog.`, 'Open', 'Start Agent');
      if (open === 'Open') await vscode.window.showTextDocument(vscode.Uri.file(item.path));
      if (open === 'Start Agent') await o.startAgent(item.id);
    },
    [CommandIds.openBoard]: () => board.openPanel(),
    [CommandIds.startAgent]: async (arg) => {
      const o = requireOrch();
      const id =
        storyIdOf(arg) ??
        (await pickStory('Start Agent', (id) => {
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
      await o.stopAgent(id);
    },
    [CommandIds.showAgentOutput]: async (arg) => {
      const o = requireOrch();
      const snap = o.snapshot();
      const id = storyIdOf(arg) ?? (await pickStory('Show Agent Output', (id) => snap.latestRun.has(id)));
      if (id === undefined) return;
      outputs.show(id);
    },
    [CommandIds.showLog]: () => log.show(),
    [CommandIds.sendFollowUp]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Send Follow-up', (id) => !!o.registry.latest(id)?.sessionId && !o.activeRun(id)));
      if (id === undefined) return;
      const text = await vscode.window.showInputBox({
        title: `Follow-up for story #${id}`,
        prompt: 'What should the agent do next? It resumes the same session in the same worktree.',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Write the follow-up.'),
      });
      if (!text) return;
      await o.followUp(id, text);
      outputs.show(id);
    },
    [CommandIds.answerQuestion]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory("Answer Agent's Question", (id) => typeof o.store.get(id)?.frontMatter.question === 'string'));
      if (id === undefined) return;
      const q = String(o.store.get(id)?.frontMatter.question ?? '');
      const text = await vscode.window.showInputBox({
        title: `Story #${id}: the agent asks`,
        prompt: q,
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Write an answer.'),
      });
      if (!text) return;
      await o.answer(id, text);
      outputs.show(id);
    },
    [CommandIds.acknowledgeAgent]: async (arg) => {
      const o = requireOrch();
      const drained = Object.keys(o.snapshot().drained);
      const name =
        typeof arg === 'string' && drained.includes(arg)
          ? arg
          : drained.length === 1
            ? drained[0]
            : await vscode.window.showQuickPick(drained, { title: 'Acknowledge Drained Agent', placeHolder: drained.length ? 'Choose an agent' : 'No agent is drained' });
      if (!name) return;
      const was = await o.acknowledgeAgent(name);
      void vscode.window.showInformationMessage(was ? `Huskies: ${name} takes work again.` : `Huskies: ${name} was not drained.`);
    },
    [CommandIds.approveStory]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Approve Story', (id) => o.store.get(id)?.stage === 'qa'));
      if (id !== undefined) await o.approve(id);
    },
    [CommandIds.rejectStory]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Reject Story', (id) => o.store.get(id)?.stage === 'qa'));
      if (id === undefined) return;
      const feedback = await vscode.window.showInputBox({
        title: `Reject story #${id}`,
        prompt: 'What is wrong, and what should the agent change? It resumes its session with this.',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Write the feedback for the agent.'),
      });
      if (!feedback) return;
      await o.reject(id, feedback);
    },
    [CommandIds.unblockStory]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Unblock Story', (id) => !!o.store.get(id)?.blocked));
      if (id !== undefined) await o.unblock(id);
    },
    [CommandIds.demoteStory]: async (arg) => {
      const o = requireOrch();
      const st = (id: number) => o.store.get(id)?.stage;
      const id = storyIdOf(arg) ?? (await pickStory('Demote Story to the Backlog', (id) => st(id) === 'current' || st(id) === 'qa' || st(id) === 'merge'));
      if (id !== undefined) await o.demote(id);
    },
    [CommandIds.abandonStory]: async (arg) => {
      const o = requireOrch();
      const id = storyIdOf(arg) ?? (await pickStory('Abandon Story', (id) => o.store.get(id)?.stage !== 'archived'));
      if (id === undefined) return;
      const reason = await vscode.window.showInputBox({
        title: `Abandon story #${id}`,
        prompt: 'Why? (kept in the archived story)',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Say why.'),
      });
      if (reason) await o.abandon(id, reason);
    },
    [CommandIds.checkAgents]: async () => {
      const results = await requireOrch().runPreflight();
      for (const p of results) (p.ok ? logger.info : logger.warn)(`${p.agent} (${p.runtime}): ${p.message}`);
      const bad = results.filter((p) => !p.ok);
      if (bad.length) void vscode.window.showWarningMessage(`Huskies: ${bad.map((p) => `${p.agent}: ${p.message}`).join(' · ')}`);
      else void vscode.window.showInformationMessage(`Huskies: ${results.map((p) => `${p.agent}: ${p.message}`).join(' · ')}`);
    },
  };
  Object.assign(commands, controlCommands({ requireOrch }));
  Object.assign(commands, storyCommands({ requireOrch, pickStory, showOutput: (id, runId) => outputs.show(id, runId) }));
  for (const [id, fn] of Object.entries(commands)) context.subscriptions.push(vscode.commands.registerCommand(id, run(fn)));

  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => orchestrator?.setTrusted(true)),
    // A window reload or close: supervised agents go on, and the next window re-attaches to them.
    { dispose: () => void orchestrator?.dispose({ stopAgents: false }) },
  );

  // The orchestrator (dist/core.js: its code, then the project scan) starts after activate() has
  // returned, so the window never waits for it; the views show it once it is there.
  const started: Promise<void> = folder
    ? new Promise<void>((res) => setTimeout(res, 0))
        .then(startOrchestrator)
        .then(() => {
          if (!vscode.workspace.isTrusted) logger.warn('The workspace is not trusted: no agent will run until it is.');
        })
        .catch((err) => logger.error(`could not start: ${(err as Error).message}`))
    : Promise.resolve();
  // A restored output panel waits for the orchestrator, so that it has something to catch up from.
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer('huskies.agentOutput', {
      deserializeWebviewPanel: async (panel, state) => {
        await started;
        return outputs.restore(panel, state);
      },
    }),
    // The full board panel comes back at once: it gets its snapshot when the orchestrator has a state to show.
    vscode.window.registerWebviewPanelSerializer('huskies.boardPanel', {
      deserializeWebviewPanel: async (panel) => board.restorePanel(panel),
    }),
  );
}

export async function deactivate(): Promise<void> {
  const o = orchestrator;
  orchestrator = undefined;
  await o?.dispose({ stopAgents: false });
}
