// Every agent run the orchestrator knows of, persisted to .huskies/runs.json (atomically, debounced)
// so that start-up can reconcile runs that were running when the host stopped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentRun } from '../model/agentRun';
import { isActive } from '../model/agentRun';
import { writeFileAtomic } from '../util/fsAtomic';

const KEEP_ENDED = 500;

export interface RunRecord extends AgentRun {
  /** 1 for a fresh start; one more for each automatic retry. */
  attempt: number;
  /** The failure reasons of the earlier attempts, carried into a retry's prompt. */
  history?: string[];
  /** Set once the orchestrator has acted on this run's ending (blocked the story, scheduled a resume…). */
  handled?: string;
  /** The stage the story was in when the run started. */
  stage: string;
  baseCommit?: string;
  retryAt?: number;
  prompt?: string;
  /** The model answered at least once: only then is there a conversation worth resuming. */
  modelReplied?: boolean;
}

export class RunRegistry {
  private runs = new Map<string, RunRecord>();
  private saveTimer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  load(): void {
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { runs?: RunRecord[] };
      for (const r of data.runs ?? []) if (r && typeof r.runId === 'string') this.runs.set(r.runId, r);
    } catch {
      /* missing or unreadable: start empty (the transcripts are still on disk) */
    }
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  forStory(storyId: number): RunRecord[] {
    return this.all()
      .filter((r) => r.storyId === storyId)
      .sort((a, b) => a.queuedAt - b.queuedAt);
  }

  latest(storyId: number): RunRecord | undefined {
    const l = this.forStory(storyId);
    return l[l.length - 1];
  }

  active(): RunRecord[] {
    return this.all().filter(isActive);
  }

  upsert(run: RunRecord): void {
    this.runs.set(run.runId, run);
    this.scheduleSave();
  }

  scheduleSave(delayMs = 200): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow();
    }, delayMs);
  }

  async saveNow(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    const ended = this.all()
      .filter((r) => !isActive(r))
      .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
    for (const r of ended.slice(KEEP_ENDED)) this.runs.delete(r.runId);
    const body = JSON.stringify({ version: 1, runs: this.all() }, null, 1);
    this.saving = this.saving.then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, body);
    }).catch(() => undefined);
    await this.saving;
  }
}
