// Why no agent may start in a process: each reason, in the order a user needs to fix them.
import * as assert from 'node:assert/strict';
import { whyStopped, type StartConditions } from '../../src/core/policies/stopped';

describe('whyStopped', () => {
  const ok: StartConditions = { trusted: true, initialized: true, runAgents: true };

  it('nothing stops a trusted, initialized leader that runs agents', () => {
    assert.equal(whyStopped(ok), undefined);
  });

  it('each condition says what is wrong; trust comes first', () => {
    assert.match(whyStopped({ ...ok, trusted: false, initialized: false })!, /not trusted/);
    assert.match(whyStopped({ ...ok, initialized: false })!, /no Huskies project yet/);
    assert.match(whyStopped({ ...ok, follower: { pid: 42, by: 'vscode' } })!, /pid 42, vscode\) drives this project/);
    assert.match(whyStopped({ ...ok, runAgents: false })!, /runs no agent/);
    assert.equal(whyStopped({ ...ok, agentsUnavailable: 'agents.toml has an error and no good version' }), 'agents.toml has an error and no good version');
  });
});
