// Secrets from agents.toml env never reach a file the orchestrator writes or a line it shows:
// story front matter (committed), runs.json, the audit log, the transcript, and `huskies status`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Huskies } from '../../src/core/api';
import { ensureSimBuilt, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';

const SECRET = 'zq-secret-7Hk2Lm9Pq4Rs8Tv1';

describe('secrets are masked everywhere (integration)', function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let o: Huskies | undefined;
  before(() => ensureSimBuilt());
  afterEach(async () => {
    await o?.dispose();
    repo.cleanup();
  });

  it('an agent that puts a secret in its question, its output and its failure leaks it nowhere', async () => {
    const script = `echo "using $DEPLOY_TOKEN"; printf '{"question":"Is %s the right key?"}' "$DEPLOY_TOKEN" > .huskies-question.json; echo "fatal: $DEPLOY_TOKEN rejected" >&2; exit 3`;
    repo = await makeRepo({ agentsToml: `[[agent]]\nname = "cmd-1"\ncommand = ["sh", "-c", ${JSON.stringify(script)}]\nenv = { DEPLOY_TOKEN = "${SECRET}" }\n` });
    repo.story(1, 'Leaky');
    o = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, graceMs: 300 });
    await o.start();
    const run = await o.startAgent(1);
    await waitFor(() => o!.store.get(1)?.blocked, 'the question blocks the story');
    const files = [o.store.get(1)!.path, path.join(repo.dir, '.huskies/runs.json'), path.join(repo.dir, '.huskies/audit.log'), o.registry.get(run.runId)!.transcript];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(!text.includes(SECRET), `${path.basename(f)} holds the secret:\n${text}`);
    }
    assert.match(fs.readFileSync(o.store.get(1)!.path, 'utf8'), /Is \*\*\* the right key\?/);
    const snap = JSON.stringify([...o.snapshot().items, ...o.snapshot().runs]);
    assert.ok(!snap.includes(SECRET));
  });
});
