// A window reload: the host goes away while an agent works; the agent goes on under its
// supervisor, and the next host re-attaches to it — the same run, no restart, no lost output.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Huskies } from '../../src/core/api';
import { ensureSimBuilt, groupAlive, makeRepo, SIM_AGENT, waitFor, type TempRepo } from '../fixtures/repo';
import { ensureSupervisorBuilt } from '../fixtures/supervisorBuild';

describe('agents survive a reload of the host (integration, supervisor)', function () {
  this.timeout(90_000);
  let repo: TempRepo;
  const hosts: Huskies[] = [];
  let supervisorPath: string;

  before(() => {
    ensureSimBuilt();
    supervisorPath = ensureSupervisorBuilt();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.dispose({ stopAgents: true });
    repo.cleanup();
  });

  const host = async () => {
    const h = new Huskies({ root: repo.dir, simAgentPath: SIM_AGENT, supervisorPath, graceMs: 300 });
    hosts.push(h);
    await h.start();
    return h;
  };

  it('the run goes on while no host is there and the next host follows it to its end', async () => {
    repo = await makeRepo({ agentsToml: '[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM = "slow", HUSKIES_SIM_DELAY_MS = "150" }\n' });
    repo.story(1, 'Takes a while', { criteria: ['a', 'b', 'c'] });
    const first = await host();
    const run = await first.startAgent(1);
    const pid = (await waitFor(() => first.registry.get(run.runId)?.pid, 'the agent to start')) as number;
    await waitFor(() => (first.registry.get(run.runId)?.sessionId ? true : undefined), 'the session to be known');
    // The window reloads: this host goes away without stopping the agent.
    await first.dispose({ stopAgents: false });
    hosts.splice(hosts.indexOf(first), 1);
    assert.ok(groupAlive(pid), 'the agent outlives the host');
    const second = await host();
    await waitFor(() => second.store.get(1)?.stage === 'qa', 'the same run ends and the story moves to QA', 60_000);
    const runs = second.registry.forStory(1);
    assert.equal(runs.length, 1, 'no restart: one run');
    assert.equal(runs[0].status, 'succeeded');
    const lines = fs
      .readFileSync(runs[0].transcript, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    assert.deepEqual(
      lines.map((l) => l.seq),
      lines.map((_, i) => i + 1),
      'every record once, in order',
    );
  });

  it('a host that stops its agents on the way out leaves nothing running, and the next start resumes the session', async () => {
    repo = await makeRepo({ agentsToml: '[[agent]]\nname = "sim-1"\nruntime = "sim"\nenv = { HUSKIES_SIM = "slow", HUSKIES_SIM_DELAY_MS = "150" }\n' });
    repo.story(2, 'Interrupted', { criteria: ['a', 'b'] });
    const first = await host();
    const run = await first.startAgent(2);
    const pid = (await waitFor(() => first.registry.get(run.runId)?.pid, 'the agent to start')) as number;
    const session = await waitFor(() => first.registry.get(run.runId)?.sessionId, 'the session');
    await first.dispose({ stopAgents: true });
    hosts.splice(hosts.indexOf(first), 1);
    await waitFor(() => !groupAlive(pid), 'the agent group is gone', 5_000);
    const second = await host();
    await waitFor(() => second.store.get(2)?.stage === 'qa', 'resumed to QA', 60_000);
    assert.equal(second.registry.latest(2)!.sessionId, session);
  });
});
