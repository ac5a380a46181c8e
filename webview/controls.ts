// The board's parts above the stages that are about the user steering the project: "Needs you" (stuck
// work with the buttons that resolve it), the project bar (pause, resume, notes) and the scheduled
// timers and triggers with a cancel button each. Each part re-renders only when its content changed.
import type { BoardState, HelpView, ProjectView, TimerView, TriggerView, WebviewMessage } from '../src/protocol/messages';
import { el, formatClock, setHidden, setText } from './dom';
import { makeButton } from './elements';

export class ControlsPanel {
  readonly help: HTMLElement;
  readonly project: HTMLElement;
  readonly schedule: HTMLElement;
  private readonly helpList: HTMLElement;
  private readonly pausedText: HTMLElement;
  private readonly pauseButton: HTMLElement;
  private readonly resumeButton: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly timerList: HTMLElement;
  private readonly triggerList: HTMLElement;
  private keys = { help: '', project: '', timers: '', triggers: '' };

  constructor(private readonly post: (m: WebviewMessage) => void) {
    this.help = el('section', 'banner banner-warning needs-you');
    this.help.id = 'needs-you';
    this.help.setAttribute('role', 'alert');
    this.help.append(el('div', 'needs-you-title', 'Needs you'));
    this.helpList = el('ul', 'help-list');
    this.help.append(this.helpList);
    this.help.hidden = true;

    this.project = el('section', 'project-bar');
    this.project.id = 'project-bar';
    const row = el('div', 'project-row');
    this.pausedText = el('span', 'project-paused');
    this.pausedText.id = 'project-paused';
    this.pauseButton = makeButton('Pause', {
      id: 'project-pause',
      action: 'projectPause',
      appearance: 'secondary',
      title: 'Pause the project: no new agent starts; running agents finish',
    });
    this.resumeButton = makeButton('Resume', { id: 'project-resume', action: 'projectResume', title: 'Resume the project' });
    const note = makeButton('Add Note', { id: 'project-note', action: 'projectNote', appearance: 'secondary', title: 'A note for the project, kept in the audit log' });
    row.append(this.pausedText, this.pauseButton, this.resumeButton, note);
    this.notes = el('ul', 'project-notes');
    this.notes.id = 'project-notes';
    this.project.append(row, this.notes);
    this.project.hidden = true;

    this.schedule = el('section', 'schedule');
    this.schedule.id = 'schedule';
    const head = el('div', 'schedule-row');
    head.append(
      el('span', 'schedule-title', 'Timers & triggers'),
      makeButton('Add Timer', { id: 'add-timer', action: 'addTimer', appearance: 'secondary' }),
      makeButton('Add Trigger', { id: 'add-trigger', action: 'addTrigger', appearance: 'secondary' }),
    );
    this.timerList = el('ul', 'schedule-list');
    this.timerList.id = 'timer-list';
    this.triggerList = el('ul', 'schedule-list');
    this.triggerList.id = 'trigger-list';
    this.schedule.append(head, this.timerList, this.triggerList);
    this.schedule.hidden = true;

    for (const part of [this.help, this.project, this.schedule]) part.addEventListener('click', (e) => this.onClick(e));
  }

  render(state: BoardState): void {
    const on = state.initialized;
    this.renderHelp(on ? (state.help ?? []) : []);
    setHidden(this.project, !on);
    setHidden(this.schedule, !on);
    if (!on) return;
    this.renderProject(state.project ?? { notes: [] });
    this.renderTimers(state.timers ?? []);
    this.renderTriggers(state.triggers ?? []);
  }

  private changed(part: keyof ControlsPanel['keys'], value: unknown): boolean {
    const k = JSON.stringify(value);
    if (this.keys[part] === k) return false;
    this.keys[part] = k;
    return true;
  }

  private renderHelp(help: HelpView[]): void {
    setHidden(this.help, help.length === 0);
    if (!this.changed('help', help)) return;
    this.helpList.replaceChildren(
      ...help.map((h) => {
        const li = el('li', 'help');
        li.dataset.key = h.key;
        const actions = el('span', 'help-actions');
        h.actions.forEach((label, i) => {
          const b = makeButton(label, { action: 'help', appearance: i === 0 ? 'primary' : 'secondary' });
          b.dataset.index = String(i);
          actions.append(b);
        });
        li.append(el('span', 'help-reason', h.reason), actions);
        return li;
      }),
    );
  }

  private renderProject(p: ProjectView): void {
    if (!this.changed('project', p)) return;
    setText(this.pausedText, p.paused ? `Paused: ${p.paused.reason}` : 'Running');
    this.project.classList.toggle('paused', !!p.paused);
    setHidden(this.pauseButton, !!p.paused);
    setHidden(this.resumeButton, !p.paused);
    const now = Date.now();
    this.notes.replaceChildren(...[...p.notes].reverse().map((n) => el('li', 'project-note', `${formatClock(n.at, now)} ${n.text}`)));
  }

  private renderTimers(timers: TimerView[]): void {
    if (!this.changed('timers', timers)) return;
    const now = Date.now();
    this.timerList.replaceChildren(
      ...timers.map((t) =>
        row('timer', t.id, `${t.name ? `${t.name}: ` : ''}${t.schedule} · ${t.action}`, [
          t.nextAt ? `next ${formatClock(t.nextAt, now)}` : 'done',
          `fired ${t.fired}×`,
          t.lastError ? `last error: ${t.lastError}` : '',
        ]),
      ),
    );
  }

  private renderTriggers(triggers: TriggerView[]): void {
    if (!this.changed('triggers', triggers)) return;
    this.triggerList.replaceChildren(
      ...triggers.map((t) =>
        row('trigger', t.id, `${t.name ? `${t.name}: ` : ''}when ${t.when} · ${t.action}`, [
          t.mode,
          `fired ${t.fired}×`,
          t.disabled ? `stopped: ${t.disabled}` : '',
          t.lastError ? `last error: ${t.lastError}` : '',
        ]),
      ),
    );
  }

  private onClick(e: MouseEvent): void {
    const b = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
    const a = b?.dataset.action;
    if (!b || !a) return;
    if (a === 'help') {
      const key = b.closest<HTMLElement>('.help')?.dataset.key;
      if (key) this.post({ type: 'helpAction', key, index: Number(b.dataset.index) });
    } else if (a === 'projectPause' || a === 'projectResume' || a === 'projectNote')
      this.post({ type: 'projectControl', action: a === 'projectPause' ? 'pause' : a === 'projectResume' ? 'resume' : 'note' });
    else if (a === 'addTimer' || a === 'addTrigger') this.post({ type: 'addSchedule', kind: a === 'addTimer' ? 'timer' : 'trigger' });
    else if (a === 'cancelSchedule') {
      const li = b.closest<HTMLElement>('.schedule-item');
      const kind = li?.dataset.kind;
      if (li?.dataset.id && (kind === 'timer' || kind === 'trigger')) this.post({ type: 'cancelSchedule', kind, id: li.dataset.id });
    }
  }
}

function row(kind: 'timer' | 'trigger', id: string, text: string, facts: string[]): HTMLElement {
  const li = el('li', `schedule-item ${kind}`);
  li.dataset.kind = kind;
  li.dataset.id = id;
  const info = el('div', 'schedule-info');
  info.append(el('div', 'schedule-text', text), el('div', 'schedule-facts', facts.filter(Boolean).join(' · ')));
  if (facts.some((f) => f.startsWith('last error'))) li.classList.add('has-error');
  li.append(info, makeButton('Cancel', { action: 'cancelSchedule', appearance: 'secondary', title: `Cancel this ${kind}` }));
  return li;
}
