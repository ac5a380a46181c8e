// `huskies mcp-token <n>`: the URL and a token of the MCP server of the process that drives the project,
// acting for story n, and the option that points a hand-started Claude Code at it.
import * as path from 'node:path';
import { claudeMcpConfig, handSession } from '../core/api';
import { out } from './session';
import { UsageError, isStoryNumber } from './usage';

export const MCP_TOKEN_USAGE = `  mcp-token <n>              the MCP server's URL and a token acting for story n, for an agent you start by hand`;

export async function mcpTokenCommand(root: string, rest: string[]): Promise<number> {
  if (!isStoryNumber(rest[0]) || rest.length > 1) throw new UsageError('mcp-token needs one story number, e.g. huskies mcp-token 12');
  const id = Number(rest[0]);
  const s = await handSession(path.join(root, '.huskies'), id);
  if ('problem' in s) {
    process.stderr.write(`huskies: ${s.problem}\n`);
    return 1;
  }
  out(`URL:   ${s.url}`);
  out(`Token: ${s.token}   (acts for story ${id} while this Huskies runs; keep it secret)`);
  out('');
  out('Claude Code, in the story’s worktree (the token stays out of the command line):');
  out(`  export HUSKIES_MCP_TOKEN='${s.token}'`);
  out(`  claude --mcp-config '${claudeMcpConfig(s.url)}'`);
  return 0;
}
