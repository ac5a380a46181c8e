// The webview's copy of the board (no DOM): a snapshot, then deltas applied in sequence order. A gap in
// the sequence, a delta before any snapshot or a delta that does not fit means the copy is no longer
// the host's: the board asks for a fresh snapshot and ignores deltas until it arrives.
import { applyBoardDelta } from '../src/protocol/boardDelta';
import type { BoardState, HostMessage } from '../src/protocol/messages';

export type BoardMessage = Extract<HostMessage, { type: 'boardSnapshot' | 'boardDelta' }>;

export type ReplicaResult =
  /** Render this state. */
  | { kind: 'state'; seq: number; state: BoardState }
  /** Post `resync`: the copy is stale. */
  | { kind: 'resync'; reason: string }
  /** Nothing to do (a delta while a resync is already asked for). */
  | { kind: 'wait' };

export class BoardReplica {
  private state: BoardState | undefined;
  private seq = 0;
  private resyncAsked = false;

  get current(): BoardState | undefined {
    return this.state;
  }

  receive(msg: BoardMessage): ReplicaResult {
    if (msg.type === 'boardSnapshot') {
      this.state = msg.state;
      this.seq = msg.seq;
      this.resyncAsked = false;
      return { kind: 'state', seq: msg.seq, state: msg.state };
    }
    if (this.resyncAsked) return { kind: 'wait' };
    if (this.state === undefined) return this.stale(`delta ${msg.seq} before any snapshot`);
    if (msg.seq !== this.seq + 1) return this.stale(`delta ${msg.seq} after ${this.seq}`);
    try {
      this.state = applyBoardDelta(this.state, msg.delta);
    } catch (e) {
      return this.stale(`delta ${msg.seq} does not fit: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.seq = msg.seq;
    return { kind: 'state', seq: msg.seq, state: this.state };
  }

  private stale(reason: string): ReplicaResult {
    this.state = undefined;
    this.resyncAsked = true;
    return { kind: 'resync', reason };
  }
}
