// The user's controls from the palette, the board and notifications: pause, resume and notes for the
// project or one story; scheduled timers and triggers (a short guided flow to add one, a list to cancel).
import * as vscode from 'vscode';
import { STAGES, STAGE_TITLES, describeAction, describePredicate, describeSchedule, type Huskies as Orchestrator, type TimerSpec, type TriggerSpec } from '../core/api';
import { CommandIds } from './commandIds';
import { storyIdOf } from './storyCommands';

type ScheduleAction = TimerSpec['action'];

export interface ControlCommandDeps {
  requireOrch(): Orchestrator;
}

/** The project (a command argument "project", or the first pick), or a story. */
type Target = { project: true } | { id: number };

const PROJECT = 'project';

async function pickTarget(o: Orchestrator, title: string, arg: unknown, stories: (id: number) => boolean, project = true): Promise<Target | undefined> {
  if (arg === PROJECT) return { project: true };
  const id = storyIdOf(arg);
  if (id !== undefined) return { id };
  const items = o.store.all().filter((i) => stories(i.id));
  const picks: (vscode.QuickPickItem & { target: Target })[] = [
    ...(project ? [{ label: '$(project) The whole project', description: 'every story', target: { project: true } as Target }] : []),
    ...items.map((i) => ({ label: `#${i.id} ${i.name}`, description: i.stage, target: { id: i.id } as Target })),
  ];
  if (!picks.length) {
    void vscode.window.showInformationMessage(`Huskies: nothing to choose for "${title}".`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(picks, { title, placeHolder: 'The project, or one story' });
  return pick?.target;
}

const idOf = (t: Target) => ('id' in t ? t.id : undefined);
const what = (t: Target) => ('id' in t ? `story #${t.id}` : 'the project');

/** Asks for a timer's or trigger's action: a prompt (a new story for an agent) or an orchestrator tool call. */
async function askAction(title: string): Promise<ScheduleAction | undefined> {
  const kind = await vscode.window.showQuickPick(
    [
      { label: 'Prompt', description: 'a new story with this prompt, started by an agent', pick: 'prompt' as const },
      { label: 'Tool call', description: 'an orchestrator tool with JSON arguments', pick: 'tool' as const },
    ],
    { title: `${title}: action` },
  );
  if (!kind) return undefined;
  if (kind.pick === 'prompt') {
    const prompt = await vscode.window.showInputBox({
      title: `${title}: prompt`,
      prompt: 'What the agent should do',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Write a prompt.'),
    });
    return prompt ? { prompt } : undefined;
  }
  const tool = await vscode.window.showInputBox({
    title: `${title}: tool`,
    prompt: 'The tool name, e.g. create_story',
    ignoreFocusOut: true,
    validateInput: (v) => (/^[a-z_]+$/.test(v.trim()) ? undefined : 'A tool name such as create_story.'),
  });
  if (!tool) return undefined;
  const args = await vscode.window.showInputBox({
    title: `${title}: arguments`,
    prompt: 'JSON object of the arguments',
    value: '{}',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        const a = JSON.parse(v) as unknown;
        return a && typeof a === 'object' && !Array.isArray(a) ? undefined : 'A JSON object, e.g. {"name": "Nightly check"}.';
      } catch (err) {
        return `Not JSON: ${(err as Error).message}`;
      }
    },
  });
  return args === undefined ? undefined : { tool: tool.trim(), args: JSON.parse(args) as Record<string, unknown> };
}

async function askSchedule(): Promise<Pick<TimerSpec, 'at' | 'every' | 'cron'> | undefined> {
  const kind = await vscode.window.showQuickPick(
    [
      { label: 'Once', description: 'at a time: HH:MM or an ISO date and time', pick: 'at' as const },
      { label: 'Every N minutes', description: 'recurring, at least every minute', pick: 'every' as const },
      { label: 'Cron', description: 'a cron expression, e.g. 0 9 * * 1-5', pick: 'cron' as const },
    ],
    { title: 'Add Timer: when' },
  );
  if (!kind) return undefined;
  if (kind.pick === 'every') {
    const n = await vscode.window.showInputBox({
      title: 'Add Timer: every N minutes',
      prompt: 'Minutes between firings',
      value: '60',
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 ? undefined : 'A whole number of minutes, at least 1.'),
    });
    return n ? { every: `${Number(n)}m` } : undefined;
  }
  const v = await vscode.window.showInputBox({
    title: kind.pick === 'at' ? 'Add Timer: at' : 'Add Timer: cron',
    prompt: kind.pick === 'at' ? 'HH:MM (the next such time, in the project’s time zone) or an ISO date and time' : 'Cron expression (5 fields, or 6 with seconds)',
    ignoreFocusOut: true,
    validateInput: (x) => (x.trim() ? undefined : 'Required.'),
  });
  if (!v) return undefined;
  return kind.pick === 'at' ? { at: v.trim() } : { cron: v.trim() };
}

export function controlCommands(d: ControlCommandDeps): Record<string, (...args: unknown[]) => unknown> {
  return {
    [CommandIds.openStory]: async (arg) => {
      const it = d.requireOrch().store.get(storyIdOf(arg) ?? -1);
      if (it) await vscode.window.showTextDocument(vscode.Uri.file(it.path), { preview: true });
    },
    [CommandIds.pauseWork]: async (arg) => {
      const o = d.requireOrch();
      const open = (id: number) => ['backlog', 'current', 'qa', 'merge'].includes(o.store.get(id)?.stage ?? '') && o.store.get(id)?.frontMatter.paused !== true;
      const t = await pickTarget(o, 'Pause', arg, open, !o.snapshot().projectPaused);
      if (!t) return;
      const reason = await vscode.window.showInputBox({ title: `Pause ${what(t)}`, prompt: 'Why? (optional; shown on the board and in huskies status)', ignoreFocusOut: true });
      if (reason === undefined) return;
      await o.pause(idOf(t), reason.trim() || undefined);
      void vscode.window.showInformationMessage(`Huskies: ${what(t)} is paused: no new agent starts${'id' in t ? ' on it' : ''}; running agents finish.`);
    },
    [CommandIds.resumeWork]: async (arg) => {
      const o = d.requireOrch();
      const t = await pickTarget(o, 'Resume', arg, (id) => o.store.get(id)?.frontMatter.paused === true, !!o.snapshot().projectPaused);
      if (!t) return;
      await o.resume(idOf(t));
      void vscode.window.showInformationMessage(`Huskies: ${what(t)} is resumed.`);
    },
    [CommandIds.addNote]: async (arg) => {
      const o = d.requireOrch();
      const t = await pickTarget(o, 'Add Note', arg, (id) => o.store.get(id)?.stage !== 'archived');
      if (!t) return;
      const text = await vscode.window.showInputBox({
        title: `Note for ${what(t)}`,
        prompt: 'Kept in the audit log and shown on the board',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Write the note.'),
      });
      if (text) await o.note(text, idOf(t));
    },
    [CommandIds.addTimer]: async () => {
      const o = d.requireOrch();
      const when = await askSchedule();
      if (!when) return;
      const action = await askAction('Add Timer');
      if (!action) return;
      const name = await vscode.window.showInputBox({ title: 'Add Timer: name', prompt: 'A name to recognize it by (optional)', ignoreFocusOut: true });
      if (name === undefined) return;
      const t = await o.addTimer({ ...when, action, ...(name.trim() ? { name: name.trim() } : {}) });
      const next = t.nextAt ? `, next at ${new Date(t.nextAt).toLocaleString()}` : '';
      void vscode.window.showInformationMessage(`Huskies: timer ${t.name ?? t.id} added: ${describeSchedule(t.schedule, t.timezone)}${next}.`);
    },
    [CommandIds.showTimers]: async () => {
      const o = d.requireOrch();
      const timers = o.timers();
      if (!timers.length) return void vscode.window.showInformationMessage('Huskies: no timers. Add one with "Huskies: Add Timer".');
      const pick = await vscode.window.showQuickPick(
        timers.map((t) => ({
          label: t.name ?? t.id,
          description: `${describeSchedule(t.schedule, t.timezone)} · ${describeAction(t.action)}`,
          detail: `${t.nextAt ? `next ${new Date(t.nextAt).toLocaleString()}` : 'done'} · fired ${t.fired}×${t.lastError ? ` · last error: ${t.lastError}` : ''}`,
          id: t.id,
        })),
        { title: 'Timers: choose one to cancel' },
      );
      if (!pick) return;
      const ok = await vscode.window.showWarningMessage(`Cancel timer ${pick.label}?`, { modal: true }, 'Cancel Timer');
      if (ok) await o.cancelTimer(pick.id);
    },
    [CommandIds.addTrigger]: async () => {
      const o = d.requireOrch();
      const to = await vscode.window.showQuickPick(
        STAGES.map((s) => ({ label: STAGE_TITLES[s], stage: s })),
        { title: 'Add Trigger: when a story moves to' },
      );
      if (!to) return;
      const story = await vscode.window.showInputBox({
        title: 'Add Trigger: which story',
        prompt: 'A story number, or empty for any story',
        ignoreFocusOut: true,
        validateInput: (v) => (!v.trim() || /^\d+$/.test(v.trim()) ? undefined : 'A story number, or nothing.'),
      });
      if (story === undefined) return;
      const action = await askAction('Add Trigger');
      if (!action) return;
      const mode = await vscode.window.showQuickPick(
        [
          { label: 'Every time', mode: 'persistent' as const },
          { label: 'Once', mode: 'once' as const },
        ],
        { title: 'Add Trigger: how often' },
      );
      if (!mode) return;
      const spec: TriggerSpec = { when: { to: to.stage, ...(story.trim() ? { story: Number(story) } : {}) }, action, mode: mode.mode };
      const t = await o.addTrigger(spec);
      void vscode.window.showInformationMessage(`Huskies: trigger ${t.id} added: when ${describePredicate(t)}, ${describeAction(t.action)}.`);
    },
    [CommandIds.showTriggers]: async () => {
      const o = d.requireOrch();
      const triggers = o.triggers();
      if (!triggers.length) return void vscode.window.showInformationMessage('Huskies: no triggers. Add one with "Huskies: Add Trigger".');
      const pick = await vscode.window.showQuickPick(
        triggers.map((t) => ({
          label: t.name ?? t.id,
          description: `when ${describePredicate(t)} · ${describeAction(t.action)}`,
          detail: `${t.mode} · fired ${t.fired}×${t.disabled ? ` · stopped: ${t.disabled}` : ''}${t.lastError ? ` · last error: ${t.lastError}` : ''}`,
          id: t.id,
        })),
        { title: 'Triggers: choose one to cancel' },
      );
      if (!pick) return;
      const ok = await vscode.window.showWarningMessage(`Cancel trigger ${pick.label}?`, { modal: true }, 'Cancel Trigger');
      if (ok) await o.cancelTrigger(pick.id);
    },
  };
}
