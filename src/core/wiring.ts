// What each part needs from the composition: the state to read, the writer to ask, the ports.
// Builders over the composed orchestrator, so orchestrator.ts only composes.
import type { Orchestrator } from './orchestrator';
import { gatherFacts } from './agents/runFacts';
import { launchContext } from './agents/launchEnv';
import type { PoolDeps } from './agents/pool';
import type { QaWorkerDeps } from './gates/qaWorker';
import type { WorkItem } from './model/workItem';
import { roleOf } from './model/run';
import { stackedOn } from './policies/waits';
import { ensureWorktree, type Worktree } from './git/git';
import { setupWorktree } from './git/worktreeLifecycle';
import { TranscriptWriter } from './agents/transcript';
import type { Command } from './model/commands';
import type { RequestResult } from './pipeline/pipeline';
import type { ReconcileDeps } from './pipeline/reconcile';
import type { SchedulerDeps } from './schedule/scheduler';
import type { MoveCommitterDeps } from './git/moveCommitter';
import { commitStoryFiles } from './git/workCommits';

/** What the pool needs from the composition: the state to read, the writer to ask, the ports. */
export function poolDeps(o: Orchestrator, request: (c: Command) => Promise<RequestResult>): PoolDeps {
  return {
    ...qaDeps(o, request),
    spawner: o.spawner,
    hub: o.hub,
    clock: o.clock,
    agents: () => o.standing.agents(),
    launchContext: () => launchContext(o.root, o.opts),
    secrets: (agent) => o.masker.secretsFor(agent),
    graceMs: o.opts.graceMs,
    workspace: (item, run) => prepareWorktree(o, item, run.transcript),
    notice: (run, message) => {
      const w = new TranscriptWriter(run.transcript, run.lastSeq);
      try {
        w.append([{ kind: 'notice', level: 'info', message: o.masker.mask(message) }], o.clock.now());
        return w.lastSeq;
      } finally {
        w.close();
      }
    },
  };
}

/** What the scheduler (timers' and triggers' actions) needs from the composition. */
export function schedulerDeps(o: Orchestrator): SchedulerDeps {
  return {
    state: o.state,
    bus: o.bus,
    request: (c) => o.request(c),
    logger: o.logger,
    agentsStopped: () => {
      const ctx = o.standing.policyContext();
      const paused = o.state.agentState().paused;
      return ctx.stopped ?? ctx.budgetStop ?? (paused ? `the project is paused (${paused.reason})` : undefined);
    },
  };
}

/** What the committer of story moves needs: it commits only in the process that drives the project, and not during a merge. */
export function moveCommitDeps(o: Orchestrator): MoveCommitterDeps {
  return {
    bus: o.bus,
    clock: o.clock,
    logger: o.logger,
    commit: (ids) => commitStoryFiles({ root: o.root, ids, baseBranch: o.config.project.baseBranch }),
    blocked: () => {
      const why = !o.leads()
        ? 'this process does not drive the project'
        : (o.standing.stopped() ?? (o.config.project.commitMoves ? undefined : 'commit_moves = false in .huskies/project.toml'));
      return why && `story moves are not committed: ${why}`;
    },
    // a merge publishing the base branch fast-forwards the checkout: a commit in between would make it start over
    waitFor: () => (o.state.items().some((i) => o.merges.busy(i.id)) ? 'a merge is in progress' : undefined),
  };
}

/** The story's worktree; a new one gets each component's setup first (its output in the run's transcript). */
async function prepareWorktree(o: Orchestrator, item: WorkItem, transcript: string): Promise<Worktree> {
  // A stacked story starts from its parent's branch (the parent's coder run recorded it).
  const parent = stackedOn(item, o.state);
  const from = parent !== undefined ? [...o.state.runsForStory(parent)].reverse().find((r) => r.branch && roleOf(r) === 'coder')?.branch : undefined;
  // a notice, sent after the event being delivered now (this may run inside a subscriber)
  const progress = (phase: 'start' | 'step' | 'end', more: { message?: string; ok?: boolean } = {}) =>
    queueMicrotask(() => o.bus.emit({ type: 'work.progress', kind: 'worktree', id: item.id, phase, ...more }));
  progress('start');
  let ok = false;
  try {
    const wt = await ensureWorktree(o.root, item, o.config.project.baseBranch, from);
    const components = o.config.project.components.filter((c) => c.setup.length > 0);
    if (wt.created && components.length) {
      progress('step', { message: 'running setup' });
      const r = await setupWorktree({ dir: wt.dir, components, mask: (t) => o.masker.mask(t), transcript, nice: o.config.project.backgroundNice });
      if (!r.ok) throw new Error(`the worktree's setup failed: ${r.summary}`);
    }
    ok = true;
    return wt;
  } finally {
    progress('end', { ok });
  }
}

/** What the QA and merge workers need from the composition. */
export function qaDeps(o: Orchestrator, request: (c: Command) => Promise<RequestResult>): QaWorkerDeps {
  return {
    root: o.root,
    logsDir: o.logsDir,
    state: o.state,
    bus: o.bus,
    request,
    config: () => o.config,
    mask: (t) => o.masker.mask(t),
    now: () => o.clock.now(),
    logger: o.logger,
    stopped: () => o.standing.stopped(),
  };
}

export function reconcileDeps(o: Orchestrator): ReconcileDeps {
  return {
    state: o.state,
    spawner: o.spawner,
    request: (c) => o.request(c),
    follow: (r, h) => o.pool.follow(r, h),
    facts: (r) => gatherFacts(r, o.logsDir, { criteriaCount: o.state.item(r.storyId)?.criteria.length, criteria: o.state.item(r.storyId)?.criteria }),
    logger: o.logger,
  };
}
