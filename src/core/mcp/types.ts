// What the MCP tools may use of the orchestrator: the state to read, the one writer to ask, the
// config, and a few services. The orchestrator passes itself through this; tests pass a small core.
import type { z } from 'zod';
import type { HuskiesConfig } from '../config/config';
import type { Command } from '../model/commands';
import type { RequestResult } from '../pipeline/pipeline';
import type { PolicyContext } from '../policies/types';
import type { StateView } from '../state/types';
import type { GateResult } from '../gates/serverGates';
import type { Logger } from '../util/log';
import type { McpSession } from './tokens';

export interface McpDeps {
  state: StateView;
  /** The one writer (the orchestrator's request). */
  request(c: Command): Promise<RequestResult>;
  config(): HuskiesConfig;
  policyContext(): PolicyContext;
  now(): number;
  logger: Logger;
  /** Masks known secrets in text that is written or returned. */
  mask(text: string): string;
  /** Runs the project's QA gates in a worktree; the real ones by default. */
  gates?(dir: string, config: HuskiesConfig, signal: AbortSignal): Promise<GateResult>;
  /** .huskies/logs: where the output of run_tests goes. */
  logsDir: string;
}

/** A refusal the caller can act on: what is wrong and, when it is one argument, which. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly argument?: string,
  ) {
    super(message);
  }
}

export interface ToolResult {
  /** Shown to the model. */
  text: string;
  /** Also returned as structured content. */
  data?: Record<string, unknown>;
  /** One line for the audit log and the run's record. */
  summary: string;
}

export interface ToolCall<A> {
  session: McpSession;
  deps: McpDeps;
  args: A;
}

export interface ToolDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  schema: S;
  /** Whether the tool changes state: then a story id other than the caller's is refused. */
  changes: boolean;
  run(call: ToolCall<z.infer<S>>): Promise<ToolResult>;
}

export function defineTool<S extends z.ZodType>(t: ToolDef<S>): ToolDef {
  return t as unknown as ToolDef;
}
