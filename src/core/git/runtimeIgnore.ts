// The orchestrator's runtime files stay out of git. A project made by this orchestrator's init lists
// them all in .huskies/.gitignore; a project made by the huskies format's own init lists only the
// format's files, not the ones added here (runs.json, rewritten on every change of the pipeline,
// agents_state.json, requests/, …). Those showed in the user's Source Control view and in
// `git add -A`, and the editor's git integration read the repository again each time runs.json was
// written: with 30 agents starting, that is several times a second.
//
// The missing ones go into the repository's own info/exclude: local to this clone, never committed,
// and no file of the user's changes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RUNTIME_FILES } from '../project';
import { writeFileAtomic } from '../util/fsAtomic';
import { git, GitError } from './git';

const HEADER = '# Runtime files of the Huskies orchestrator (its .huskies/.gitignore does not list them)';

/**
 * Makes git ignore every runtime file of the orchestrator under `root`/.huskies; returns the paths
 * (relative to root) it had to add. Nothing in a folder that is not in a git repository.
 */
export async function ignoreRuntimeFiles(root: string): Promise<string[]> {
  const paths = RUNTIME_FILES.map((f) => `.huskies/${f}`);
  let out: string;
  try {
    // --no-index: by the ignore rules alone, whether or not a file was committed by mistake.
    out = await git(root, ['check-ignore', '--no-index', '--', ...paths]);
  } catch (err) {
    // Exit 1 with nothing on stderr: none of them is ignored.
    if (err instanceof GitError && err.code === 1 && !err.stderr.trim()) out = '';
    else if (err instanceof GitError && /not a git repository/i.test(err.stderr + err.message)) return [];
    else throw err;
  }
  const ignored = new Set(out.split('\n').map((l) => l.trim()));
  const missing = paths.filter((p) => !ignored.has(p));
  if (!missing.length) return [];
  const exclude = path.resolve(root, (await git(root, ['rev-parse', '--git-path', 'info/exclude'])).trim());
  // Patterns in info/exclude are relative to the top of the work tree: the project may be a folder inside it.
  const prefix = (await git(root, ['rev-parse', '--show-prefix'])).trim();
  const before = await fs.readFile(exclude, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const present = new Set(before.split('\n').map((l) => l.trim()));
  // A pattern already there that does not take (a later `!` rule undoes it) is not written again on every start.
  const patterns = missing.map((p) => `/${prefix}${p}`).filter((l) => !present.has(l));
  if (!patterns.length) return [];
  const lines = [...(present.has(HEADER) ? [] : [HEADER]), ...patterns];
  await fs.mkdir(path.dirname(exclude), { recursive: true });
  await writeFileAtomic(exclude, `${before}${before && !before.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`);
  return patterns.map((l) => l.slice(1 + prefix.length));
}
