// Kept for older imports: the run record lives in run.ts.
export * from './run';
export type { RunRecord as AgentRun } from './run';
