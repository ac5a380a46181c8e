// Builds the extension host bundle, the huskies CLI, the simulated agent, the run supervisor and the webview scripts.
// Bundles are minified (the .map files stay beside them for debugging and out of the .vsix).
// The extension host gets two files so that activation stays cheap: dist/extension.js (the VS Code
// edges) and dist/core.js (the orchestrator with zod, the MCP SDK, yaml, croner, simple-git …), which
// extension.js loads on first use of a core function — after activate() has returned.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'info', legalComments: 'none', minify: true, keepNames: true };
const node = { platform: 'node', format: 'cjs', target: 'node20' };

/** The orchestrator core as the extension host loads it lazily (see lazyCorePlugin). */
const core = { ...common, ...node, entryPoints: ['src/core/api.ts'], outfile: 'dist/core.js', external: ['fsevents'] };

const builds = [
  // Extension host: CommonJS, vscode provided by the host; '../core/api' is dist/core.js, loaded lazily.
  {
    ...common,
    ...node,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', 'fsevents'],
    plugins: [lazyCorePlugin({ coreFile: resolve(ROOT, 'dist/core.js'), apiFile: resolve(ROOT, 'src/core/api.ts'), requireAs: './core.js', describe: describeCore })],
  },
  // The headless command line.
  { ...common, ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', external: ['fsevents'], banner: { js: '#!/usr/bin/env node' } },
  // The built-in simulated agent: a standalone program the sim runtime spawns.
  { ...common, ...node, entryPoints: ['src/core/agents/sim/simAgent.ts'], outfile: 'dist/sim-agent.js', banner: { js: '#!/usr/bin/env node' } },
  // The per-run supervisor: started detached by the host so that agents outlive a reload of the host.
  { ...common, ...node, entryPoints: ['src/core/agents/supervisor/main.ts'], outfile: 'dist/supervisor.js' },
  // Webviews: browser scripts.
  {
    ...common,
    keepNames: false,
    entryPoints: { board: 'webview/board.ts', output: 'webview/output.ts', toolkit: 'webview/toolkitMain.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

/** The core's exports as { name: 'function' | { json } | 'other' }, read by loading dist/core.js in a child node. */
function describeCore(coreFile) {
  const script = `const m=require(${JSON.stringify(coreFile)});const o={};for(const k of Object.keys(m)){const v=m[k];if(typeof v==='function'){o[k]='function';continue}let j;try{j=JSON.stringify(v)}catch{}o[k]=j!==undefined&&JSON.stringify(JSON.parse(j))===j&&(v===null||typeof v!=='object'||Object.getPrototypeOf(v)===Object.prototype||Array.isArray(v))?{json:j}:'other'}process.stdout.write(JSON.stringify(o))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 16 << 20 }));
}

/**
 * Resolves the extension's imports of src/core/api.ts to a small generated module instead of bundling
 * the core: each function the core exports becomes a stand-in that requires dist/core.js on its first
 * call (or `new`) and forwards to it; plain data (stage lists, titles) is inlined. Anything else the
 * core exports would be read at load time, which loads the core eagerly: the build says so.
 */
function lazyCorePlugin({ coreFile, apiFile, requireAs, describe }) {
  return {
    name: 'lazy-core',
    setup(build) {
      build.onResolve({ filter: /core[\\/]api(\.ts)?$/ }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        return target === apiFile || `${target}.ts` === apiFile ? { path: apiFile, namespace: 'lazy-core' } : undefined;
      });
      build.onResolve({ filter: /^\.\/core\.js$/, namespace: 'lazy-core' }, () => ({ path: requireAs, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-core' }, () => {
        const exports = describe(coreFile);
        const eager = [];
        const lines = ['let core;', `const load = () => (core ??= require(${JSON.stringify(requireAs)}));`];
        for (const [name, kind] of Object.entries(exports)) {
          if (kind === 'function') lines.push(`export function ${name}(...a) { const f = load().${name}; return new.target ? Reflect.construct(f, a) : f.apply(this, a); }`);
          else if (kind.json !== undefined) lines.push(`export const ${name} = ${kind.json};`);
          else {
            eager.push(name);
            lines.push(`export const ${name} = load().${name};`);
          }
        }
        const warnings = eager.length ? [{ text: `the core is loaded at activation for its exports ${eager.join(', ')} (neither functions nor plain data)` }] : [];
        return { contents: lines.join('\n'), loader: 'js', resolveDir: dirname(coreFile), warnings };
      });
    },
  };
}

if (watch) {
  const coreCtx = await esbuild.context(core);
  await coreCtx.rebuild();
  await coreCtx.watch();
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  // The extension bundle reads the core's export list, so the core is built first.
  await esbuild.build(core);
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
