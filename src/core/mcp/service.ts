// The MCP service of one orchestrator: the HTTP endpoint, the tokens of the runs it launched, the
// tools and their background test jobs. The pool registers a run when it launches it and revokes
// the token when the run ends; the orchestrator starts the service only where agents may run.
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TranscriptWriter } from '../agents/transcript';
import { callTool, type CallResult } from './dispatch';
import { McpHttpServer } from './httpServer';
import { STORY_TOOLS } from './storyTools';
import { scheduleTools } from './scheduleTools';
import { TestJobs, testTools } from './testTools';
import { TokenRegistry, storyOfToken, type McpSession } from './tokens';
import { removeHandoff, writeHandoff } from './handoff';
import type { McpDeps, ToolDef } from './types';

export interface McpEndpoint {
  url: string;
  token: string;
}

/** The file beside a run's transcript where its MCP calls are recorded (the transcript itself is the program's). */
export function mcpRecordFile(transcript: string): string {
  return transcript.replace(/\.jsonl$/, '') + '.mcp.jsonl';
}

export class McpService {
  /** The secret hand-session tokens are derived from (see handoff.ts); new for each process. */
  private readonly handKey = randomBytes(32);
  readonly tokens = new TokenRegistry((t) => this.handSession(t));
  readonly jobs = new TestJobs();
  readonly tools: ReadonlyMap<string, ToolDef>;
  private readonly http: McpHttpServer;
  private started?: Promise<string>;
  /** The open record file of each session, so a call appends without re-reading it. */
  private writers = new Map<string, TranscriptWriter>();

  constructor(private readonly deps: McpDeps) {
    const all = [...STORY_TOOLS, ...testTools(this.jobs), ...scheduleTools()];
    this.tools = new Map(all.map((t) => [t.name, t]));
    this.http = new McpHttpServer({
      tokens: this.tokens,
      tools: this.tools,
      call: (session, name, args) => this.call(session, name, args),
      onError: (m) => deps.logger.error(m),
    });
  }

  /** Starts listening (once) and tells hand-started sessions where (`.huskies/logs/mcp.json`); resolves with the endpoint URL. */
  start(): Promise<string> {
    this.started ??= this.http.start().then(async (url) => {
      await writeHandoff(path.dirname(this.deps.logsDir), { url, key: this.handKey }).catch((err: Error) =>
        this.deps.logger.warn(`MCP: sessions started by hand cannot find the server: ${err.message}`),
      );
      return url;
    });
    return this.started;
  }

  /** A token from `huskies mcp-token <story>`: it acts for that story, while the story exists. */
  private handSession(presented: string): McpSession | undefined {
    const storyId = storyOfToken(this.handKey, presented);
    if (storyId === undefined || !this.deps.state.item(storyId)) return undefined;
    const worktree = [...this.deps.state.runsForStory(storyId)].reverse().find((r) => r.worktree && !r.role)?.worktree;
    return { key: `hand-${storyId}`, storyId, worktree, transcript: path.join(this.deps.logsDir, `hand-${storyId}.jsonl`) };
  }

  get running(): boolean {
    return this.started !== undefined;
  }

  get url(): string {
    return this.http.url;
  }

  address() {
    return this.http.address();
  }

  /** A token for a run, acting for its story; call revoke(runId) when the run ends. */
  async register(run: { runId: string; storyId: number; worktree?: string; transcript?: string }): Promise<McpEndpoint> {
    const url = await this.start();
    const token = this.tokens.register({ key: run.runId, runId: run.runId, storyId: run.storyId, worktree: run.worktree, transcript: run.transcript });
    return { url, token };
  }

  /** A token for a session started by hand on a story (no run): it lasts until revoked or the orchestrator stops. */
  async registerManual(storyId: number, worktree?: string): Promise<McpEndpoint & { key: string }> {
    const url = await this.start();
    const key = `manual-${storyId}-${randomBytes(4).toString('hex')}`;
    const transcript = path.join(this.deps.logsDir, `${key}.jsonl`);
    const token = this.tokens.register({ key, storyId, worktree, transcript });
    return { url, token, key };
  }

  revoke(key: string): void {
    this.tokens.revoke(key);
    this.jobs.forget(key);
    this.writers.get(key)?.close();
    this.writers.delete(key);
  }

  /**
   * A scheduled timer's or a trigger's tool call, through the same dispatch as an agent's: it acts for the story
   * its arguments name (`story_id`), or for none.
   */
  async scheduledCall(tool: string, args: Record<string, unknown>): Promise<{ ok: boolean; text?: string; error?: string }> {
    const storyId = typeof args.story_id === 'number' && Number.isInteger(args.story_id) && args.story_id > 0 ? args.story_id : 0;
    const worktree = storyId ? [...this.deps.state.runsForStory(storyId)].reverse().find((r) => r.worktree && !r.role)?.worktree : undefined;
    const r = await this.call({ key: `schedule-${storyId}`, storyId, worktree }, tool, args);
    const text = r.content.map((c) => c.text).join('\n');
    return r.isError ? { ok: false, error: text } : { ok: true, text };
  }

  /** One tool call for a session, as the HTTP endpoint makes it (tests and benchmarks call it directly). */
  call(session: McpSession, name: string, args: unknown): Promise<CallResult> {
    return callTool(this.tools, this.deps, session, name, args, (s, line, ok) => this.record(s, line, ok));
  }

  private record(session: McpSession, line: string, ok: boolean): void {
    if (!session.transcript) return;
    let w = this.writers.get(session.key);
    if (!w) {
      w = new TranscriptWriter(mcpRecordFile(session.transcript));
      this.writers.set(session.key, w);
    }
    w.append([{ kind: 'notice', level: ok ? 'info' : 'warning', message: line }], this.deps.now());
  }

  async stop(): Promise<void> {
    this.jobs.abortAll();
    this.tokens.clear();
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
    if (this.started) await this.started.catch(() => undefined);
    if (this.started) await removeHandoff(path.dirname(this.deps.logsDir)).catch(() => undefined);
    this.started = undefined;
    await this.http.stop();
    await this.jobs.settle();
  }
}
