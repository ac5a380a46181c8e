// What the status bar items show, and a keeper that touches an item only when that changes. Every
// assignment to a VS Code status bar item (even of the same text) and every hide() is a message
// to the window; the orchestrator's state changes up to 20 times a second while agents run, and a
// window busy with 30 starting agents answers clicks later for each message it has to read.
// No vscode import: unit-tested.
import type { Snapshot } from '../core/api';
import { statusText } from './boardModel';
import { mergeStatus, mergeStatusText } from './attention';

export interface StatusLook {
  text: string;
  tooltip: string;
  /** A theme colour id for the background (e.g. statusBarItem.warningBackground), or none. */
  background?: string;
  visible: boolean;
}

/** The agents item: running, queued, paused; the runs, rate limits and today's spending in the tooltip. */
export function agentsLook(
  snap: Pick<Snapshot, 'running' | 'queued' | 'initialized' | 'projectPaused' | 'runs' | 'rateLimits' | 'drained' | 'maxCoders' | 'spentToday' | 'paused'>,
  now: number,
): StatusLook {
  const today = new Date(now).toISOString().slice(0, 10);
  const spent = snap.runs.filter((r) => r.endedAt && new Date(r.endedAt).toISOString().startsWith(today)).reduce((s, r) => s + (r.costUsd ?? 0), 0);
  const running = snap.runs.filter((r) => r.status === 'running').map((r) => `#${r.storyId} ${r.agent}`);
  const limited = Object.entries(snap.rateLimits)
    .filter(([, r]) => r.until > now)
    .map(([k, r]) => `${k} rate-limited until ${new Date(r.until).toLocaleTimeString()}`);
  const drained = Object.keys(snap.drained).map((n) => `${n} drained`);
  const notes = [...limited, ...drained];
  const tooltip = [
    `Huskies — ${snap.running} running, ${snap.queued} queued (max ${snap.maxCoders})`,
    ...running,
    ...notes,
    `Today: $${Math.max(spent, snap.spentToday).toFixed(2)}`,
    ...(snap.paused ? [snap.paused] : []),
    ...(snap.projectPaused ? [`Paused: ${snap.projectPaused.reason}`] : []),
    'Click to open the board.',
  ].join('\n');
  return { text: statusText(snap), tooltip, background: notes.length ? 'statusBarItem.warningBackground' : undefined, visible: true };
}

/** The merges item: shown while stories merge or their merge failed, hidden otherwise. */
export function mergeLook(snap: Pick<Snapshot, 'items'>): StatusLook {
  const m = mergeStatus(snap);
  const text = mergeStatusText(m);
  if (!text) return { text: '', tooltip: '', visible: false };
  const tooltip = [
    m.merging.length ? `Being merged into the base branch: ${m.merging.map((n) => `#${n}`).join(', ')}` : '',
    m.failed.length ? `Merge failed (fix up or demote): ${m.failed.map((n) => `#${n}`).join(', ')}` : '',
    'Click to open the board.',
  ]
    .filter(Boolean)
    .join('\n');
  return { text, tooltip, background: m.failed.length ? 'statusBarItem.errorBackground' : undefined, visible: true };
}

/** The parts of a status bar item the keeper sets. */
export interface LookTarget {
  setText(text: string): void;
  setTooltip(tooltip: string): void;
  show(): void;
  hide(): void;
  /** Sets the background from a theme colour id, or clears it. */
  setBackground(id: string | undefined): void;
}

/** Applies a look to one item, touching only what differs from the last look applied. */
export class LookKeeper {
  private last?: StatusLook;

  constructor(private readonly item: LookTarget) {}

  /** Returns whether anything was sent to the item. */
  apply(look: StatusLook): boolean {
    const last = this.last;
    if (last && last.visible === look.visible && (!look.visible || (last.text === look.text && last.tooltip === look.tooltip && last.background === look.background))) return false;
    if (!look.visible) {
      this.item.hide();
      // The item keeps what it showed: showing it again with the same look only shows it.
      this.last = { ...(last ?? look), visible: false };
      return true;
    }
    if (last?.text !== look.text) this.item.setText(look.text);
    if (last?.tooltip !== look.tooltip) this.item.setTooltip(look.tooltip);
    if (!last || last.background !== look.background) this.item.setBackground(look.background);
    if (!last?.visible) this.item.show();
    this.last = look;
    return true;
  }
}
