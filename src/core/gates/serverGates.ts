// The server QA gate: the project's test commands ([[component]] tests, then qa_command) run in a
// story's worktree or a merge worktree, with the outcome summed up for the card and the next coder.
import type { ComponentSpec, ProjectConfig } from '../config/types';
import { componentSteps, runSteps, type RunOptions, type Step, type StepsResult } from './commandRunner';

export { DEFAULT_COMMAND_TIMEOUT_MS as DEFAULT_GATE_TIMEOUT_MS, type CommandResult } from './commandRunner';

export const NO_GATES_SUMMARY = 'no test command is configured (add qa_command or a [[component]] test)';

export interface GateOptions extends RunOptions {
  /** The worktree (story or merge) the gates run in; component paths are relative to it. */
  dir: string;
  config: Pick<ProjectConfig, 'components' | 'qaCommand'>;
  /** Also run each component's setup before its tests (setup normally runs when the worktree is made). */
  runSetup?: boolean;
}

export interface GateResult extends StepsResult {
  /** Nothing is configured: the result passes, and the board should say that nothing was tested. */
  noGates?: true;
}

/** The steps in order: per component its setup (when asked) and tests, then qa_command. */
export function gateSteps(dir: string, config: GateOptions['config'], runSetup = false): Step[] {
  const steps = componentSteps(dir, config.components, (c) => (runSetup ? [...c.setup, ...c.test] : c.test));
  for (const command of config.qaCommand ?? []) steps.push({ command, cwd: dir });
  return steps;
}

/** Whether any test command is configured at all (setup alone tests nothing). */
export function hasGates(config: GateOptions['config']): boolean {
  return (config.qaCommand?.length ?? 0) > 0 || config.components.some((c: ComponentSpec) => c.test.length > 0);
}

/** Runs the gates; never throws. The first failure ends the run; a missing component folder fails it with its reason. */
export function runGates(opts: GateOptions): Promise<GateResult> {
  if (!hasGates(opts.config)) return Promise.resolve({ ok: true, results: [], summary: NO_GATES_SUMMARY, outputTail: '', noGates: true });
  return runSteps(gateSteps(opts.dir, opts.config, opts.runSetup), opts, { stopOnFailure: true, noun: 'gate command' });
}
