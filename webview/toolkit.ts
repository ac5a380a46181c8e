// The one module that touches @vscode/webview-ui-toolkit: it registers the components the
// webviews use (elements.ts creates them by tag name). The board bundles it; the output page
// loads it as its own script (toolkitMain.ts) after its first paint. The toolkit is no longer
// maintained upstream; keeping every tag name behind these two files keeps a later swap to plain
// elements a small change.
import { provideVSCodeDesignSystem, vsCodeButton } from '@vscode/webview-ui-toolkit';

let registered = false;

/** Defines the custom elements; elements created before this call upgrade in place. */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  // Not vsCodeBadge: its template carries a style attribute, which the CSP (no 'unsafe-inline')
  // reports on first use; a plain span with the --vscode-badge-* colors does the same job.
  provideVSCodeDesignSystem().register(vsCodeButton());
}
