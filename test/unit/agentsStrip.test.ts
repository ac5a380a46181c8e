// The agents strip opens or closes by the user's choice, else by the length of the list: 30 agents
// must not push every stage off the sidebar.
import * as assert from 'node:assert/strict';
import { AGENTS_OPEN_MAX, agentsCollapsedFor } from '../../webview/boardLayout';

describe('webview: the agents strip', () => {
  it('is open for a few agents and closed for a long list until the user chooses', () => {
    assert.equal(agentsCollapsedFor(undefined, 1), false);
    assert.equal(agentsCollapsedFor(undefined, AGENTS_OPEN_MAX), false);
    assert.equal(agentsCollapsedFor(undefined, AGENTS_OPEN_MAX + 1), true);
    assert.equal(agentsCollapsedFor(undefined, 30), true);
  });

  it("keeps the user's choice whatever the count", () => {
    assert.equal(agentsCollapsedFor(false, 30), false);
    assert.equal(agentsCollapsedFor(true, 1), true);
  });
});
