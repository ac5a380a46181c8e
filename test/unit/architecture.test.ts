// The direction of dependence: src/core never imports 'vscode'; the edges reach the core only through
// src/core/api; the webview shares only src/protocol/. The lint configuration must say the same.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..');

/** Module specifiers found by regular expressions over the text (comments removed first). */
function regexSpecifiers(source: string): string[] {
  // comments would hide nothing and must not add anything: drop them first (strings stay as they are)
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [
    // import x from 'm'; import type { X } from 'm'; import * as x from 'm'; export { x } from 'm'; export * from 'm'
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"'\n]+)["']/g,
    // import x = require('m')  and  require('m')
    /\brequire\s*\(\s*["'`]([^"'`\n]+)["'`]\s*\)/g,
    // import('m'), await import("m")
    /\bimport\s*\(\s*["'`]([^"'`\n]+)["'`]\s*[,)]/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** Module specifiers found by TypeScript's own scanner (imports, exports, require, import(), import types). */
function tsSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Every module specifier a TypeScript/JavaScript file names; a file is caught when either scanner sees it. */
function specifiers(source: string): string[] {
  return [...new Set([...regexSpecifiers(source), ...tsSpecifiers(source)])];
}

function filesUnder(dir: string, exts: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...filesUnder(p, exts));
    } else if (exts.test(e.name)) out.push(p);
  }
  return out;
}

const isVscode = (spec: string) => spec === 'vscode' || spec.startsWith('vscode/');

/** Files under dir (recursively) that import vscode, relative to dir. */
function vscodeImporters(dir: string): string[] {
  return filesUnder(dir, /\.(ts|tsx|mts|cts|js|mjs|cjs)$/)
    .filter((f) => specifiers(fs.readFileSync(f, 'utf8')).some(isVscode))
    .map((f) => path.relative(dir, f));
}

/** For a webview file: imports that resolve into src/ but not into src/protocol/. */
function forbiddenWebviewImports(file: string, source: string): string[] {
  const bad: string[] = [];
  const src = path.join(ROOT, 'src') + path.sep;
  const protocol = path.join(ROOT, 'src', 'protocol') + path.sep;
  for (const spec of specifiers(source)) {
    if (isVscode(spec)) {
      bad.push(spec); // the webview talks to the host through acquireVsCodeApi, never the vscode module
      continue;
    }
    let target: string | undefined;
    if (spec.startsWith('.')) target = path.resolve(path.dirname(file), spec);
    else if (spec.startsWith('/')) target = spec;
    else if (/^(?:@\/|~\/|src\/)/.test(spec)) target = path.join(ROOT, spec.replace(/^(?:@|~)\//, 'src/'));
    if (target && (target + path.sep).startsWith(src) && !(target + path.sep).startsWith(protocol)) bad.push(spec);
  }
  return bad;
}

const CORE = path.join(ROOT, 'src', 'core');
const CORE_API = path.join(CORE, 'api');

/** For an edge file (src/extension, src/cli): relative imports that resolve into src/core other than src/core/api. */
function coreInternalImports(file: string, source: string): string[] {
  return specifiers(source).filter((spec) => {
    if (!spec.startsWith('.')) return false;
    const target = path.resolve(path.dirname(file), spec).replace(/\.(ts|js)$/, '');
    return (target === CORE || target.startsWith(CORE + path.sep)) && target !== CORE_API;
  });
}

describe('architecture', () => {
  describe('the import scanner (negative controls)', () => {
    it('catches every way of naming the vscode module', () => {
      const samples = [
        'import * as vscode from "vscode"',
        "import * as vscode from 'vscode';",
        "import vscode from 'vscode'",
        "import { window, commands } from 'vscode';",
        "import {\n  window,\n  type Disposable,\n} from 'vscode';",
        "import type { ExtensionContext } from 'vscode';",
        "import type * as vs from 'vscode'",
        "import 'vscode';",
        "export { window } from 'vscode';",
        "export * from 'vscode';",
        "export type { Uri } from 'vscode';",
        "import vscode = require('vscode');",
        "const vscode = require('vscode');",
        'const v = require ( "vscode" )',
        "const v = await import('vscode');",
        'type T = typeof import("vscode");',
        'const { window } = require(`vscode`);',
      ];
      for (const s of samples) {
        assert.ok(regexSpecifiers(s).some(isVscode), `not caught by the regex: ${s}`);
        assert.ok(tsSpecifiers(s).some(isVscode), `not caught by the TypeScript scanner: ${s}`);
      }
    });

    it('does not report what is not an import of vscode', () => {
      const samples = [
        "import * as fs from 'node:fs';",
        "import { x } from './vscodeApi';",
        "import { y } from '../vscode-helpers';",
        "const s = 'the vscode module';",
        '// import * as vscode from "vscode" is not allowed here',
        '/* require("vscode") */',
        "import { vscode } from './shim';",
      ];
      for (const s of samples) assert.ok(!specifiers(s).some(isVscode), `false alarm: ${s} → ${specifiers(s).join(', ')}`);
      assert.deepEqual(regexSpecifiers("import a from './a';\nimport type { B } from \"../b\";\nexport * from './c';\nconst d = require('d');\nconst e = import('e');"), [
        './a',
        '../b',
        './c',
        'd',
        'e',
      ]);
    });

    it('finds an offending file deep in a folder tree', () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-arch-'));
      try {
        fs.mkdirSync(path.join(tmp, 'a', 'b'), { recursive: true });
        fs.writeFileSync(path.join(tmp, 'clean.ts'), "import * as fs from 'node:fs';\n// vscode is not imported here\n");
        fs.writeFileSync(path.join(tmp, 'a', 'b', 'deep.ts'), "const x = 1;\nimport type { Uri } from 'vscode';\n");
        assert.deepEqual(vscodeImporters(tmp), [path.join('a', 'b', 'deep.ts')]);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('flags webview imports of src/ outside src/protocol/', () => {
      const file = path.join(ROOT, 'webview', 'board.ts');
      assert.deepEqual(forbiddenWebviewImports(file, "import type { BoardState } from '../src/protocol/messages';"), []);
      assert.deepEqual(forbiddenWebviewImports(file, "import { x } from './toolkit';\nimport { provideVSCodeDesignSystem } from '@vscode/webview-ui-toolkit';"), []);
      assert.deepEqual(forbiddenWebviewImports(file, "import { WorkStore } from '../src/core/store/workStore';"), ['../src/core/store/workStore']);
      assert.deepEqual(forbiddenWebviewImports(file, "import type { Snapshot } from '../src/core/orchestrator';"), ['../src/core/orchestrator']);
      assert.deepEqual(forbiddenWebviewImports(file, "export * from '../src/extension/boardModel';"), ['../src/extension/boardModel']);
      assert.deepEqual(forbiddenWebviewImports(file, "import x from '../src/protocol/../core/model';"), ['../src/protocol/../core/model']);
      assert.deepEqual(forbiddenWebviewImports(file, "import x from '../src/protocolish/a';"), ['../src/protocolish/a']);
      assert.deepEqual(forbiddenWebviewImports(file, "import * as vscode from 'vscode';"), ['vscode']);
    });

    it('flags edge imports of the core other than src/core/api', () => {
      const file = path.join(ROOT, 'src', 'extension', 'panel.ts');
      assert.deepEqual(coreInternalImports(file, "import { Huskies } from '../core/api';\nimport type { X } from '../protocol/messages';\nimport * as vscode from 'vscode';"), []);
      assert.deepEqual(coreInternalImports(file, "import { Huskies } from '../core/api.ts';\nimport { y } from './boardModel';"), []);
      assert.deepEqual(coreInternalImports(file, "import { Orchestrator } from '../core/orchestrator';"), ['../core/orchestrator']);
      assert.deepEqual(coreInternalImports(file, "import type { Stage } from '../core/model/stage';"), ['../core/model/stage']);
      assert.deepEqual(coreInternalImports(file, "export * from '../core';"), ['../core']);
      assert.deepEqual(coreInternalImports(file, "const a = require('../core/api/../git/git');"), ['../core/api/../git/git']);
      assert.deepEqual(coreInternalImports(file, "import x from '../corex/a';\nimport y from '../core-utils';"), []);
      const nested = path.join(ROOT, 'src', 'cli', 'sub', 'x.ts');
      assert.deepEqual(coreInternalImports(nested, "import { a } from '../../core/api';\nimport { b } from '../../core/util/log';"), ['../../core/util/log']);
    });
  });

  it('no file under src/core imports vscode', () => {
    const files = filesUnder(path.join(ROOT, 'src', 'core'), /\.(ts|tsx|mts|cts|js|mjs|cjs)$/);
    assert.ok(files.length > 10, `expected the core sources, found ${files.length}`);
    assert.ok(files.some((f) => f.endsWith(path.join('store', 'workStore.ts'))));
    const offenders = vscodeImporters(path.join(ROOT, 'src', 'core'));
    assert.deepEqual(offenders, [], `src/core must not import 'vscode': ${offenders.join(', ')}`);
  });

  it('no file under webview/ imports src/ other than src/protocol/', () => {
    const files = filesUnder(path.join(ROOT, 'webview'), /\.(ts|tsx|mts|cts|js|mjs|cjs)$/);
    assert.ok(files.length > 0, 'expected webview sources');
    const offenders = files.flatMap((f) => forbiddenWebviewImports(f, fs.readFileSync(f, 'utf8')).map((s) => `${path.relative(ROOT, f)} → ${s}`));
    assert.deepEqual(offenders, [], offenders.join('\n'));
  });

  describe('the lint configuration', function () {
    this.timeout(60_000); // loads ESLint and the TypeScript parser once

    // Type information is not needed for import rules, and these files exist only as text.
    const eslint = new ESLint({
      cwd: ROOT,
      overrideConfig: {
        languageOptions: { parserOptions: { projectService: false } },
        rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
      },
    });
    async function restricted(filePath: string, code: string): Promise<string[]> {
      const [result] = await eslint.lintText(code, { filePath });
      const fatal = result.messages.filter((m) => m.fatal);
      assert.deepEqual(fatal, [], `${filePath} did not parse`);
      return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
    }

    /** Whether the lint configuration lets this file import core internals (its temporary allowlist). */
    async function exemptFromCoreViaApi(file: string): Promise<boolean> {
      const config = (await eslint.calculateConfigForFile(file)) as { rules?: Record<string, [unknown, { patterns?: { regex?: string }[] }?]> };
      const patterns = config.rules?.['@typescript-eslint/no-restricted-imports']?.[1]?.patterns ?? [];
      return !patterns.some((p) => p.regex !== undefined && new RegExp(p.regex).test('../core/orchestrator'));
    }

    it('src/extension and src/cli import the core only through src/core/api, save the files lint still exempts', async function () {
      // Until the facade exists the edges have nothing else to import: the check starts with src/core/api.ts.
      if (!fs.existsSync(CORE_API + '.ts')) this.skip();
      const files = [path.join(ROOT, 'src', 'extension'), path.join(ROOT, 'src', 'cli')].flatMap((d) => filesUnder(d, /\.(ts|tsx|mts|cts|js|mjs|cjs)$/));
      assert.ok(files.length > 2, 'expected the extension and CLI sources');
      const offenders: string[] = [];
      const needlesslyExempt: string[] = [];
      for (const f of files) {
        const internal = coreInternalImports(f, fs.readFileSync(f, 'utf8'));
        const exempt = await exemptFromCoreViaApi(f);
        if (!exempt) offenders.push(...internal.map((s) => `${path.relative(ROOT, f)} → ${s}`));
        else if (!internal.length) needlesslyExempt.push(path.relative(ROOT, f));
      }
      assert.deepEqual(offenders, [], offenders.join('\n'));
      assert.deepEqual(needlesslyExempt, [], `no longer imports core internals: remove from CORE_INTERNALS_ALLOWLIST in eslint.config.mjs: ${needlesslyExempt.join(', ')}`);
    });

    it('refuses vscode in src/core, in every import form', async () => {
      for (const code of [
        "import * as vscode from 'vscode';",
        "import type { Uri } from 'vscode';",
        "import vscode = require('vscode');",
        "export * from 'vscode';",
        "export { x } from 'vscode/y';",
      ]) {
        assert.equal((await restricted('src/core/store/probe.ts', code)).length, 1, code);
      }
      assert.deepEqual(await restricted('src/core/store/probe.ts', "export { x } from './vscodeApi';"), []);
    });

    it('lets the edges reach the core only through src/core/api, and not each other', async () => {
      for (const dir of ['extension', 'cli']) {
        const file = `src/${dir}/probe.ts`;
        assert.deepEqual(await restricted(file, "export { Huskies } from '../core/api';\nexport type { X } from '../protocol/messages';\nexport * from './local';"), [], file);
        for (const spec of ['../core/orchestrator', '../core/model/stage', '../core', '../core/api/x']) {
          assert.equal((await restricted(file, `export * from '${spec}';`)).length, 1, `${file}: ${spec}`);
        }
      }
      assert.equal((await restricted('src/extension/probe.ts', "export * from '../cli/format';")).length, 1);
      assert.equal((await restricted('src/cli/probe.ts', "export * from '../extension/boardModel';")).length, 1);
    });

    it('lets the webview import only src/protocol from src, and never vscode', async () => {
      assert.deepEqual(await restricted('webview/probe.ts', "export type { BoardState } from '../src/protocol/messages';\nexport * from './toolkit';"), []);
      assert.equal((await restricted('webview/probe.ts', "export * from '../src/core/api';")).length, 1);
      assert.equal((await restricted('webview/probe.ts', "export * from '../src/extension/boardModel';")).length, 1);
      assert.equal((await restricted('webview/probe.ts', "import * as vscode from 'vscode';\nexport const v = vscode;")).length, 1);
    });
  });
});
