// The long-running parts of the `huskies` command: status, following an agent's output, `start`
// (until the run ends) and `run` (the orchestrator in the foreground), with the stop signals.
import { Huskies, STAGES, STAGE_TITLES, redact, type RunRecord } from '../core/api';
import { formatMessage, helpLines } from './format';

/** Everything the command prints goes through here: secret shapes are masked. */
export const out = (s = '') => process.stdout.write(`${redact(s)}\n`);

const iso = (ms: number) => (Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : 'an unknown time');

export async function status(o: Huskies): Promise<number> {
  await o.start();
  try {
    const snap = o.snapshot();
    if (!snap.initialized) {
      out(`${snap.root} has no Huskies project: run \`huskies init\`.`);
      return 1;
    }
    out(`Project ${snap.root}`);
    out(`max_coders ${snap.maxCoders}`);
    if (snap.leader) out(`Driven by pid ${snap.leader.pid} (${snap.leader.by}) since ${snap.leader.startedAt}`);
    for (const p of snap.problems) out(`! ${p}`);
    for (const stage of STAGES) {
      const items = snap.items.filter((i) => i.stage === stage);
      out(`\n${STAGE_TITLES[stage]} (${items.length})`);
      for (const it of items) {
        const run = snap.latestRun.get(it.id);
        const runText = run ? ` [${run.agent || 'agent'}: ${run.status}${run.reason ? ` — ${run.reason}` : ''}]` : '';
        const crit = it.criteria.length ? ` ${it.criteria.filter((c) => c.done).length}/${it.criteria.length}` : '';
        const wait = snap.waits.get(it.id);
        out(
          `  #${it.id} ${it.name}${crit}${it.invalid ? ` INVALID: ${it.invalid}` : it.blocked ? ` BLOCKED: ${it.blockedReason ?? ''}` : ''}${runText}${wait && !it.blocked && !it.invalid ? ` · WAITS: ${wait}` : ''}`,
        );
      }
    }
    await o.runPreflight();
    const s2 = o.snapshot();
    out('\nAgents');
    const now = Date.now();
    for (const a of s2.agents) {
      const pf = s2.preflight.find((p) => p.agent === a.name);
      const rl = [s2.rateLimits[a.name], s2.rateLimits[`runtime:${a.runtime}`]].filter((r) => r && r.until > now).sort((x, y) => y!.until - x!.until)[0];
      const drained = s2.drained[a.name];
      const cost = s2.costByAgent.get(a.name);
      out(
        `  ${pf?.ok === false ? '✗' : '✓'} ${a.name} (${a.runtime}${a.builtIn ? ', built-in default' : ''}): ${pf?.message ?? ''}${rl ? ` · RATE-LIMITED until ${iso(rl.until)}` : ''}${drained ? ` · DRAINED (${drained.reason}); \`huskies ack ${a.name}\`` : ''}${cost ? ` · $${cost.costUsd.toFixed(4)} over ${cost.runs} runs` : ''}`,
      );
    }
    for (const t of s2.timers) out(`  ⏲ story #${t.storyId} resumes at ${iso(t.at)} (${t.reason})`);
    if (s2.paused) out(`! ${s2.paused}`);
    const ctl = o.controls();
    if (ctl.paused) out(`\nPAUSED since ${iso(ctl.paused.since)} (${ctl.paused.source}): ${ctl.paused.reason} · \`huskies resume\` lifts it`);
    for (const st of ctl.stories.filter((x) => x.paused)) out(`  ⏸ story #${st.id} is paused${st.pausedReason ? `: ${st.pausedReason}` : ''}`);
    if (ctl.notes.length || ctl.stories.some((x) => x.note)) out('\nNotes');
    for (const n of ctl.notes.slice(-5)) out(`  ${iso(n.at)} (${n.source}) ${n.text}`);
    for (const st of ctl.stories.filter((x) => x.note)) out(`  #${st.id}: ${st.note}`);
    for (const l of helpLines(s2.help)) out(l);
    out(`\n${snap.running} running, ${snap.queued} queued · ${snap.runs.length} runs recorded · today $${s2.spentToday.toFixed(4)}`);
    return 0;
  } finally {
    await o.dispose({ stopAgents: false });
  }
}

function follow(o: Huskies, filter?: number): { dispose(): void } {
  const names = new Map<string, string>();
  const secrets = o.secrets();
  return o.subscribe('*', (batch) => {
    const run = o.registry.get(batch.runId);
    if (!run || (filter !== undefined && run.storyId !== filter)) return;
    if (!names.has(batch.runId)) names.set(batch.runId, `#${run.storyId} ${run.agent}`);
    for (const r of batch.records) {
      const line = formatMessage(r.msg, secrets);
      if (line) out(`[${names.get(batch.runId)}] ${line}`);
    }
  });
}

/** Ctrl+C, kill, closing the terminal (SIGHUP) and SIGQUIT all stop the agents cleanly and release the lock. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) {
      out(`\n${sig} again: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    out(`\n${sig}: stopping agents (their sessions resume on the next start)…`);
    void stop().then(() => process.exit(0));
  };
  for (const sig of STOP_SIGNALS) process.once(sig, () => handler(sig));
}

const printTransition = (e: { id: number; from: string | null; to: string | null; source: string; reason?: string }) =>
  out(`#${e.id}: ${e.from ?? '∅'} → ${e.to ?? '∅'} (${e.source})${e.reason ? ` ${e.reason}` : ''}`);

export async function start(o: Huskies, id: number, begin: (o: Huskies) => Promise<RunRecord>, quiet: boolean): Promise<number> {
  await o.start();
  o.on('transition', printTransition);
  let run: RunRecord;
  try {
    run = await begin(o);
  } catch (err) {
    await o.dispose({ stopAgents: false });
    throw err;
  }
  if (o.follower) {
    out(
      `The Huskies orchestrator running as pid ${o.follower.pid} (${o.follower.by}) drives this project: it runs the agent on story ${id} (run ${run.runId}). Follow it with \`huskies log ${id}\`.`,
    );
    await o.dispose({ stopAgents: false });
    return 0;
  }
  const sub = quiet ? undefined : follow(o, id);
  onSignal(() => o.dispose({ stopAgents: true }));
  const ended = await new Promise<RunRecord>((resolve) => {
    o.on('runEnded', (r: RunRecord) => {
      if (r.runId === run.runId) resolve(r);
    });
  });
  o.hub.flush();
  sub?.dispose();
  const stage = o.store.get(id)?.stage;
  await o.dispose({ stopAgents: true });
  out(`Story ${id}: agent ${ended.status}${ended.reason ? ` — ${ended.reason}` : ''}; the story is in ${stage}.`);
  return ended.status === 'succeeded' ? 0 : 1;
}

export async function run(o: Huskies, quiet: boolean): Promise<number> {
  await o.start();
  if (o.follower) {
    out(`Another Huskies orchestrator (pid ${o.follower.pid}, ${o.follower.by}) already drives ${o.root}.`);
    await o.dispose({ stopAgents: false });
    return 1;
  }
  out(`Huskies is running on ${o.root} (Ctrl+C to stop).`);
  o.on('transition', printTransition);
  o.on('runEnded', (r: RunRecord) => out(`#${r.storyId}: ${r.agent} ${r.status}${r.reason ? ` — ${r.reason}` : ''}`));
  if (!quiet) follow(o);
  await new Promise<void>((resolve) =>
    onSignal(async () => {
      await o.dispose({ stopAgents: true });
      resolve();
    }),
  );
  return 0;
}
