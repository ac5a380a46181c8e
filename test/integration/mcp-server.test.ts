// The orchestrator's MCP server against a real Huskies on a temp repository, called through the
// official SDK client over HTTP: tokens, loopback-only guards, and each tool's effect on the files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Huskies } from '../../src/core/api';
import { MCP_TOOL_NAMES } from '../../src/core/agents/runtimes';
import { mcpRecordFile } from '../../src/core/mcp/service';
import { handSession } from '../../src/core/mcp/handoff';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

const AGENTS = '[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM_DELAY_MS = "10" }\n';
type ToolOut = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe('MCP server (integration)', function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let o: Huskies;
  let url: string;
  let token: string;
  let runId: string;
  let client: Client;

  before(() => ensureSimBuilt());
  beforeEach(async () => {
    repo = await makeRepo({ agentsToml: AGENTS, projectToml: 'qa_command = "test -f README.md"\n' });
    repo.story(1, 'Hangs', { criteria: ['First', 'Second'], extra: 'sim: hang\n' });
    repo.story(2, 'Someone else', { criteria: ['Theirs'] });
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300, autoAssign: false });
    await o.start();
    const run = await o.startAgent(1);
    runId = run.runId;
    // the pool registered the run when it launched it
    await waitFor(() => o.o.mcp.tokens.session(runId), 'the run registered on the MCP server');
    const r = o.registry.get(runId)!;
    ({ url, token } = await o.o.mcp.register({ runId, storyId: 1, worktree: r.worktree, transcript: r.transcript }));
    client = await connect(token);
  });
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await o.dispose();
    repo.cleanup();
  });

  async function connect(t: string): Promise<Client> {
    const c = new Client({ name: 'test', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${t}` } } }));
    return c;
  }
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolOut;
  const textOf = (r: ToolOut) => r.content.map((c) => c.text).join('\n');
  const storyFile = (id: number) => o.store.get(id)!.path;
  const audit = () => fs.readFileSync(path.join(repo.dir, '.huskies', 'audit.log'), 'utf8');
  const post = (headers: Record<string, string>, body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}') =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });

  /** node:http lets a test send any Host header (fetch does not). */
  const rawStatus = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
      const u = new URL(url);
      const req = http.request(
        {
          host: '127.0.0.1',
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('listens on 127.0.0.1 only and lists every tool the launches allow', async () => {
    assert.equal(o.o.mcp.address()?.address, '127.0.0.1');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...MCP_TOOL_NAMES].sort());
    for (const t of tools) assert.equal(t.inputSchema.type, 'object');
  });

  it('refuses a missing or wrong token with 401 and a JSON-RPC error, a foreign Host or Origin with 403, a huge body with 413', async () => {
    const none = await post({});
    assert.equal(none.status, 401);
    const body = (await none.json()) as { jsonrpc: string; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.match(body.error.message, /Authorization: Bearer/);
    const wrong = await post({ authorization: `Bearer ${token}x` });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /not valid/);
    assert.equal((await post({ authorization: `Bearer ${token}`, origin: 'http://evil.example' })).status, 403);
    assert.equal(await rawStatus({ host: `evil.example:${new URL(url).port}`, authorization: `Bearer ${token}` }), 403);
    assert.equal(await rawStatus({ host: new URL(url).host, authorization: `Bearer ${token}` }), 200);
    assert.equal((await post({ authorization: `Bearer ${token}` }, 'x'.repeat(1024 * 1024 + 10))).status, 413);
    assert.equal((await fetch(url.replace('/mcp', '/other'), { method: 'POST' })).status, 404);
    assert.equal((await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}` } })).status, 405);
    assert.equal((await post({ authorization: `Bearer ${token}` })).status, 200);
  });

  it('check_criterion ticks the story file; another story is refused and left alone; each call has an audit line', async () => {
    const ok = await call('check_criterion', { index: 1 });
    assert.ok(!ok.isError, textOf(ok));
    assert.match(fs.readFileSync(storyFile(1), 'utf8'), /- \[x\] Second/);
    assert.match(fs.readFileSync(storyFile(1), 'utf8'), /- \[ \] First/);
    const before = fs.readFileSync(storyFile(2), 'utf8');
    const other = await call('check_criterion', { index: 0, story_id: 2 });
    assert.equal(other.isError, true);
    assert.match(textOf(other), /story_id.*story 2 is not yours/);
    assert.equal(fs.readFileSync(storyFile(2), 'utf8'), before);
    const bad = await call('check_criterion', { index: 'one' });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /argument "index"/);
    const lines = audit()
      .split('\n')
      .filter((l) => l.includes('mcp.call'));
    assert.equal(lines.length, 3, audit());
    assert.ok(lines.every((l) => l.includes(runId)));
    assert.match(fs.readFileSync(mcpRecordFile(o.registry.get(runId)!.transcript), 'utf8'), /MCP check_criterion \(refused\)/);
  });

  it('create_story writes a new story to the backlog; get_story reads any story; status shows the caller', async () => {
    const r = await call('create_story', { name: 'Found a bug', criteria: ['It is fixed'], description: 'Seen while working on 1.' });
    assert.ok(!r.isError, textOf(r));
    const id = r.structuredContent!.id as number;
    await o.rescan();
    const made = o.store.get(id)!;
    assert.equal(made.stage, 'backlog');
    assert.match(fs.readFileSync(made.path, 'utf8'), /- \[ \] It is fixed/);
    const read = await call('get_story', { id: 2 });
    assert.match(read.structuredContent!.content as string, /Someone else/);
    const st = await call('status');
    const own = st.structuredContent!.your_story as { id: number; stage: string; criteria: unknown[] };
    assert.equal(own.id, 1);
    assert.equal(own.stage, 'current');
    assert.equal(own.criteria.length, 2);
    assert.equal((st.structuredContent!.stages as Record<string, number>).backlog, 2);
    const deps = await call('create_story', { name: 'Later', criteria: ['x'], depends_on: [99] });
    assert.equal(deps.isError, true);
    assert.match(textOf(deps), /depends_on names story 99, which does not exist/);
    const after = await call('create_story', { name: 'After', criteria: ['x'], depends_on: [1] });
    assert.ok(!after.isError, textOf(after));
    await o.rescan();
    assert.deepEqual(o.store.get(after.structuredContent!.id as number)!.dependsOn, [1], 'depends_on is in the new story');
  });

  it('move_story never goes to merge or done, and another story is refused', async () => {
    for (const to of ['merge', 'done']) {
      const r = await call('move_story', { to });
      assert.equal(r.isError, true);
      assert.match(textOf(r), new RegExp(`argument "to".*${to}`));
    }
    assert.equal((await call('move_story', { to: 'qa', story_id: 2 })).isError, true);
    assert.equal(o.store.get(1)!.stage, 'current');
    assert.equal(o.store.get(2)!.stage, 'backlog');
  });

  it('run_tests returns a job at once and test_result reports it passed with the output', async () => {
    const r = await call('run_tests');
    assert.ok(!r.isError, textOf(r));
    const job = r.structuredContent!.job as string;
    const done = (await waitFor(async () => {
      const t = await call('test_result', { job });
      return t.structuredContent!.status !== 'running' && t;
    }, 'the test job to finish')) as ToolOut;
    assert.equal(done.structuredContent!.status, 'passed', textOf(done));
    assert.equal((await call('test_result', { job: 'tests-nope' })).isError, true);
  });

  it('report_progress goes to the run record and the audit log; ask_question blocks the story with the question', async () => {
    await call('report_progress', { message: 'halfway there', percent: 50 });
    await call('report_progress', { message: `my token is ${token}` });
    assert.ok(!audit().includes(token), 'a token is masked in the audit log');
    assert.ok(!fs.readFileSync(mcpRecordFile(o.registry.get(runId)!.transcript), 'utf8').includes(token), 'and in the record');
    assert.match(fs.readFileSync(mcpRecordFile(o.registry.get(runId)!.transcript), 'utf8'), /50%: halfway there/);
    assert.match(audit(), /mcp\.call.*50%: halfway there/);
    const q = await call('ask_question', { question: 'Tabs or spaces?', options: ['tabs', 'spaces'] });
    assert.ok(!q.isError, textOf(q));
    const item = o.store.get(1)!;
    assert.equal(item.blocked, true);
    assert.match(String(item.frontMatter.question), /Tabs or spaces\?/);
    assert.match(fs.readFileSync(item.path, 'utf8'), /question:/);
  });

  it("the run's token stops working when the run ends", async () => {
    assert.equal((await post({ authorization: `Bearer ${token}` })).status, 200);
    await o.stopAgent(1);
    await waitFor(() => o.registry.get(runId)?.status !== 'running', 'the run to end');
    await waitFor(() => !o.o.mcp.tokens.session(runId), 'the token revoked');
    assert.equal((await post({ authorization: `Bearer ${token}` })).status, 401);
  });

  it('a session started by hand: `.huskies/logs/mcp.json` (0600) gives a token for one story, a forged one is refused, and the file goes with the server', async () => {
    const huskiesDir = path.join(repo.dir, '.huskies');
    const file = path.join(huskiesDir, 'logs', 'mcp.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const s = await handSession(huskiesDir, 2);
    assert.ok(!('problem' in s), JSON.stringify(s));
    assert.equal(s.url, url);
    const hand = await connect(s.token);
    const st = (await hand.callTool({ name: 'status', arguments: {} })) as ToolOut;
    assert.equal((st.structuredContent!.your_story as { id: number }).id, 2);
    const tick = (await hand.callTool({ name: 'check_criterion', arguments: { index: 0 } })) as ToolOut;
    assert.ok(!tick.isError, textOf(tick));
    assert.match(fs.readFileSync(storyFile(2), 'utf8'), /- \[x\] Theirs/);
    await hand.close();
    assert.match(audit(), /"cmd":"mcp.call".*check_criterion/);
    const forged = s.token.replace(/^hk_s2_./, (m) => `${m.slice(0, -1)}${m.endsWith('A') ? 'B' : 'A'}`);
    assert.equal((await post({ authorization: `Bearer ${forged}` })).status, 401);
    assert.equal((await post({ authorization: `Bearer ${s.token.replace('hk_s2_', 'hk_s1_')}` })).status, 401, 'a token is for its own story only');
    await o.dispose();
    assert.ok(!fs.existsSync(file), 'the file is removed when the server stops');
    assert.match(((await handSession(huskiesDir, 2)) as { problem: string }).problem, /no Huskies serves this project now/);
  });

  it('timers and triggers through MCP: an agent schedules and cancels its own, never the user’s; a timer’s tool call acts for the story it names', async () => {
    const made = await call('schedule_timer', { every: '30m', action: { prompt: 'Check the nightly build' } });
    assert.ok(!made.isError, textOf(made));
    const id = made.structuredContent!.id as string;
    const listed = await call('list_timers');
    assert.match(textOf(listed), new RegExp(`"id": "${id}"[\\s\\S]*"made_by": "mcp"`));
    const mine = await o.addTimer({ every: '1h', action: { prompt: 'the user’s own' } });
    const refused = await call('cancel_timer', { id: mine.id });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /made by the user/);
    assert.ok(!(await call('cancel_timer', { id })).isError);
    assert.deepEqual(
      o.timers().map((t) => t.id),
      [mine.id],
    );
    const bad = await call('schedule_timer', { at: '09:00', every: '1h', action: { prompt: 'x' } });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /exactly one of "at", "every", "cron"/);
    const trig = await call('create_trigger', { when: { to: 'done' }, action: { tool: 'create_story', args: { name: 'Release notes', criteria: ['written'] } }, mode: 'once' });
    assert.ok(!trig.isError, textOf(trig));
    assert.equal(o.triggers()[0].source, 'mcp');
    // what a timer's tool action runs: the same dispatch, acting for the story its arguments name
    const ticked = await o.o.mcp.scheduledCall('check_criterion', { story_id: 2, index: 0 });
    assert.equal(ticked.ok, true, ticked.error);
    assert.match(fs.readFileSync(storyFile(2), 'utf8'), /- \[x\] Theirs/);
    const none = await o.o.mcp.scheduledCall('check_criterion', { index: 0 });
    assert.equal(none.ok, false);
    assert.match(none.error!, /acts for no story of its own: name one with story_id/);
  });
});
