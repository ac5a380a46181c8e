// Read-only documents for the original side of a story's diff: `huskies-git:/<path>?<commit>` is
// the file's content at that commit, read through the core (git show, size-bounded). The commit and
// path are checked again here: a URI can come from anywhere.
import * as vscode from 'vscode';
import { badRepoPath, isCommitId, redact, type Huskies as Orchestrator } from '../core/api';

export const GIT_SCHEME = 'huskies-git';
/** The "commit" of a side that has no file (before an added file, after a deleted one). */
const NOTHING = 'none';

/** The URI of `file` at `commit`; without a commit, an empty document under the same name. */
export function gitUri(file: string, commit?: string): vscode.Uri {
  return vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${file}`, query: commit ?? NOTHING });
}

export function parseGitUri(uri: vscode.Uri): { file: string; commit?: string } | string {
  const file = uri.path.replace(/^\//, '');
  const bad = badRepoPath(file);
  if (bad) return bad;
  if (uri.query === NOTHING) return { file };
  const commit: string = uri.query;
  return isCommitId(commit) ? { file, commit } : `"${uri.query.slice(0, 80)}" is not a commit id`;
}

export class GitContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly orch: () => Orchestrator | undefined) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = parseGitUri(uri);
    if (typeof parsed === 'string') throw new Error(`Huskies cannot show ${uri.toString(true)}: ${parsed}.`);
    if (!parsed.commit) return '';
    const o = this.orch();
    if (!o) throw new Error('Huskies is not running in this window.');
    try {
      return (await o.fileAt(parsed.commit, parsed.file)) ?? '';
    } catch (err) {
      throw new Error(redact((err as Error).message), { cause: err });
    }
  }
}
