// The Problems panel: configuration and story problems as diagnostics at their file and line,
// with a quick fix where one is obvious. Updated from the orchestrator's snapshot, throttled.
import * as vscode from 'vscode';
import type { Snapshot } from '../core/api';
import { diagnosticsKey, fixEdit, fixTitle, keyColumn, keyLine, problemSpots, type ProblemSpot, type SpotFix } from './problemSpots';

const THROTTLE_MS = 500;

const fixKey = (file: string, d: vscode.Diagnostic) => `${file}\u0000${d.range.start.line}\u0000${d.message}`;

export class ProblemDiagnostics implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  private readonly collection = vscode.languages.createDiagnosticCollection('huskies');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** The fix of each diagnostic that has one, by file, line and message (the code action receives copies of the diagnostics). */
  private readonly fixes = new Map<string, SpotFix>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;

  /** What the collection holds now, as diagnosticsKey gives it. */
  private shownKey?: string;

  /** The latest snapshot handed in; the next update renders it. */
  private latest?: Snapshot;

  constructor() {
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider([{ scheme: 'file', pattern: '**/.huskies/**' }], this, {
        providedCodeActionKinds: ProblemDiagnostics.providedCodeActionKinds,
      }),
    );
  }

  /** Asks for an update from `snap`; many calls within the throttle window make one, from the latest snapshot. */
  refresh(snap: Snapshot): void {
    this.latest = snap;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, THROTTLE_MS);
  }

  /** Rebuilds the collection from the snapshot now. */
  async update(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const snap = this.latest;
      const spots = snap ? problemSpots(snap) : [];
      const byFile = new Map<string, vscode.Diagnostic[]>();
      const fixesByFile = new Map<string, [vscode.Diagnostic, SpotFix][]>();
      const linesCache = new Map<string, string[] | undefined>();
      for (const spot of spots) {
        const { d, fix } = await this.toDiagnostic(spot, linesCache);
        byFile.set(spot.file, [...(byFile.get(spot.file) ?? []), d]);
        if (fix) fixesByFile.set(spot.file, [...(fixesByFile.get(spot.file) ?? []), [d, fix]]);
      }
      // Unchanged problems are not sent again: each clear and set is a message to the window.
      const key = diagnosticsKey(byFile, fixesByFile);
      if (key === this.shownKey) return;
      this.shownKey = key;
      this.collection.clear();
      this.fixes.clear();
      for (const [file, ds] of fixesByFile) for (const [d, fix] of ds) this.fixes.set(fixKey(file, d), fix);
      for (const [file, ds] of byFile) this.collection.set(vscode.Uri.file(file), ds);
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        if (this.latest) this.refresh(this.latest);
      }
    }
  }

  /** The file's lines, from an open editor when there is one (its text may be newer than the disk). */
  private async lines(file: string, cache: Map<string, string[] | undefined>): Promise<string[] | undefined> {
    if (cache.has(file)) return cache.get(file);
    let text: string | undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    if (open) text = open.getText();
    else
      text = await vscode.workspace.fs.readFile(vscode.Uri.file(file)).then(
        (b) => Buffer.from(b).toString('utf8'),
        () => undefined,
      );
    const lines = text?.split(/\r?\n/);
    cache.set(file, lines);
    return lines;
  }

  private async toDiagnostic(spot: ProblemSpot, cache: Map<string, string[] | undefined>): Promise<{ d: vscode.Diagnostic; fix?: SpotFix }> {
    let line = spot.line;
    const lines = line === undefined || spot.key !== undefined || spot.fix ? await this.lines(spot.file, cache) : undefined;
    if (line === undefined && spot.key && lines) line = keyLine(lines, spot.key);
    const i = Math.max(0, (line ?? 1) - 1);
    const text = lines?.[i] ?? '';
    // The key's own span when it is on the line, else the whole line.
    const word = spot.key?.split('.').pop();
    const at = word ? keyColumn(text, word) : undefined;
    const range = at !== undefined ? new vscode.Range(i, at, i, at + word!.length) : new vscode.Range(i, 0, i, Math.max(text.length, 1));
    const severity = spot.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    const d = new vscode.Diagnostic(range, spot.message, severity);
    d.source = 'huskies';
    return { d, fix: spot.fix && lines && fixEdit(spot.fix, lines, i + 1) ? spot.fix : undefined };
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const lines = doc.getText().split(/\r?\n/);
    const out: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      const fix = d.source === 'huskies' ? this.fixes.get(fixKey(doc.uri.fsPath, d)) : undefined;
      if (!fix) continue;
      const e = fixEdit(fix, lines, d.range.start.line + 1);
      if (!e) continue;
      const action = new vscode.CodeAction(fixTitle(fix), vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.isPreferred = true;
      action.edit = new vscode.WorkspaceEdit();
      if (e.removeLine) action.edit.delete(doc.uri, doc.lineAt(e.line).rangeIncludingLineBreak);
      else action.edit.replace(doc.uri, new vscode.Range(e.line, e.start, e.line, e.end), e.newText);
      out.push(action);
    }
    return out;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
