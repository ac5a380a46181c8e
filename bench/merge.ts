// Merge benchmark: generated merge scenarios (clean changes, conflicts resolved well and badly, empty stories,
// failing gates, merges queued together, a user's uncommitted work in the checked-out base) on temp
// repositories. Prints the counts that must all be 0 and the merge times. Prints numbers, asserts nothing.
// Usage: node --import tsx bench/merge.ts [--scenarios 100] [--seed 1] [--jobs 3]
import { KINDS, type Outcome, rng, runScenario, templateRepo } from './mergeScenarios';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : d;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a whole number of at least 1, got "${process.argv[i + 1]}"`);
  return v;
};

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

export async function mergeBench(opts: { scenarios?: number; seed?: number; jobs?: number } = {}): Promise<void> {
  const total = opts.scenarios ?? 100;
  const random = rng(opts.seed ?? 1);
  const plan = Array.from({ length: total }, () => KINDS[Math.floor(random() * KINDS.length)]);
  const seeds = plan.map(() => Math.floor(random() * 2 ** 31));
  const outcomes: Outcome[] = [];
  const template = templateRepo();
  const t0 = performance.now();
  let next = 0;
  // a few scenarios side by side, each in its own repository
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      outcomes.push(await runScenario(template, plan[i], i + 1, rng(seeds[i])));
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.jobs ?? 3 }, worker));
  } finally {
    template.cleanup();
  }
  const secs = (performance.now() - t0) / 1000;

  const times = outcomes.flatMap((o) => o.merges.map((m) => m.ms));
  const results: Record<string, number> = {};
  for (const m of outcomes.flatMap((o) => o.merges)) results[m.result.kind] = (results[m.result.kind] ?? 0) + 1;
  const kinds: Record<string, number> = {};
  for (const o of outcomes) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  const sum = (f: (o: Outcome) => number) => outcomes.reduce((s, o) => s + f(o), 0);

  console.log(`\n# ${total} merge scenarios (seed ${opts.seed ?? 1}, ${opts.jobs ?? 3} at a time) in ${secs.toFixed(1)} s`);
  console.log(`scenarios: ${JSON.stringify(kinds)}`);
  console.log(`merge calls: ${times.length}, results ${JSON.stringify(results)}`);
  console.log(`base branch left dirty:        ${sum((o) => (o.baseLeftDirty ? 1 : 0))}`);
  console.log(`conflict markers committed:    ${sum((o) => (o.markersCommitted ? 1 : 0))}`);
  console.log(`empty merge commits:           ${sum((o) => o.emptyMergeCommits)}`);
  console.log(`user changes lost:             ${sum((o) => o.userChangesLost)}`);
  console.log(`unexpected results:            ${sum((o) => o.unexpected.length)}`);
  for (const u of outcomes.flatMap((o) => o.unexpected)) console.log(`  ${u}`);
  console.log(
    `merge time (each call, with the scenarios side by side): median ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );
}

if (require.main === module) {
  mergeBench({ scenarios: arg('scenarios', 100), seed: arg('seed', 1), jobs: arg('jobs', 3) }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
