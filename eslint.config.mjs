// Lint rules for the whole tree: the direction of dependence between layers, then typescript-eslint's
// recommended rules minus the few that flag long-standing harmless patterns. `npm run lint` runs it.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const VSCODE_IN_CORE = 'src/core has no VS Code dependency: put editor code in src/extension.';
const CORE_VIA_API = 'src/extension and src/cli use the core only through src/core/api.';
const EDGES_APART = 'src/extension and src/cli share code only through src/core/api and src/protocol.';
const WEBVIEW_PROTOCOL = 'The webview shares only src/protocol with the rest of src; it talks to the host with messages.';
const WEBVIEW_NO_VSCODE = 'The webview reaches the host through acquireVsCodeApi, never the vscode module.';

/**
 * TEMPORARY: edge files that still import core internals, exempt from that one restriction.
 * Each entry is a file to move onto src/core/api; no file is ever added, and test/unit/architecture.test.ts
 * fails once an entry no longer needs to be here. When the list is empty, delete it, allowlisted() and the
 * two lines that call it.
 */
const CORE_INTERNALS_ALLOWLIST = [];

/** One no-restricted-imports setting per file: a later block replaces the rule's options, it never adds to them. */
function restrictImports({ paths = [], patterns = [] }) {
  return { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] };
}

// `vscode` and `vscode/...` in every static form: import, import type, export ... from, import x = require().
const noVscode = (message) => ({ paths: [{ name: 'vscode', message }], patterns: [{ regex: '^vscode/', message }] });

// Relative specifiers only: these files never import the core by any other kind of path.
const coreInternals = { regex: '^(\\.\\./)+core(/|$)(?!api$)', message: CORE_VIA_API };
const webviewVscode = noVscode(WEBVIEW_NO_VSCODE);
const otherEdge = (other) => ({ regex: `^(\\.\\./)+(${other}|webview)(/|$)`, message: EDGES_APART });

function allowlisted(folder, other) {
  const files = CORE_INTERNALS_ALLOWLIST.filter((f) => f.startsWith(folder));
  return files.length ? [{ files, rules: restrictImports({ patterns: [otherEdge(other)] }) }] : [];
}

export default defineConfig([
  globalIgnores(['node_modules/', 'dist/', 'out/', '.vscode-test/', '.bench/', 'test-results/', 'test/fixtures/transcripts/']),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },

  {
    // Functions passed to page.evaluate in the end-to-end tests run in the browser.
    files: ['webview/**', 'test/e2e/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Mock servers and contract tests read loosely shaped JSON bodies: `any` there is deliberate and local.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // A promise nobody awaits or catches ends as an unhandled rejection in the extension host or the CLI.
    // Type-aware, so it costs a TypeScript program: kept to the shipped code, where it matters.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },

  // The layers. Dynamic import() and require() are not covered by these rules; test/unit/architecture.test.ts scans for them.
  {
    files: ['src/core/**'],
    rules: restrictImports(noVscode(VSCODE_IN_CORE)),
  },
  {
    files: ['src/extension/**'],
    rules: restrictImports({ patterns: [coreInternals, otherEdge('cli')] }),
  },
  {
    files: ['src/cli/**'],
    rules: restrictImports({ patterns: [coreInternals, otherEdge('extension')] }),
  },
  {
    files: ['webview/**'],
    rules: restrictImports({ ...webviewVscode, patterns: [...webviewVscode.patterns, { regex: '^(\\.\\./)+src/(?!protocol/)', message: WEBVIEW_PROTOCOL }] }),
  },
  // Temporary: the allowlisted edge files keep every restriction except the one on core internals.
  ...allowlisted('src/extension/', 'cli'),
  ...allowlisted('src/cli/', 'extension'),
]);
