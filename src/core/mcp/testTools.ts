// run_tests and test_result: the project's QA gates run in the caller's worktree in the background;
// the call returns a job id at once and test_result says how it went, with the output's tail.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import { runGates, type GateResult } from '../gates/serverGates';
import { defineTool, ToolError, type ToolDef } from './types';

interface Job {
  id: string;
  sessionKey: string;
  status: 'running' | 'passed' | 'failed';
  startedAt: number;
  endedAt?: number;
  result?: GateResult;
  done: Promise<void>;
  abort: AbortController;
}

/** Jobs are kept for the session that started them; a session has at most one running at a time. */
export class TestJobs {
  private jobs = new Map<string, Job>();

  start(sessionKey: string, now: number, work: (signal: AbortSignal) => Promise<GateResult>, clock: () => number): Job {
    const running = [...this.jobs.values()].find((j) => j.sessionKey === sessionKey && j.status === 'running');
    if (running) return running;
    const job: Job = { id: `tests-${randomBytes(6).toString('hex')}`, sessionKey, status: 'running', startedAt: now, done: Promise.resolve(), abort: new AbortController() };
    job.done = work(job.abort.signal)
      .catch((err: Error): GateResult => ({ ok: false, results: [], summary: `the gates could not run: ${err.message}`, outputTail: '' }))
      .then((r) => {
        job.result = r;
        job.status = r.ok ? 'passed' : 'failed';
        job.endedAt = clock();
      });
    this.jobs.set(job.id, job);
    // Old finished jobs of the session go: the last few are enough to ask about.
    const mine = [...this.jobs.values()].filter((j) => j.sessionKey === sessionKey && j.status !== 'running');
    for (const j of mine.slice(0, Math.max(0, mine.length - 10))) this.jobs.delete(j.id);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Forgets a session's jobs (its run ended); running gates are stopped. */
  forget(sessionKey: string): void {
    for (const j of [...this.jobs.values()])
      if (j.sessionKey === sessionKey) {
        j.abort.abort();
        this.jobs.delete(j.id);
      }
  }

  /** Stops every running job (shutdown). */
  abortAll(): void {
    for (const j of this.jobs.values()) j.abort.abort();
  }

  /** Waits for every running job (for a clean shutdown and for tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }
}

export function testTools(jobs: TestJobs): ToolDef[] {
  const runTests = defineTool({
    name: 'run_tests',
    description: "Runs the project's QA gates (each component's tests, then qa_command) in your worktree, in the background. Returns a job id at once: ask test_result with it.",
    schema: z.strictObject({}),
    changes: true,
    async run(call) {
      const dir = call.session.worktree;
      if (!dir) throw new ToolError('this session has no worktree to test in.');
      const config = call.deps.config();
      const transcript = path.join(call.deps.logsDir, `${call.session.key}.tests.jsonl`);
      const gates =
        call.deps.gates ??
        ((d, c, signal) => runGates({ dir: d, config: c.project, transcript, mask: call.deps.mask, signal, now: call.deps.now, nice: c.project.backgroundNice }));
      const job = jobs.start(
        call.session.key,
        call.deps.now(),
        (signal) => gates(dir, config, signal),
        () => call.deps.now(),
      );
      return { text: `Started the QA gates: job ${job.id}. Ask test_result with job "${job.id}".`, data: { job: job.id, status: job.status }, summary: `started ${job.id}` };
    },
  });
  const testResult = defineTool({
    name: 'test_result',
    description: 'How a run_tests job went: running, passed or failed, with the summary and the tail of the output.',
    schema: z.strictObject({ job: z.string().min(1).max(100).describe('the id run_tests returned') }),
    changes: false,
    async run(call) {
      const job = jobs.get(call.args.job);
      if (!job || job.sessionKey !== call.session.key) throw new ToolError(`there is no test job "${call.args.job}" of yours (run_tests returns the id).`, 'job');
      const r = job.result;
      const data = {
        job: job.id,
        status: job.status,
        ...(r ? { summary: call.deps.mask(r.summary), output_tail: call.deps.mask(r.outputTail), ...(r.noGates ? { no_gates: true } : {}) } : {}),
      };
      const text = job.status === 'running' ? `Job ${job.id} is still running.` : `Job ${job.id} ${job.status}: ${data.summary}\n${data.output_tail ?? ''}`;
      return { text, data, summary: `${job.id}: ${job.status}` };
    },
  });
  return [runTests, testResult];
}
