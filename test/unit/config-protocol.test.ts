// agents.toml may not set the flags the orchestrator relies on — "--" included, which would end the
// options before the orchestrator's own and let a prompt be read as an option.
import * as assert from 'node:assert/strict';
import { parseAgentsToml } from '../../src/core/config/config';

describe('agents.toml protocol flags', () => {
  for (const runtime of ['claude', 'codex', 'sim']) {
    it(`${runtime}: "--" in args is refused with the line and the key`, () => {
      assert.throws(() => parseAgentsToml(`[[agent]]\nname = "a"\nruntime = "${runtime}"\nargs = ["--"]\n`), /agents\.toml:4: .*"--" cannot be set in args/);
    });
  }
  it('gemini: --prompt=… in args is refused', () => {
    assert.throws(() => parseAgentsToml('[[agent]]\nname = "g"\nruntime = "gemini"\nargs = ["--prompt=hi"]\n'), /"--prompt=hi" cannot be set in args/);
  });
});
