// What a finished run left behind, read once when its program exits: the commits on the story
// branch, uncommitted changes, a question the agent asked through a file, a QA agent's verdict, or
// whether a mergemaster resolved the merge.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunFacts } from '../model/commands';
import { roleOf, type RunRecord } from '../model/run';
import { describeVerdict, readVerdict } from '../gates/verdict';
import { mergeResolution } from '../git/mergemasterWorkspace';
import { commitsAhead, isDirty } from '../git/git';
import { QUESTION_FILE } from './prompt';

export async function gatherFacts(
  run: Pick<RunRecord, 'worktree' | 'baseCommit' | 'runId' | 'role'>,
  logsDir: string,
  opts: { criteriaCount?: number; criteria?: readonly { text: string }[] } = {},
): Promise<RunFacts> {
  if (!run.worktree) return {};
  const asked = await takeQuestion(run.worktree, path.join(logsDir, `${run.runId}.question.json`));
  if (asked) return { question: asked.question, ...(asked.options ? { questionOptions: asked.options } : {}) };
  const role = roleOf(run);
  if (role === 'qa') {
    const read = await readVerdict(run.worktree, { keep: path.join(logsDir, `${run.runId}.verdict.json`), criteriaCount: opts.criteriaCount });
    return { verdict: read.ok ? { ok: true, approve: read.verdict.approve, summary: describeVerdict(read.verdict, opts.criteria) } : read };
  }
  if (role === 'mergemaster') return { merge: await mergeResolution(run.worktree, run.baseCommit) };
  const ahead = run.baseCommit ? await commitsAhead(run.worktree, run.baseCommit).catch(() => 0) : 0;
  const dirty = await isDirty(run.worktree).catch(() => false);
  return { commitsAhead: ahead, dirty };
}

/** Reads and removes the question file an agent left in its worktree (a copy is kept with the run's logs). */
async function takeQuestion(worktree: string, keep: string): Promise<{ question: string; options?: string[] } | undefined> {
  const file = path.join(worktree, QUESTION_FILE);
  let text: string;
  try {
    const st = await fs.promises.lstat(file);
    if (!st.isFile() || st.size > 64 * 1024) {
      await fs.promises.rm(file, { force: true });
      return undefined;
    }
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  await fs.promises.mkdir(path.dirname(keep), { recursive: true });
  await fs.promises.rename(file, keep).catch(() => fs.promises.rm(file, { force: true }));
  try {
    const j = JSON.parse(text) as { question?: unknown; options?: unknown };
    if (typeof j.question === 'string' && j.question.trim()) return { question: j.question.trim().slice(0, 2000), options: questionOptions(j.options) };
  } catch {
    /* not JSON: take the text itself */
  }
  const question = text.trim().slice(0, 2000);
  return question ? { question } : undefined;
}

/** The choices offered with a question: 2–10 non-empty strings, each cut to 300 characters; anything else is no choices. */
function questionOptions(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const opts = v.filter((o): o is string => typeof o === 'string' && o.trim() !== '').map((o) => o.trim().slice(0, 300));
  return opts.length >= 2 && opts.length <= 10 ? opts : undefined;
}
