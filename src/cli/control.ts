// `huskies pause [N] ["why"]`, `huskies resume [N]`, `huskies note [N] "text"`: the project (no
// number) or one story. Sent to the process that drives the project when one does.
import type { Huskies } from '../core/api';
import { out } from './session';
import { UsageError, isStoryNumber } from './usage';

export type Once = <T>(fn: (o: Huskies) => Promise<T>, opts?: { readOnly?: boolean }) => Promise<T>;

export const CONTROL_USAGE = `  pause [n] ["why"]          pause the project (or story n): no new agent starts; running ones finish
  resume [n]                 resume the project (or story n)
  note [n] "text"            add a note to the project (or story n): kept in the state and the audit log`;

export async function controlCommand(cmd: 'pause' | 'resume' | 'note', rest: string[], once: Once): Promise<number> {
  const id = isStoryNumber(rest[0]) ? Number(rest[0]) : undefined;
  const text = (id === undefined ? rest : rest.slice(1)).join(' ').trim();
  const what = id === undefined ? 'The project' : `Story ${id}`;
  const sent = (o: Huskies) => (o.follower ? ` (sent to the orchestrator that drives the project, pid ${o.follower.pid})` : '');
  switch (cmd) {
    case 'pause':
      return once(async (o) => {
        await o.pause(id, text || undefined, 'cli');
        out(`${what} is paused${text ? `: ${text}` : ''}; running agents finish, no new one starts until \`huskies resume${id === undefined ? '' : ` ${id}`}\`${sent(o)}.`);
        return 0;
      });
    case 'resume':
      if (text) throw new UsageError(`resume takes at most a story number, not "${text}"`);
      return once(async (o) => {
        await o.resume(id, 'cli');
        out(`${what} is resumed${sent(o)}.`);
        return 0;
      });
    case 'note':
      if (!text) throw new UsageError('note needs the text, e.g. huskies note "deploy freeze until Monday" or huskies note 12 "waits for the API key"');
      return once(async (o) => {
        await o.note(text, id, 'cli');
        out(`Noted on ${id === undefined ? 'the project' : `story ${id}`}${sent(o)}.`);
        return 0;
      });
  }
}
