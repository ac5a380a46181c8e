// The simulated agent as a QA agent or a mergemaster, so the whole pipeline runs with no key and no network.
// QA (`sim_qa:` in the story's front matter): approve (default) | reject | garbage (an invalid verdict) | none (no verdict).
// Mergemaster (`sim_merge:`): resolve (default: keeps both sides of each conflict, then commits) | give_up.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RoleContext {
  cwd: string;
  story: { id: string; name: string; criteria: string[] };
  mode?: string;
  tool(name: string, input: Record<string, unknown>, run: () => string): Promise<void>;
  say(text: string): void;
  git(args: string[]): string;
}

const VERDICT_FILE = '.huskies-verdict.json';

export function runRole(role: 'qa' | 'mergemaster', c: RoleContext): Promise<{ ok: boolean; text: string }> {
  return role === 'qa' ? review(c) : resolve(c);
}

async function review(c: RoleContext): Promise<{ ok: boolean; text: string }> {
  const mode = c.mode ?? 'approve';
  c.say(`Reviewing story ${c.story.id} (${c.story.name}) against ${c.story.criteria.length} acceptance criteria.`);
  await c.tool('Bash', { command: 'git log --oneline -5', description: 'See what the coder committed' }, () => c.git(['log', '--oneline', '-5']));
  if (mode === 'none') return { ok: true, text: 'I looked at the change and have nothing to add.' };
  const approve = mode !== 'reject';
  const verdict =
    mode === 'garbage'
      ? '{"approve": "maybe"'
      : JSON.stringify({
          approve,
          reasons: approve ? [] : [`The change for story ${c.story.id} has no tests (simulated review: sim_qa: reject).`],
          criteria: c.story.criteria.map((_, index) => ({ index, met: approve || index > 0, ...(approve || index > 0 ? {} : { note: 'not covered by a test' }) })),
        });
  const file = path.join(c.cwd, VERDICT_FILE);
  await c.tool('Write', { file_path: file, content: verdict }, () => {
    fs.writeFileSync(file, verdict);
    return `File created successfully at: ${file}`;
  });
  return { ok: true, text: approve ? 'Approved: every criterion is met.' : 'Rejected: see the reasons in the verdict.' };
}

/** Keeps both sides of every conflict hunk (ours, then theirs): good enough for files that only grew on each side. */
export function keepBoth(text: string): string {
  const out: string[] = [];
  let state: 'none' | 'ours' | 'base' | 'theirs' = 'none';
  for (const line of text.split('\n')) {
    if (state === 'none' && line.startsWith('<<<<<<<')) state = 'ours';
    else if (state === 'ours' && line.startsWith('|||||||')) state = 'base';
    else if ((state === 'ours' || state === 'base') && line.startsWith('=======')) state = 'theirs';
    else if (state === 'theirs' && line.startsWith('>>>>>>>')) state = 'none';
    else if (state !== 'base') out.push(line);
  }
  return out.join('\n');
}

async function resolve(c: RoleContext): Promise<{ ok: boolean; text: string }> {
  const conflicts = c.git(['diff', '--name-only', '--diff-filter=U']).split('\n').filter(Boolean);
  c.say(conflicts.length ? `Resolving conflicts in ${conflicts.join(', ')}.` : 'No conflicts here; the checks failed on the combined result.');
  if (c.mode === 'give_up' || !conflicts.length) return { ok: true, text: 'I could not resolve this merge.' };
  for (const f of conflicts) {
    const file = path.join(c.cwd, f);
    await c.tool('Edit', { file_path: file, description: 'keep both sides' }, () => {
      fs.writeFileSync(file, keepBoth(fs.readFileSync(file, 'utf8')));
      c.git(['add', '--', f]);
      return `Resolved ${f}`;
    });
  }
  await c.tool('Bash', { command: 'git commit --no-edit', description: 'Conclude the merge' }, () =>
    c.git(['-c', 'user.name=Huskies Sim', '-c', 'user.email=sim@huskies.invalid', 'commit', '--no-edit', '--no-verify']),
  );
  return { ok: true, text: `Resolved ${conflicts.length} conflicting file${conflicts.length === 1 ? '' : 's'} and committed the merge.` };
}
