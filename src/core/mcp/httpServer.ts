// The MCP endpoint: Streamable HTTP (the official SDK's transport, stateless: one protocol server
// per request) on 127.0.0.1 only, at one path. Before the SDK sees a request it must name this
// host (no DNS rebinding), carry a registered bearer token, and stay under the size limit.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { bearerOf, type McpSession, type TokenRegistry } from './tokens';
import type { ToolDef } from './types';

export const MCP_PATH = '/mcp';
/** A tool call is small; anything bigger is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpServerDeps {
  tokens: TokenRegistry;
  tools: ReadonlyMap<string, ToolDef>;
  call(session: McpSession, name: string, args: unknown): Promise<Record<string, unknown>>;
  onError(message: string): void;
  /** The version the server reports. */
  version?: string;
}

/** A JSON-RPC error response outside any request (the request was not let through). */
function refuse(res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export class McpHttpServer {
  private server?: http.Server;
  private port = 0;
  private listed?: { name: string; description: string; inputSchema: Record<string, unknown> }[];

  constructor(private readonly d: HttpServerDeps) {}

  /** Listens on 127.0.0.1 at a free port; resolves with the endpoint's URL. */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        this.d.onError(`MCP request failed: ${err.stack ?? err.message}`);
        if (!res.headersSent) refuse(res, 500, -32603, `internal error: ${err.message}`);
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 0; // a tool call may take long; the body itself is limited
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${MCP_PATH}`;
  }

  /** The address the server listens on (for checks that it is loopback only). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private hostAllowed(host: string | undefined): boolean {
    const ok = [`127.0.0.1:${this.port}`, `localhost:${this.port}`, `[::1]:${this.port}`];
    return !!host && ok.includes(host.toLowerCase());
  }

  private originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true; // programs send none; browsers always do
    return [`http://127.0.0.1:${this.port}`, `http://localhost:${this.port}`, `http://[::1]:${this.port}`].includes(origin.toLowerCase());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== MCP_PATH) return refuse(res, 404, -32601, `Not found: the MCP endpoint is ${MCP_PATH}.`);
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE')
      return refuse(res, 405, -32601, `Method ${req.method} not allowed: use POST (or GET, DELETE).`, { allow: 'POST, GET, DELETE' });
    if (!this.hostAllowed(req.headers.host)) return refuse(res, 403, -32600, `Forbidden: Host "${req.headers.host ?? ''}" is not this server's loopback address.`);
    if (!this.originAllowed(req.headers.origin)) return refuse(res, 403, -32600, `Forbidden: Origin "${req.headers.origin}" is not allowed.`);
    const token = bearerOf(req.headers.authorization);
    const session = this.d.tokens.lookup(token);
    if (!session)
      return refuse(
        res,
        401,
        -32001,
        token
          ? 'Unauthorized: the bearer token is not valid (wrong, or its run has ended).'
          : 'Unauthorized: send "Authorization: Bearer <token>" with the token given to this run.',
        { 'www-authenticate': 'Bearer realm="huskies"' },
      );
    let body: unknown;
    if (req.method === 'POST') {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_BODY_BYTES) return refuse(res, 413, -32600, `Request too large: at most ${MAX_BODY_BYTES} bytes.`, { connection: 'close' });
      const raw = await readBody(req, MAX_BODY_BYTES);
      if (raw === undefined) return refuse(res, 413, -32600, `Request too large: at most ${MAX_BODY_BYTES} bytes.`, { connection: 'close' });
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return refuse(res, 400, -32700, `Parse error: the body is not JSON (${(err as Error).message}).`);
      }
    }
    const server = this.protocolServer(session);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private protocolServer(session: McpSession): Server {
    const server = new Server(
      { name: 'huskies', version: this.d.version ?? '1' },
      {
        capabilities: { tools: {} },
        instructions: `The Huskies orchestrator for story ${session.storyId}: read the pipeline (status, get_story), tick your acceptance criteria, run the QA gates, ask the user a question, report progress.`,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: this.toolList() }));
    server.setRequestHandler(CallToolRequestSchema, async (r) => this.d.call(session, r.params.name, r.params.arguments ?? {}));
    return server;
  }

  private toolList() {
    this.listed ??= [...this.d.tools.values()].map((t) => {
      const schema = z.toJSONSchema(t.schema, { io: 'input' }) as Record<string, unknown>;
      delete schema.$schema;
      return { name: t.name, description: t.description, inputSchema: schema };
    });
    return this.listed;
  }
}

/** The body, or undefined once it passes the limit (the rest is not read). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        resolve(undefined);
        req.resume();
      } else chunks.push(c);
    });
    req.on('end', () => !over && resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
