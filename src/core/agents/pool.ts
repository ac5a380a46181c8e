// The agent pool: a queue of runs ordered by priority then story number, bounded concurrency
// (max_coders, per agent, per runtime), one AgentProcess per running run, its transcript
// written before live fan-out, and every ending reported once.
import * as path from 'node:path';
import type { AgentSpec, HuskiesConfig } from '../config/config';
import type { AgentMessage, RunOutcome, Usage } from '../model/agentMessage';
import type { WorkItem } from '../model/workItem';
import { AgentProcess, type Clock } from './agentProcess';
import { createParser } from './parsers';
import { buildLaunch, type LaunchContext } from './runtimes';
import { TranscriptWriter } from './transcript';
import type { LiveHub } from './liveHub';
import type { RunRecord, RunRegistry } from './runRegistry';
import { ensureWorktree } from '../git/git';
import type { Logger } from '../util/log';
import { redact, secretValues } from '../util/log';

export interface PoolDeps {
  root: string;
  registry: RunRegistry;
  hub: LiveHub;
  clock: Clock;
  logger: Logger;
  config(): HuskiesConfig;
  agents(): AgentSpec[];
  item(id: number): WorkItem | undefined;
  /** Everything the launch needs besides the run itself. */
  launchContext(): Omit<LaunchContext, 'prompt' | 'worktree' | 'storyId' | 'storyFile' | 'resumeSessionId'>;
  prompt(item: WorkItem, agent: AgentSpec, run: RunRecord, worktree: string): string;
  /** Agents that may not take work now (rate-limited, drained), with the reason. */
  unavailable(agent: AgentSpec): string | undefined;
  onRunChanged(run: RunRecord): void;
  onRunEnded(run: RunRecord, outcome: RunOutcome): void;
  limits(agent: AgentSpec): { timeoutMs?: number; inactivityMs?: number; graceMs?: number };
}

export class AgentPool {
  private procs = new Map<string, AgentProcess>();
  private launching = new Set<string>();
  private stopped = new Set<string>();
  private disposed = false;

  constructor(private readonly d: PoolDeps) {}

  /** Whether this pool has a process (or a launch under way) for the run. */
  owns(runId: string): boolean {
    return this.procs.has(runId) || this.launching.has(runId);
  }

  running(): number {
    return this.procs.size + this.launching.size;
  }

  queued(): RunRecord[] {
    return this.d.registry
      .all()
      .filter((r) => r.status === 'queued')
      .sort((a, b) => priorityOf(this.d.item(a.storyId)) - priorityOf(this.d.item(b.storyId)) || a.storyId - b.storyId || a.queuedAt - b.queuedAt);
  }

  /** Starts queued runs while there are free slots. Safe to call on every event. */
  pump(): void {
    if (this.disposed) return;
    const cfg = this.d.config();
    for (const run of this.queued()) {
      if (this.running() >= cfg.project.maxCoders) return;
      const agent = this.pickAgent(run);
      if (!agent) continue;
      run.agent = agent.name;
      run.runtime = agent.runtime;
      this.launch(run, agent);
    }
  }

  /** The pinned agent, else the least busy eligible coder that is not rate-limited or drained. */
  pickAgent(run: RunRecord): AgentSpec | undefined {
    const agents = this.d.agents();
    const busy = (a: AgentSpec) => this.d.registry.active().filter((r) => r.status === 'running' && r.agent === a.name).length;
    const perRuntime = this.d.config().project.maxPerRuntime;
    const runtimeBusy = (rt: string) => this.d.registry.active().filter((r) => r.status === 'running' && r.runtime === rt).length;
    const fits = (a: AgentSpec) =>
      !this.d.unavailable(a) &&
      (a.maxConcurrent === undefined || busy(a) < a.maxConcurrent) &&
      (perRuntime[a.runtime] === undefined || runtimeBusy(a.runtime) < perRuntime[a.runtime]!);
    const item = this.d.item(run.storyId);
    const pinned = run.agent && run.agent !== '' ? run.agent : item?.agent;
    if (pinned) {
      const a = agents.find((x) => x.name === pinned) ?? agents.find((x) => x.model === pinned && x.stage === 'coder');
      return a && fits(a) ? a : undefined;
    }
    const coders = agents.filter((a) => a.stage === 'coder' && fits(a));
    coders.sort((a, b) => busy(a) - busy(b));
    return coders[0];
  }

  private launch(run: RunRecord, agent: AgentSpec): void {
    this.launching.add(run.runId);
    run.status = 'running';
    run.startedAt = this.d.clock.now();
    this.d.registry.upsert(run);
    this.d.onRunChanged(run);
    void this.launchAsync(run, agent).finally(() => this.launching.delete(run.runId));
  }

  private async launchAsync(run: RunRecord, agent: AgentSpec): Promise<void> {
    const item = this.d.item(run.storyId);
    const writer = new TranscriptWriter(run.transcript, run.lastSeq);
    const secrets = [...secretValues(process.env), ...secretValues(agent.env)];
    const write = (msgs: AgentMessage[]) => {
      const clean = msgs.map((m) => redactMessage(m, secrets));
      const recs = writer.append(clean, this.d.clock.now());
      run.lastSeq = writer.lastSeq;
      for (const m of clean) {
        if ((m.kind === 'init' || m.kind === 'result') && m.sessionId) run.sessionId = m.sessionId;
        else if (m.kind === 'text' || m.kind === 'thinking' || m.kind === 'tool_use') run.modelReplied = true;
      }
      this.d.hub.publish(run.runId, recs);
    };
    const end = (outcome: RunOutcome) => {
      writer.close();
      this.finish(run, outcome);
    };
    try {
      if (!item) throw new Error(`story ${run.storyId} is gone`);
      if (this.stopped.has(run.runId)) return end({ ok: false, kind: 'cancelled', reason: 'stopped by the user before it started' });
      const wt = await ensureWorktree(this.d.root, item, this.d.config().project.baseBranch);
      run.worktree = wt.dir;
      run.branch = wt.branch;
      run.baseCommit ??= wt.base;
      if (this.stopped.has(run.runId) || this.disposed) return end({ ok: false, kind: 'cancelled', reason: 'stopped by the user before it started' });
      const prompt = run.prompt ?? this.d.prompt(item, agent, run, wt.dir);
      const spec = buildLaunch(agent, {
        ...this.d.launchContext(),
        prompt,
        worktree: wt.dir,
        storyId: item.id,
        storyFile: item.path,
        resumeSessionId: run.sessionId,
      });
      write([{ kind: 'notice', level: 'info', message: `${spec.label} started on story ${item.id} in ${path.relative(this.d.root, wt.dir)} (branch ${wt.branch})${run.sessionId ? `, resuming session ${run.sessionId}` : ''}` }]);
      // Codex reports usage cumulated over its thread: give the parser what earlier runs of this session used.
      const previousUsage = run.sessionId ? sumUsage(this.d.registry.all().filter((r) => r.sessionId === run.sessionId && r.runId !== run.runId && r.usage).map((r) => r.usage!)) : undefined;
      const proc = new AgentProcess(spec, createParser(agent.runtime, { previousUsage }), write, this.d.limits(agent), this.d.clock);
      this.procs.set(run.runId, proc);
      proc.start();
      run.pid = proc.pid;
      this.d.registry.upsert(run);
      this.d.onRunChanged(run);
      const outcome = await proc.done;
      this.procs.delete(run.runId);
      end(outcome);
    } catch (err) {
      this.procs.delete(run.runId);
      const reason = `could not start: ${(err as Error).message}`;
      write([{ kind: 'error', message: reason }]);
      end({ ok: false, kind: 'failed', reason });
    }
  }

  private finish(run: RunRecord, outcome: RunOutcome): void {
    run.status = outcome.ok ? 'succeeded' : outcome.kind === 'cancelled' ? 'stopped' : 'failed';
    run.outcome = outcome.kind;
    run.reason = outcome.ok ? undefined : outcome.reason;
    run.endedAt = this.d.clock.now();
    run.usage = outcome.usage ?? run.usage;
    run.costUsd = outcome.costUsd ?? run.costUsd;
    run.sessionId = outcome.sessionId ?? run.sessionId;
    run.retryAt = outcome.retryAt;
    run.pid = undefined;
    this.stopped.delete(run.runId);
    this.d.registry.upsert(run);
    this.d.hub.flush(); // subscribers see a run's last records before they hear it ended
    this.d.onRunEnded(run, outcome);
    this.pump();
  }

  /** Stops a run: a queued one is dropped, a running one's process group is stopped. */
  stop(runId: string, kind: RunOutcome['kind'] = 'cancelled', reason = 'stopped by the user'): boolean {
    const run = this.d.registry.get(runId);
    if (!run) return false;
    const proc = this.procs.get(runId);
    if (proc) {
      proc.stop(kind, reason);
      return true;
    }
    if (this.launching.has(runId)) {
      this.stopped.add(runId);
      return true;
    }
    if (run.status === 'queued') {
      this.finish(run, { ok: false, kind, reason: reason === 'stopped by the user' ? 'removed from the queue by the user' : reason });
      return true;
    }
    return false;
  }

  /** Stops every running process group and waits for them to end. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const waits = [...this.procs.entries()].map(([, p]) => {
      p.stop('orphaned', 'the orchestrator shut down while this run was going; it is resumed on the next start');
      return p.done;
    });
    await Promise.all(waits);
  }
}

function sumUsage(list: Usage[]): Usage | undefined {
  if (!list.length) return undefined;
  return list.reduce((a, u) => ({ inputTokens: a.inputTokens + u.inputTokens, outputTokens: a.outputTokens + u.outputTokens, cacheReadTokens: a.cacheReadTokens + u.cacheReadTokens, cacheWriteTokens: a.cacheWriteTokens + u.cacheWriteTokens }));
}

function priorityOf(item: WorkItem | undefined): number {
  const p = item?.frontMatter.priority;
  return typeof p === 'number' ? -p : 0;
}

function redactMessage(m: AgentMessage, secrets: string[]): AgentMessage {
  switch (m.kind) {
    case 'text':
    case 'thinking':
      return { ...m, text: redact(m.text, secrets) };
    case 'tool_result':
      return { ...m, content: redact(m.content, secrets) };
    case 'error':
    case 'notice':
      return { ...m, message: redact(m.message, secrets) };
    case 'tool_use': {
      const s = JSON.stringify(m.input ?? null);
      const r = redact(s, secrets);
      if (r === s) return m;
      try {
        return { ...m, input: JSON.parse(r) };
      } catch {
        return { ...m, input: r };
      }
    }
    default:
      return m;
  }
}
