// Pending timers (rate-limit resumes, scheduled work) persisted in .huskies/timers.json,
// so a restart neither loses nor doubles them. The orchestrator's 1 s tick fires what is due.
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/fsAtomic';

export interface Timer {
  id: string;
  kind: 'resume';
  storyId: number;
  /** Epoch ms. */
  at: number;
  /** The run to resume (same worktree, same session). */
  runId?: string;
  sessionId?: string;
  agent?: string;
  reason: string;
}

export class TimerStore {
  private timers: Timer[] = [];

  constructor(readonly file: string) {}

  load(): void {
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { timers?: Timer[] };
      this.timers = (data.timers ?? []).filter((t) => t && typeof t.at === 'number' && typeof t.storyId === 'number');
    } catch {
      this.timers = [];
    }
  }

  list(): Timer[] {
    return [...this.timers].sort((a, b) => a.at - b.at);
  }

  forStory(storyId: number): Timer | undefined {
    return this.timers.find((t) => t.storyId === storyId);
  }

  /** Adds a timer, replacing any earlier one for the same story and kind. */
  async add(t: Timer): Promise<void> {
    this.timers = this.timers.filter((x) => !(x.storyId === t.storyId && x.kind === t.kind));
    this.timers.push(t);
    await this.save();
  }

  async remove(id: string): Promise<void> {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t.id !== id);
    if (this.timers.length !== before) await this.save();
  }

  async removeForStory(storyId: number): Promise<void> {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t.storyId !== storyId);
    if (this.timers.length !== before) await this.save();
  }

  /** Removes and returns the timers due at `now`. */
  async takeDue(now: number): Promise<Timer[]> {
    const due = this.timers.filter((t) => t.at <= now);
    if (!due.length) return [];
    this.timers = this.timers.filter((t) => t.at > now);
    await this.save();
    return due;
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify({ version: 1, timers: this.timers }, null, 1) + '\n');
  }
}
