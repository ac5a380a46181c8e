// The audit log: one JSON line per stage transition in .huskies/audit.log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stage } from '../model/stage';

export interface AuditEntry {
  ts: string;
  id: number;
  from: Stage | null;
  to: Stage | null;
  /** Who moved it: the orchestrator (with the transition kind), or "external" for a move made by hand. */
  source: string;
  reason?: string;
}

export class AuditLog {
  constructor(private readonly file: string) {}

  append(e: Omit<AuditEntry, 'ts'>, now = Date.now()): AuditEntry {
    const entry: AuditEntry = { ts: new Date(now).toISOString(), ...e };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, JSON.stringify(entry) + '\n');
    return entry;
  }
}
