// End to end: an agent's MCP call reaches the board. A story with three acceptance criteria is
// written to the backlog by hand; `huskies mcp-token <n>` gives the URL and a token acting for it
// (read from the `.huskies/logs/mcp.json` the extension writes while it serves); a `check_criterion` call
// over plain HTTP ticks the first criterion, and the card's counter goes from 0/3 to 1/3.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sleep } from '../../scripts/codeServer.mjs';
import { findInWebviews } from './workbench.mjs';

const CRITERIA = ['The first criterion is ticked over MCP', 'The second stays open', 'The third stays open'];
const card = (id) => `div.card[data-story-id="${id}"]`;

/** One more than the highest story number under .huskies/work (the format's rule for a new story). */
function nextStoryNumber(workspace) {
  const work = join(workspace, '.huskies', 'work');
  let max = 0;
  for (const stage of readdirSync(work)) for (const f of readdirSync(join(work, stage))) max = Math.max(max, Number(/^(\d+)_/.exec(f)?.[1] ?? 0));
  return max + 1;
}

/** `huskies mcp-token <id>` in the project: the server's URL and the story's token. */
async function mcpToken(workspace, id, { timeout = 30_000 } = {}) {
  const cli = join(ROOT, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (node esbuild.mjs)`);
  const deadline = Date.now() + timeout;
  for (;;) {
    // The extension writes .huskies/logs/mcp.json once its server listens.
    let text;
    let problem;
    try {
      text = execFileSync(process.execPath, [cli, '-C', workspace, 'mcp-token', String(id)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      problem = `${e.stderr || e.message}`.trim();
    }
    const url = /^URL:\s+(\S+)/m.exec(text ?? '')?.[1];
    const token = /^Token:\s+(\S+)/m.exec(text ?? '')?.[1];
    if (url && token) return { url, token };
    if (Date.now() > deadline) throw new Error(`huskies mcp-token ${id} gave no URL and token: ${problem ?? text}`);
    await sleep(250);
  }
}

/** One JSON-RPC request to the MCP endpoint; returns the parsed reply (JSON, or the first SSE data event). */
async function rpc(url, token, id, method, params) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`MCP ${method}: HTTP ${res.status}: ${body.slice(0, 300)}`);
  const json = res.headers.get('content-type')?.includes('text/event-stream') ? /^data: (.*)$/m.exec(body)?.[1] : body;
  const reply = JSON.parse(json ?? 'null');
  if (!reply || reply.error) throw new Error(`MCP ${method} failed: ${body.slice(0, 300)}`);
  return reply.result;
}

export const mcpTests = [
  {
    name: 'an agent’s check_criterion over MCP ticks the story file and the card’s counter goes from 0/3 to 1/3',
    needs: ['board lists the backlog stories'],
    async run({ page, workspace, log }) {
      const id = nextStoryNumber(workspace);
      const file = join(workspace, '.huskies', 'work', '1_backlog', `${id}_story_mcp_ticks_a_criterion.md`);
      const name = 'MCP ticks a criterion';
      writeFileSync(file, ['---', `name: ${name}`, '---', `# ${name}`, '', '## Acceptance criteria', ...CRITERIA.map((c) => `- [ ] ${c}`), ''].join('\n'));
      const counter = `${card(id)} .card-criteria`;
      const before = await findInWebviews(page, counter, { timeout: 30_000 });
      const shown = (await before.first().innerText()).trim();
      log(`card #${id} "${name}" shows ${JSON.stringify(shown)}`);
      if (shown !== '0/3') throw new Error(`card #${id} shows ${JSON.stringify(shown)}, expected "0/3"`);

      const { url, token } = await mcpToken(workspace, id);
      log(`huskies mcp-token ${id}: ${url}`);
      const init = await rpc(url, token, 1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'huskies-e2e', version: '1' } });
      log(`initialize: server ${init.serverInfo?.name} ${init.serverInfo?.version}, protocol ${init.protocolVersion}`);

      // Stamp the moment the webview's DOM shows "1/3" (a mutation observer inside the webview, same
      // clock as this process), so the delay measured is not Playwright's polling interval.
      await before.first().evaluate((el, sel) => {
        const seen = () => document.querySelector(sel)?.textContent?.trim() === '1/3';
        const obs = new MutationObserver(() => {
          if (!seen()) return;
          window.__huskiesTicked = Date.now();
          obs.disconnect();
        });
        obs.observe(el.ownerDocument.body, { subtree: true, childList: true, characterData: true });
      }, counter);
      // Watch the counter from before the call: the webview may update before the HTTP reply is read.
      const ticked = before
        .filter({ hasText: /^\s*1\/3\s*$/ })
        .first()
        .waitFor({ state: 'attached', timeout: 20_000 });
      ticked.catch(() => {});
      const t = Date.now();
      const result = await rpc(url, token, 2, 'tools/call', { name: 'check_criterion', arguments: { index: 0 } });
      const replied = Date.now() - t;
      const text = (result.content ?? []).map((c) => c.text).join('\n');
      if (result.isError) throw new Error(`check_criterion was refused: ${text}`);
      log(`check_criterion replied in ${replied} ms: ${JSON.stringify(text)}`);
      await ticked.catch(async (e) => {
        const now = await before
          .first()
          .innerText()
          .catch(() => '(gone)');
        throw new Error(`card #${id}'s counter never showed "1/3" (now ${JSON.stringify(now)}): ${e.message}`);
      });
      const seenAt = Date.now();
      const stamped = await before
        .first()
        .evaluate(() => window.__huskiesTicked)
        .catch(() => undefined);
      log(`card #${id} shows "1/3": in the webview's DOM ${stamped ? `${stamped - t} ms` : '(not stamped)'} after the call, seen by the test after ${seenAt - t} ms`);

      const lines = readFileSync(file, 'utf8').split('\n');
      const line = (c) => lines.find((l) => l.endsWith(c));
      log(`story file: ${JSON.stringify(line(CRITERIA[0]))}`);
      if (line(CRITERIA[0]) !== `- [x] ${CRITERIA[0]}`) throw new Error(`${file} does not tick the first criterion:\n${lines.join('\n')}`);
      for (const c of CRITERIA.slice(1)) if (line(c) !== `- [ ] ${c}`) throw new Error(`${file} changed another criterion ("${c}"):\n${lines.join('\n')}`);
    },
  },
];
