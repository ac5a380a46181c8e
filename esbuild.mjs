// Builds the extension host bundle, the huskies CLI, the simulated agent, the run supervisor and the webview scripts.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'info', legalComments: 'none' };

const builds = [
  // Extension host: CommonJS, vscode provided by the host.
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'fsevents'] },
  // The headless command line.
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['fsevents'],
    banner: { js: '#!/usr/bin/env node' },
  },
  // The built-in simulated agent: a standalone program the sim runtime spawns.
  {
    ...common,
    entryPoints: ['src/core/agents/sim/simAgent.ts'],
    outfile: 'dist/sim-agent.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  // The per-run supervisor: started detached by the host so that agents outlive a reload of the host.
  { ...common, entryPoints: ['src/core/agents/supervisor/main.ts'], outfile: 'dist/supervisor.js', platform: 'node', format: 'cjs', target: 'node20' },
  // Webviews: browser scripts.
  { ...common, entryPoints: { board: 'webview/board.ts', output: 'webview/output.ts' }, outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'es2022' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
