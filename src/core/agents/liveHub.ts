// Live fan-out of transcript records to subscribers (the output panel, the CLI): small ordered
// batches, bounded per subscriber. A batch goes out on the next turn when the last went out at
// least `flushMs` ago (a quiet run's record waits for no timer), else `flushMs` after its first
// record. A subscriber that falls too far behind gets a resync marker instead of an ever-growing
// buffer, and catches up from the transcript on disk. Large tool results are cut here; the
// transcript keeps them whole.
import type { AgentMessage, TranscriptRecord } from '../model/agentMessage';
import { systemClock, type Clock, type TimerHandle } from '../ports/clock';

export interface LiveBatch {
  runId: string;
  records: TranscriptRecord[];
  /** Records were dropped before this batch: re-read from the transcript after `resyncAfterSeq`. */
  resyncAfterSeq?: number;
}

export type LiveListener = (batch: LiveBatch) => void;

interface Sub {
  runId: string | '*';
  listener: LiveListener;
  pending: Map<string, { records: TranscriptRecord[]; bytes: number; dropped?: number }>;
}

export const LIVE_TOOL_RESULT_MAX = 8 * 1024;
const MAX_PENDING_RECORDS = 2_000;
const MAX_PENDING_BYTES = 2 * 1024 * 1024;

export function cutForLive(msg: AgentMessage, max = LIVE_TOOL_RESULT_MAX): AgentMessage {
  if (msg.kind === 'tool_result' && msg.content.length > max) {
    return { ...msg, content: msg.content.slice(0, max), truncated: true };
  }
  if (msg.kind === 'text' && msg.text.length > max * 8) return { ...msg, text: msg.text.slice(0, max * 8) + '\n… (cut in the live view; the transcript has it all)' };
  return msg;
}

function sizeOf(r: TranscriptRecord): number {
  const m = r.msg;
  if (m.kind === 'text' || m.kind === 'thinking') return m.text.length + 64;
  if (m.kind === 'tool_result') return m.content.length + 64;
  return 256;
}

export class LiveHub {
  private subs = new Set<Sub>();
  private timer?: TimerHandle;
  private lastFlush = -Infinity;

  constructor(
    private readonly flushMs = 100,
    private readonly clock: Pick<Clock, 'now' | 'setTimeout'> = systemClock,
  ) {}

  subscribe(runId: string | '*', listener: LiveListener): { dispose(): void } {
    const sub: Sub = { runId, listener, pending: new Map() };
    this.subs.add(sub);
    return { dispose: () => this.subs.delete(sub) };
  }

  /** Someone follows this run live (a panel on it, or a follower of every run). */
  wants(runId: string): boolean {
    for (const sub of this.subs) if (sub.runId === '*' || sub.runId === runId) return true;
    return false;
  }

  publish(runId: string, records: TranscriptRecord[]): void {
    if (records.length === 0 || this.subs.size === 0) return;
    // A record is copied only when its message is cut (records are not changed after they are written).
    const cut = records.map((r) => {
      const msg = cutForLive(r.msg);
      return msg === r.msg ? r : { ...r, msg };
    });
    for (const sub of this.subs) {
      if (sub.runId !== '*' && sub.runId !== runId) continue;
      let p = sub.pending.get(runId);
      if (!p) sub.pending.set(runId, (p = { records: [], bytes: 0 }));
      for (const r of cut) {
        p.records.push(r);
        p.bytes += sizeOf(r);
      }
      if (p.records.length > MAX_PENDING_RECORDS || p.bytes > MAX_PENDING_BYTES) {
        // Too much for this subscriber before the next flush: drop it and let it read the disk.
        p.dropped = Math.min(p.dropped ?? Infinity, p.records[0].seq - 1);
        p.records = [];
        p.bytes = 0;
      }
    }
    // After a quiet spell, on the next turn (publishes made in the same turn still go out together);
    // in a stream, after flushMs as before, so a fast stream is not flushed any more often.
    if (!this.timer) this.timer = this.clock.setTimeout(() => this.flush(), this.clock.now() - this.lastFlush >= this.flushMs ? 0 : this.flushMs);
  }

  flush(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.lastFlush = this.clock.now();
    for (const sub of this.subs) {
      for (const [runId, p] of sub.pending) {
        sub.pending.delete(runId);
        if (p.records.length === 0 && p.dropped === undefined) continue;
        try {
          sub.listener({ runId, records: p.records, ...(p.dropped !== undefined ? { resyncAfterSeq: p.dropped } : {}) });
        } catch {
          /* a failing subscriber must not stop the others */
        }
      }
    }
  }

  dispose(): void {
    this.timer?.dispose();
    this.subs.clear();
  }
}
