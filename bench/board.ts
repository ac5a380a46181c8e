// What the board costs to keep in step (npm run bench -- --board-only [--stories 10000] [--board-changes 20]):
// a real orchestrator on a temp project of N stories, then the bytes of one board snapshot without and
// with Archived, of the whole state every board was sent on each change before, of the delta for one
// card moved by hand, and the median time per change of building the state and diffing it for one board.
// Prints numbers; asserts nothing.
import { Huskies as Orchestrator } from '../src/core/api';
import { buildBoardState } from '../src/extension/boardModel';
import { BOARD_STAGES, boardView, DEFAULT_SHOWN, diffBoard } from '../src/protocol/boardDelta';
import type { HostMessage, Stage } from '../src/protocol/messages';
import { makeRepo, SIM_AGENT } from '../test/fixtures/repo';
import { writeStories } from './store';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
/** CPU time (user + system) since `c`: on a busy machine it says more than wall time. */
const cpuMs = (c: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const bytes = (m: HostMessage | { type: 'board'; seq: number; state: unknown }) => Buffer.byteLength(JSON.stringify(m));
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

export async function boardBench(): Promise<void> {
  const n = arg('stories', 10_000);
  const changes = arg('board-changes', 20);
  const repo = await makeRepo();
  const o = new Orchestrator({ root: repo.dir, simAgentPath: SIM_AGENT, watch: false, autoAssign: false });
  try {
    writeStories(repo.dir, n);
    await o.start();
    const full = buildBoardState(o.snapshot());
    const shown = boardView(full, DEFAULT_SHOWN);
    console.log(`\n# Board replica on ${n} stories (${BOARD_STAGES.map((s) => `${s} ${shown.counts?.[s] ?? 0}`).join(', ')})`);
    console.log(`whole state on every change, as before    : ${kb(bytes({ type: 'board', seq: 1, state: full })).padStart(10)}`);
    console.log(`snapshot without Archived (the default)   : ${kb(bytes({ type: 'boardSnapshot', seq: 1, state: shown })).padStart(10)}`);
    console.log(`snapshot with Archived expanded           : ${kb(bytes({ type: 'boardSnapshot', seq: 1, state: boardView(full, BOARD_STAGES) })).padStart(10)}`);

    // Hand moves between backlog and current, each followed by what the host does for one board.
    const backlog = o
      .snapshot()
      .items.filter((i) => i.stage === 'backlog')
      .map((i) => i.id);
    let prev = shown;
    const snapshot: number[] = [];
    const build: number[] = [];
    const diff: number[] = [];
    const total: number[] = [];
    const cpu: number[] = [];
    const deltaBytes: number[] = [];
    for (let k = 0; k < changes; k++) {
      const id = backlog[k % backlog.length];
      const to: Stage = Math.floor(k / backlog.length) % 2 === 0 ? 'current' : 'backlog';
      await o.moveStory(id, to, 'user');
      const c = process.cpuUsage();
      let t = process.hrtime.bigint();
      const snap = o.snapshot();
      snapshot.push(ms(t));
      t = process.hrtime.bigint();
      const state = buildBoardState(snap);
      const b = ms(t);
      t = process.hrtime.bigint();
      const next = boardView(state, DEFAULT_SHOWN);
      const delta = diffBoard(prev, next);
      const d = ms(t);
      cpu.push(cpuMs(c));
      build.push(b);
      diff.push(d);
      total.push(b + d);
      if (delta) deltaBytes.push(bytes({ type: 'boardDelta', seq: k + 2, delta }));
      prev = next;
    }
    const nothing = diffBoard(prev, boardView(buildBoardState(o.snapshot()), DEFAULT_SHOWN));
    console.log(`one card moved by hand: delta             : ${`${median(deltaBytes)} B`.padStart(10)}  (median of ${deltaBytes.length})`);
    console.log(`no change: delta                          : ${(nothing ? kb(bytes({ type: 'boardDelta', seq: 0, delta: nothing })) : 'none sent').padStart(10)}`);
    console.log(
      `per change, median of ${changes}: orchestrator snapshot ${median(snapshot).toFixed(1)} ms, then buildBoardState ${median(build).toFixed(1)} ms + view and diff ${median(diff).toFixed(1)} ms = ${median(total).toFixed(1)} ms (CPU of all three ${median(cpu).toFixed(1)} ms)`,
    );
  } finally {
    await o.dispose();
    repo.cleanup();
  }
}
