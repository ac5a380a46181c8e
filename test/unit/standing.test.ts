import { strict as assert } from 'node:assert';
import { Standing, type StandingDeps } from '../../src/core/policies/standing';
import type { AgentSpec, ConfigStore, HuskiesConfig } from '../../src/core/config/config';

const spec = (name: string) => ({ name }) as AgentSpec;

function standing(agents: AgentSpec[], unavailable?: string, more: Partial<StandingDeps> = {}) {
  const config = { agents, project: { dailyBudgetUsd: 0 } } as unknown as HuskiesConfig;
  const configStore = { config, agentsUnavailable: () => unavailable } as unknown as ConfigStore;
  const s = new Standing(
    { configStore, clock: { now: () => 5 } as StandingDeps['clock'], state: { spentOn: () => 0 }, follower: () => undefined, runAgents: true, autoAssign: true, ...more },
    true,
  );
  s.builtInAgents = [spec('built-in')];
  return s;
}

describe('Standing', () => {
  it('uses agents.toml’s agents, or the built-in one when it defines none', () => {
    assert.deepEqual(
      standing([spec('a')])
        .agents()
        .map((a) => a.name),
      ['a'],
    );
    assert.deepEqual(
      standing([])
        .agents()
        .map((a) => a.name),
      ['built-in'],
    );
  });

  it('a broken agents.toml with no good version falls back to nothing, and says so', () => {
    const s = standing([], 'agents.toml: line 3: bad key');
    s.initialized = true;
    assert.deepEqual(s.agents(), []);
    assert.equal(s.stopped(), 'agents.toml: line 3: bad key');
  });

  it('the policy context carries why agents are stopped and the clock', () => {
    const s = standing([spec('a')], undefined, { follower: () => ({ pid: 7, by: 'cli' }) as never });
    s.initialized = true;
    const ctx = s.policyContext();
    assert.equal(ctx.now, 5);
    assert.match(ctx.stopped!, /pid 7, cli/);
    s.trusted = false;
    assert.match(s.stopped()!, /not trusted/);
  });
});
