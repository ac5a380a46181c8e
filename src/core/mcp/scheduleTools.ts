// Timers and triggers as MCP tools, once the orchestrator offers them (McpDeps.schedule).
import type { ToolDef } from './types';

export function scheduleTools(): ToolDef[] {
  return [];
}
