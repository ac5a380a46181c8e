// One tool call: the arguments checked against the tool's schema (a refusal names the argument),
// the tool run, and the call recorded — through the one writer (`mcp.call`: an audit line and an
// event) and in the run's record. A failing tool is an error result, never a crash of the server.
import { z } from 'zod';
import type { McpSession } from './tokens';
import { ToolError, type McpDeps, type ToolDef, type ToolResult } from './types';

export interface CallResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Where a session's calls are recorded besides the audit log (the run's record file). */
export type CallRecorder = (session: McpSession, line: string, ok: boolean) => void;

const MAX_SUMMARY = 300;

/** The readable reasons zod gives, each naming its argument. */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown argument${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      const where = i.path.length ? `argument "${i.path.map(String).join('.')}"` : 'the arguments';
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/** MCP tokens have a shape of their own: masked wherever a call's text goes, whoever's token it is. */
const hideTokens = (s: string) => s.replace(/hk_[A-Za-z0-9_-]{20,}/g, '[mcp token]');

const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > MAX_SUMMARY ? `${t.slice(0, MAX_SUMMARY)}…` : t;
};

export async function callTool(
  tools: ReadonlyMap<string, ToolDef>,
  deps: McpDeps,
  session: McpSession,
  name: string,
  rawArgs: unknown,
  record?: CallRecorder,
): Promise<CallResult> {
  const tool = tools.get(name);
  let result: ToolResult | undefined;
  let error: string | undefined;
  if (!tool) error = `there is no tool "${oneLine(String(name)).slice(0, 80)}"; the tools are ${[...tools.keys()].join(', ')}.`;
  else {
    const parsed = tool.schema.safeParse(rawArgs ?? {});
    if (!parsed.success) error = `${tool.name}: ${describeIssues(parsed.error)}.`;
    else {
      try {
        result = await tool.run({ session, deps, args: parsed.data });
      } catch (err) {
        if (err instanceof ToolError) error = `${tool.name}: ${err.argument ? `argument "${err.argument}": ` : ''}${err.message}`;
        else {
          deps.logger.error(`MCP ${tool.name} for story ${session.storyId}: ${(err as Error).stack ?? err}`);
          error = `${tool.name} failed inside the orchestrator: ${(err as Error).message}`;
        }
      }
    }
  }
  const toolName = tool?.name ?? 'unknown tool';
  const summary = hideTokens(deps.mask(oneLine(result ? result.summary : (error ?? ''))));
  await recordCall(deps, session, toolName, summary, !error, record);
  if (error) return { content: [{ type: 'text', text: hideTokens(deps.mask(error)) }], isError: true };
  const r = result!;
  return { content: [{ type: 'text', text: hideTokens(deps.mask(r.text)) }], ...(r.data ? { structuredContent: r.data } : {}) };
}

/** The audit line and event through the one writer, and the run's record; recording never fails a call. */
async function recordCall(deps: McpDeps, session: McpSession, tool: string, summary: string, ok: boolean, record?: CallRecorder): Promise<void> {
  const r = await deps
    .request({ type: 'mcp.call', runId: session.runId, storyId: session.storyId, tool, summary, ok })
    .catch((err: Error) => ({ ok: false as const, refusal: err.message }));
  if (!r.ok) deps.logger.warn(`MCP ${tool} for story ${session.storyId} could not be recorded: ${r.refusal}`);
  try {
    record?.(session, `MCP ${tool}${ok ? '' : ' (refused)'}: ${summary}`, ok);
  } catch (err) {
    deps.logger.warn(`MCP ${tool}: the run's record could not be written: ${(err as Error).message}`);
  }
}
