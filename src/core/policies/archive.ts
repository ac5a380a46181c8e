// Done stories are archived once the retention period (archive_after_hours, 4 h by default) has
// passed since they were merged — counted from merged_at, else from when the file last changed,
// so a restart in between changes nothing.
import type { HuskiesConfig } from '../config/config';
import type { Command } from '../model/commands';
import type { StateView } from '../state/types';

export function dueForArchive(s: Pick<StateView, 'items'>, config: HuskiesConfig, now: number): Command[] {
  const keepMs = (config.project.archiveAfterHours ?? 4) * 3_600_000;
  const out: Command[] = [];
  for (const it of s.items()) {
    if (it.stage !== 'done' || it.invalid || it.blocked) continue;
    const merged = typeof it.frontMatter.merged_at === 'string' ? Date.parse(it.frontMatter.merged_at) : NaN;
    const since = Number.isFinite(merged) ? merged : it.mtimeMs;
    if (now - since >= keepMs)
      out.push({ type: 'item.transition', id: it.id, kind: 'archive', source: 'timer', reason: `done for more than ${config.project.archiveAfterHours ?? 4} h` });
  }
  return out;
}
