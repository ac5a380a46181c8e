// The server QA gate: the project's test commands ([[component]] tests, then qa_command) run in a
// story's worktree or a merge worktree, with the outcome summed up for the card and the next coder.
import { fmtDuration } from '../agents/agentProcess';
import type { ComponentSpec, ProjectConfig } from '../config/types';
import { componentDir, describeEnd, runSteps, type CommandResult, type RunOptions, type Step } from './commandRunner';

export { DEFAULT_COMMAND_TIMEOUT_MS as DEFAULT_GATE_TIMEOUT_MS, type CommandResult } from './commandRunner';

export const NO_GATES_SUMMARY = 'no test command is configured (add qa_command or a [[component]] test)';

export interface GateOptions extends RunOptions {
  /** The worktree (story or merge) the gates run in; component paths are relative to it. */
  dir: string;
  config: Pick<ProjectConfig, 'components' | 'qaCommand'>;
  /** Also run each component's setup before its tests (setup normally runs when the worktree is made). */
  runSetup?: boolean;
}

export interface GateResult {
  ok: boolean;
  /** The commands that ran, in order; the first failure ends the run. */
  results: CommandResult[];
  /** One line for the card, e.g. "`npm test` failed: exit 1 after 3 s". */
  summary: string;
  /** The last ~4 KB of output of the failed command (or the last one), masked, for the next coder prompt and the card. */
  outputTail: string;
  /** Nothing is configured: the result passes, and the board should say that nothing was tested. */
  noGates?: true;
  /** The abort signal stopped the run. */
  aborted?: true;
}

/** The steps in order: per component its setup (when asked) and tests, then qa_command. */
export function gateSteps(dir: string, config: GateOptions['config'], runSetup = false): Step[] {
  const steps: Step[] = [];
  for (const comp of config.components) {
    const commands = [...(runSetup ? comp.setup : []), ...comp.test];
    if (commands.length === 0) continue;
    const { cwd, error } = componentDir(dir, comp);
    for (const command of commands) steps.push({ command, cwd, ...(error ? { error } : {}) });
  }
  for (const command of config.qaCommand ?? []) steps.push({ command, cwd: dir });
  return steps;
}

/** Whether any test command is configured at all (setup alone tests nothing). */
export function hasGates(config: GateOptions['config']): boolean {
  return (config.qaCommand?.length ?? 0) > 0 || config.components.some((c: ComponentSpec) => c.test.length > 0);
}

/** Runs the gates; never throws. A missing component folder or a failed setup fails the gates with its reason. */
export async function runGates(opts: GateOptions): Promise<GateResult> {
  if (!hasGates(opts.config)) return { ok: true, results: [], summary: NO_GATES_SUMMARY, outputTail: '', noGates: true };
  const steps = gateSteps(opts.dir, opts.config, opts.runSetup);
  const run = await runSteps(steps, opts, true);
  const result: GateResult = { ok: run.ok, results: run.results, summary: summarize(run.results, steps.length, run.aborted, opts.timeoutMs), outputTail: run.outputTail };
  if (run.aborted) result.aborted = true;
  return result;
}

function summarize(results: CommandResult[], planned: number, aborted: boolean, timeoutMs: number | undefined): string {
  const failed = results.find((r) => r.exitCode !== 0 || r.error || r.timedOut || r.aborted);
  const total = results.reduce((s, r) => s + r.durationMs, 0);
  if (!failed) {
    if (aborted) return `stopped before all gates ran (${results.length} of ${planned} passed)`;
    return `${planned === 1 ? 'the gate command' : `all ${planned} gate commands`} passed in ${fmtDuration(total)}`;
  }
  const notRun = planned - results.length;
  const rest = notRun > 0 ? `; ${notRun} later command${notRun === 1 ? ' was' : 's were'} not run` : '';
  return `\`${failed.command}\` failed: ${describeEnd(failed, timeoutMs)}${rest}`;
}
