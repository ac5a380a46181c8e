// Generated merge scenarios for bench/merge.ts: each builds a temp repository, stories and a user's
// uncommitted work, runs the merges, and reports what it expected and what it must never see.
import { type MergeOptions, type MergeResult, mergeStory } from '../src/core/git/merge';
import { MergeQueue } from '../src/core/git/mergeQueue';
import { MergeRepo, gitAt } from '../test/integration/mergeFixture';

export const KINDS = ['clean', 'conflict', 'empty', 'gate_fail', 'queue', 'user_overlap', 'user_unrelated', 'user_untracked'] as const;
export type Kind = (typeof KINDS)[number];

export interface Outcome {
  kind: Kind;
  /** Each merge call: its result and how long it took. */
  merges: Array<{ result: MergeResult; ms: number }>;
  /** A result that was not the one this scenario must produce (or a merged file with the wrong content). */
  unexpected: string[];
  baseLeftDirty: boolean;
  markersCommitted: boolean;
  emptyMergeCommits: number;
  userChangesLost: number;
}

export { mulberry32 as rng } from '../src/core/util/prng';

const FILES = 8;
const lines = (tag: string) => Array.from({ length: 6 }, (_, i) => `${tag} line ${i}`);
const text = (ls: string[]) => ls.join('\n') + '\n';
const fileName = (i: number) => `src/f${i}.txt`;

/** Line `line` of file `i` as the story or the base rewrites it. */
function edit(i: number, line: number, by: string): string {
  const ls = lines(`f${i}`);
  ls[line] = `${by} changed line ${line}`;
  return text(ls);
}

/** The repository every scenario starts from a copy of. */
export function templateRepo(): MergeRepo {
  return MergeRepo.create(Object.fromEntries(Array.from({ length: FILES }, (_, i) => [fileName(i), text(lines(`f${i}`))])));
}

export async function runScenario(template: MergeRepo, kind: Kind, n: number, random: () => number): Promise<Outcome> {
  const pick = (k: number) => Math.floor(random() * k);
  const r = template.copy();
  const out: Outcome = { kind, merges: [], unexpected: [], baseLeftDirty: false, markersCommitted: false, emptyMergeCommits: 0, userChangesLost: 0 };
  try {
    const userKinds: Kind[] = ['user_overlap', 'user_unrelated', 'user_untracked'];
    const checkedOut = userKinds.includes(kind) || random() < 0.5;
    if (!checkedOut) r.git('checkout', '-q', '--detach');
    const start = r.rev('main');
    const timed = async (opts: MergeOptions) => {
      const t0 = performance.now();
      const result = await mergeStory(opts);
      out.merges.push({ result, ms: performance.now() - t0 });
      return result;
    };
    const gates = (ok: boolean) => async () => ({ ok, output: ok ? 'passed' : 'FAIL: 1 test' });
    const storyFile = pick(FILES);
    const story = r.story(n, kind, { [fileName(storyFile)]: edit(storyFile, 2, 'story'), [`src/new${n}.txt`]: `new in story ${n}\n` });
    const baseMoves = kind === 'conflict' || random() < 0.5;
    if (baseMoves) {
      const f = kind === 'conflict' ? storyFile : (storyFile + 1 + pick(FILES - 1)) % FILES;
      const content = edit(f, 2, 'base');
      if (checkedOut) r.commitIn(r.dir, { [fileName(f)]: content }, 'base moves on');
      else r.commitTo('main', { [fileName(f)]: content }, 'base moves on');
    }

    // the user's uncommitted work in the base's checkout
    const userFiles: Record<string, string> = {};
    if (kind === 'user_overlap') userFiles[fileName(storyFile)] = 'my own uncommitted edit\n';
    if (kind === 'user_unrelated') userFiles[fileName((storyFile + 1) % FILES)] = 'my unrelated edit\n';
    if (kind === 'user_untracked') userFiles[`src/new${n}.txt`] = 'my own notes\n';
    if (kind === 'user_unrelated' || pick(2) === 0) userFiles[`notes-${n}.md`] = 'untracked notes\n';
    if (!checkedOut) delete userFiles[`notes-${n}.md`];
    for (const [rel, content] of Object.entries(userFiles)) r.write(rel, content);
    const statusBefore = r.status();

    const one = (extra: Partial<MergeOptions> = {}) => timed({ root: r.dir, branch: story.branch, message: `Story ${n}: ${kind}`, base: 'main', gates: gates(true), ...extra });
    const expect = (res: MergeResult, ...kinds: MergeResult['kind'][]) => {
      if (!kinds.includes(res.kind)) out.unexpected.push(`${kind}: expected ${kinds.join('|')}, got ${res.kind} ${'message' in res ? res.message : ''}`);
    };
    const landed = userKinds.includes(kind) && kind !== 'user_unrelated' ? 'merged_pending' : 'merged';

    if (kind === 'clean' || kind.startsWith('user_')) expect(await one(), landed);
    else if (kind === 'gate_fail') expect(await one({ gates: gates(false) }), 'gate_failed');
    else if (kind === 'empty') {
      const empty = r.story(n + 1000, 'nothing', ...(pick(2) ? [] : [{ 'src/tmp.txt': 'x\n' }, { 'src/tmp.txt': null }]));
      expect(await timed({ root: r.dir, branch: empty.branch, message: 'empty', base: 'main', gates: gates(true) }), 'empty');
    } else if (kind === 'conflict') {
      const res = await one();
      expect(res, 'conflict');
      const how = pick(3);
      if (res.kind === 'conflict' && how > 0) {
        const wt = res.worktree;
        // a careful resolution, or a sloppy one that commits the markers
        if (how === 1) r.write(fileName(storyFile), edit(storyFile, 2, 'story and base'), wt);
        gitAt(wt, 'add', '-A');
        gitAt(wt, 'commit', '-q', '--no-edit');
        expect(await one(), how === 1 ? 'merged' : 'conflict');
      }
    } else if (kind === 'queue') {
      const queue = new MergeQueue(timed);
      const others = Array.from({ length: 1 + pick(3) }, (_, j) => {
        const f = (storyFile + 1 + j) % FILES;
        return r.story(n + 100 * (j + 1), `queued${j}`, { [fileName(f)]: edit(f, j % 2 ? 4 : 0, `queued ${j}`) });
      });
      const results = await Promise.all(
        [story, ...others].map((s, j) => queue.enqueue({ root: r.dir, branch: s.branch, message: `Queued ${n}.${j}`, base: 'main', gates: gates(true) })),
      );
      for (const res of results) expect(res, 'merged');
    }

    // what must never happen
    const tip = r.rev('main');
    out.markersCommitted = r.markersOn('main').length > 0;
    // each commit with its tree and its parent's tree: the same tree twice is an empty commit
    const log = r.git('log', '--first-parent', '--format=%T %P', `${start}..${tip}`).split('\n').filter(Boolean);
    const parentTrees = log.length
      ? r
          .git('rev-parse', ...log.map((l) => `${l.split(' ')[1]}^{tree}`))
          .trim()
          .split('\n')
      : [];
    log.forEach((l, i) => {
      if (l.split(' ')[0] === parentTrees[i]) out.emptyMergeCommits++;
    });
    out.baseLeftDirty = r.status() !== statusBefore;
    for (const [rel, content] of Object.entries(userFiles)) if (r.read(rel) !== content) out.userChangesLost++;
    const last = out.merges.at(-1)?.result;
    if (last?.kind === 'merged' && kind !== 'queue' && r.show('main', `src/new${n}.txt`) !== `new in story ${n}\n`) out.unexpected.push(`${kind}: the story's file is not on main`);
    if (checkedOut && last?.kind === 'merged' && r.rev('HEAD') !== tip) out.unexpected.push(`${kind}: the checkout did not follow main`);
  } finally {
    r.cleanup();
  }
  return out;
}
