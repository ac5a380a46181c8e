// The audit log: one JSON line per change the pipeline applied, in .huskies/audit.log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stage } from '../model/stage';

export interface AuditEntry {
  ts: string;
  /** The state's sequence number after the change. */
  seq?: number;
  /** The command that made the change, e.g. "item.transition" or "run.ended". */
  cmd?: string;
  id?: number;
  runId?: string;
  from?: Stage | null;
  to?: Stage | null;
  /** Who asked: user, board, cli, orchestrator, agent, watcher (a change made by hand), timer. */
  source: string;
  reason?: string;
}

export interface AuditSink {
  append(e: Omit<AuditEntry, 'ts'>, now?: number): unknown;
}

export class AuditLog implements AuditSink {
  constructor(
    private readonly file: string,
    private readonly mask: (s: string) => string = (s) => s,
  ) {}

  append(e: Omit<AuditEntry, 'ts'>, now = Date.now()): AuditEntry {
    const entry: AuditEntry = { ts: new Date(now).toISOString(), ...e };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, this.mask(JSON.stringify(entry)) + '\n');
    return entry;
  }
}
