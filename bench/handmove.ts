// A story moved by hand (npm run bench -- --handmove-only [--handmove-moves 40] [--handmove-sizes 200,10000]):
// a real orchestrator watches a temp project of N stories; a story file is renamed from one stage
// folder to another (fs.renameSync, as a user or `git checkout` would) again and again. For each
// move: the time from the rename to the pipeline's item.moved event, to the orchestrator's
// `changed` event whose snapshot shows the story in its new stage, and to the board's state built
// from that snapshot (buildBoardState, what the extension sends the webview). p50/p95/max;
// asserts nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Huskies as Orchestrator, type HuskiesEvent } from '../src/core/api';
import { STAGE_FOLDERS, type Stage } from '../src/core/model/stage';
import { buildBoardState } from '../src/extension/boardModel';
import { makeRepo, SIM_AGENT } from '../test/fixtures/repo';
import { writeStories } from './store';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1).padStart(6)}  p95 ${pct(xs, 95).toFixed(1).padStart(6)}  max ${Math.max(...xs)
    .toFixed(1)
    .padStart(6)} ms`;

interface Sample {
  event: number;
  changed: number;
  board: number;
}

/** Renames one story's file and waits for the board to show it in `to`. */
function moveOnce(o: Orchestrator, id: number, to: Stage): Promise<Sample> {
  const item = o.store.get(id)!;
  const target = path.join(o.root, '.huskies', 'work', STAGE_FOLDERS[to], item.fileName);
  return new Promise((resolve, reject) => {
    let event = NaN;
    const timeout = setTimeout(() => done(new Error(`story ${id} did not show in ${to} within 30 s`)), 30_000);
    const onEvent = (e: HuskiesEvent) => {
      if (e.type === 'item.moved' && e.id === id && e.to === to && Number.isNaN(event)) event = performance.now() - t0;
    };
    const onChanged = () => {
      const snap = o.snapshot();
      if (snap.items.find((i) => i.id === id)?.stage !== to) return;
      const changed = performance.now() - t0;
      const board = buildBoardState(snap);
      if (!board) return done(new Error('no board state'));
      done(undefined, { event, changed, board: performance.now() - t0 });
    };
    const done = (err?: Error, s?: Sample) => {
      clearTimeout(timeout);
      o.off('event', onEvent);
      o.off('changed', onChanged);
      if (err) reject(err);
      else resolve(s!);
    };
    o.on('event', onEvent);
    o.on('changed', onChanged);
    const t0 = performance.now();
    fs.renameSync(item.path, target);
  });
}

async function handMoves(n: number, moves: number): Promise<void> {
  // No agents and no commits of story moves: only the path from the file system to the board is timed.
  const repo = await makeRepo({ projectToml: 'commit_moves = false\n' });
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, autoAssign: false, runAgents: false });
  try {
    writeStories(repo.dir, n);
    let t = performance.now();
    await o.start();
    const startMs = performance.now() - t;
    const backlog = o.store.all().filter((i) => i.stage === 'backlog');
    const samples: Sample[] = [];
    for (let k = 0; k < moves; k++) {
      // Distinct stories first, then back again: backlog → done, done → backlog.
      const it = backlog[k % backlog.length];
      const to: Stage = o.store.get(it.id)!.stage === 'backlog' ? 'done' : 'backlog';
      samples.push(await moveOnce(o, it.id, to));
    }
    // One burst: 50 files moved at once, until the board shows them all.
    const burst = backlog.filter((i) => o.store.get(i.id)!.stage === 'backlog').slice(0, 50);
    t = performance.now();
    await new Promise<void>((resolve) => {
      const check = () => {
        const stages = new Map(o.snapshot().items.map((x) => [x.id, x.stage]));
        if (!burst.every((i) => stages.get(i.id) === 'done')) return;
        o.off('changed', check);
        resolve();
      };
      o.on('changed', check);
      for (const i of burst) fs.renameSync(i.path, path.join(repo.dir, '.huskies', 'work', STAGE_FOLDERS.done, i.fileName));
    });
    const burstMs = performance.now() - t;
    console.log(`\n# A story moved by hand, ${n} stories (start ${startMs.toFixed(0)} ms; ${moves} moves)`);
    console.log(`rename → item.moved event        : ${fmt(samples.map((s) => s.event))}`);
    console.log(`rename → changed with new stage  : ${fmt(samples.map((s) => s.changed))}`);
    console.log(`rename → board state built       : ${fmt(samples.map((s) => s.board))}`);
    console.log(`burst of ${burst.length} moves → board shows all: ${burstMs.toFixed(1)} ms`);
  } finally {
    await o.dispose();
    repo.cleanup();
  }
}

export async function handmoveBench(): Promise<void> {
  const moves = Number(arg('handmove-moves', '40'));
  for (const n of arg('handmove-sizes', '200,10000').split(',').map(Number)) await handMoves(n, moves);
}
