// ConfigStore: each of project.toml and agents.toml keeps its own last good version, which is
// saved to a runtime file so that a restart with a broken file still runs it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigStore, DEFAULT_PROJECT } from '../../src/core/config/config';

const GOOD_PROJECT = 'max_coders = 2\ndaily_budget_usd = 10\n';
const GOOD_AGENTS = '[[agent]]\nname = "coder-opus"\nmodel = "opus"\nmax_budget_usd = 3\nenv = { ANTHROPIC_BASE_URL = "http://proxy" }\n';

describe('config: ConfigStore keeps the last good version of each file', () => {
  let root: string;
  let lastGood: string;
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.join(root, '.huskies'), { recursive: true });
    fs.writeFileSync(path.join(root, '.huskies', name), text);
  };
  const saved = () => JSON.parse(fs.readFileSync(lastGood, 'utf8')) as { files: Record<string, { text: string; savedAt: string }> };
  /** The agents as the orchestrator would run them: name, model, budget and env. */
  const agentsOf = (store: ConfigStore) => store.config.agents.map((a) => ({ name: a.name, model: a.model, budget: a.maxBudgetUsd, env: { ...a.env } }));
  const CONFIGURED = [{ name: 'coder-opus', model: 'opus', budget: 3, env: { ANTHROPIC_BASE_URL: 'http://proxy' } }];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-config-store-'));
    lastGood = path.join(root, '.huskies', 'config.lastgood.json');
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a broken project.toml at start-up keeps the agents of a good agents.toml', async () => {
    write('project.toml', '# settings\nmax_coders = "4"\n');
    write('agents.toml', GOOD_AGENTS);
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.deepEqual(agentsOf(store), CONFIGURED);
    assert.ok(!store.config.agents.some((a) => a.builtIn));
    // Without any good project.toml the budget cap and max_coders are unknown: nothing may start.
    const reason = store.agentsUnavailable();
    assert.ok(reason, 'a reason why no agent starts');
    assert.ok(reason.includes('.huskies/project.toml'), reason);
    assert.ok(reason.includes('line 2') && reason.includes('max_coders'), reason);
    assert.match(reason, /no earlier good version/);
    assert.ok(
      store.getProblems().some((p) => p.startsWith('.huskies/project.toml:2: key "max_coders"')),
      store.getProblems().join('\n'),
    );
  });

  it('a broken agents.toml at start-up keeps the settings of a good project.toml and starts no agent', async () => {
    write('project.toml', GOOD_PROJECT);
    write('agents.toml', '[[agent]]\nname = "c"\nmodel = "opus"\nmax_turns = "50"\n');
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.equal(store.config.project.maxCoders, 2);
    assert.equal(store.config.project.dailyBudgetUsd, 10);
    assert.deepEqual(store.config.agents, []);
    const reason = store.agentsUnavailable();
    assert.ok(reason);
    assert.ok(reason.includes('.huskies/agents.toml has errors and there is no earlier good version: no agent starts until it is fixed'), reason);
    assert.ok(reason.includes('line 4') && reason.includes('max_turns'), reason);
  });

  it('a restart with a broken file runs its last good version and says so', async () => {
    write('project.toml', GOOD_PROJECT);
    write('agents.toml', GOOD_AGENTS);
    const first = new ConfigStore(root, lastGood);
    await first.reload();
    assert.equal(first.agentsUnavailable(), undefined);

    write('project.toml', 'max_coders = 2\nmax_coders = 4\n');
    write('agents.toml', '[[agent]]\nname = "coder-opus"\nruntime = "nope"\n');
    const second = new ConfigStore(root, lastGood);
    assert.equal(await second.reload(), true, 'the last good versions replace the empty start');
    assert.equal(second.config.project.maxCoders, 2);
    assert.equal(second.config.project.dailyBudgetUsd, 10);
    assert.deepEqual(agentsOf(second), CONFIGURED);
    assert.equal(second.agentsUnavailable(), undefined);
    assert.equal(second.hasLoaded(), true);
    const problems = second.getProblems();
    assert.ok(
      problems.some((p) => p.startsWith('.huskies/project.toml:2:') && p.includes('"max_coders"')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('.huskies/agents.toml:3:') && p.includes('"runtime"')),
      problems.join('\n'),
    );
    for (const file of ['project.toml', 'agents.toml']) {
      assert.ok(
        problems.some((p) => p.includes(`.huskies/${file}`) && /last good version .* in use/.test(p)),
        `${file}:\n${problems.join('\n')}`,
      );
    }
    const states = Object.fromEntries(second.getFileStates().map((s) => [s.file, s.state]));
    assert.deepEqual(states, { '.huskies/project.toml': 'last-good', '.huskies/agents.toml': 'last-good' });
  });

  it('with no good version ever, no agent starts until the file is fixed; fixing it clears the reason', async () => {
    write('agents.toml', '[[agent]]\nname = "c"\nmodel = "opus"\nmax_turns = "50"\n');
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.ok(store.agentsUnavailable());
    assert.equal(store.hasLoaded(), false);
    assert.equal(fs.existsSync(lastGood), false, 'nothing good to save');

    write('agents.toml', '[[agent]]\nname = "c"\nmodel = "opus"\nmax_turns = 50\n');
    assert.equal(await store.reload(), true);
    assert.equal(store.agentsUnavailable(), undefined);
    assert.deepEqual(store.getProblems(), []);
    assert.equal(store.config.agents[0].maxTurns, 50);
    assert.equal(saved().files['agents.toml'].text, '[[agent]]\nname = "c"\nmodel = "opus"\nmax_turns = 50\n');
  });

  it('missing files are not errors: defaults, no agents defined, agents may start', async () => {
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.deepEqual(store.config.project, DEFAULT_PROJECT);
    assert.deepEqual(store.config.agents, []);
    assert.equal(store.agentsUnavailable(), undefined);
    assert.deepEqual(store.getProblems(), []);
    assert.deepEqual(
      store.getFileStates().map((s) => s.state),
      ['missing', 'missing'],
    );
  });

  it('a broken file never touches the other file, while running', async () => {
    write('project.toml', GOOD_PROJECT);
    write('agents.toml', GOOD_AGENTS);
    const store = new ConfigStore(root, lastGood);
    await store.reload();

    write('project.toml', 'max_coders = 5\ndefault_qa = "robot"\n');
    write('agents.toml', GOOD_AGENTS.replace('"opus"', '"sonnet"'));
    assert.equal(await store.reload(), true, 'the agents changed');
    assert.equal(store.config.project.maxCoders, 2, 'project.toml keeps its last good version');
    assert.equal(store.config.agents[0].model, 'sonnet', 'agents.toml is read on its own');

    write('project.toml', 'max_coders = 5\n');
    write('agents.toml', '[[agent\n');
    assert.equal(await store.reload(), true, 'the project changed');
    assert.equal(store.config.project.maxCoders, 5);
    assert.equal(store.config.agents[0].model, 'sonnet');
    assert.equal(store.agentsUnavailable(), undefined);
  });

  it('saves the last good text of each file atomically, and a broken file never overwrites it', async () => {
    write('project.toml', GOOD_PROJECT);
    write('agents.toml', GOOD_AGENTS);
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.equal(saved().files['project.toml'].text, GOOD_PROJECT);
    assert.equal(saved().files['agents.toml'].text, GOOD_AGENTS);
    assert.ok(!Number.isNaN(Date.parse(saved().files['agents.toml'].savedAt)));

    write('agents.toml', 'oops = \n');
    write('project.toml', 'max_coders = 4\n');
    await store.reload();
    assert.equal(saved().files['agents.toml'].text, GOOD_AGENTS);
    assert.equal(saved().files['project.toml'].text, 'max_coders = 4\n');
    assert.deepEqual(
      fs.readdirSync(path.join(root, '.huskies')).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file is left behind',
    );
  });

  it('reload never throws: an unreadable file and a corrupt last-good file are reported', async () => {
    fs.mkdirSync(path.join(root, '.huskies', 'project.toml'), { recursive: true });
    fs.writeFileSync(lastGood, '{ not json');
    write('agents.toml', GOOD_AGENTS);
    const store = new ConfigStore(root, lastGood);
    assert.equal(typeof (await store.reload()), 'boolean');
    const problems = store.getProblems();
    assert.ok(
      problems.some((p) => p.startsWith('.huskies/project.toml') && /could not be read/.test(p)),
      problems.join('\n'),
    );
    assert.ok(store.agentsUnavailable()?.includes('.huskies/project.toml'));
    assert.ok(
      store.getWarnings().some((w) => w.includes('config.lastgood.json')),
      store.getWarnings().join('\n'),
    );
    assert.deepEqual(agentsOf(store), CONFIGURED);
  });

  it('a saved version that no longer passes the checks is not used', async () => {
    fs.mkdirSync(path.dirname(lastGood), { recursive: true });
    fs.writeFileSync(lastGood, JSON.stringify({ version: 1, files: { 'project.toml': { text: 'max_coders = -1\n', savedAt: new Date().toISOString() } } }));
    write('project.toml', 'max_coders = "x"\n');
    const store = new ConfigStore(root, lastGood);
    await store.reload();
    assert.ok(store.agentsUnavailable()?.includes('.huskies/project.toml'));
  });

  it('reloads that overlap each see the files as they were and leave one consistent result', async () => {
    write('project.toml', GOOD_PROJECT);
    const store = new ConfigStore(root, lastGood);
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    assert.deepEqual(results, [true, false, false]);
    assert.equal(saved().files['project.toml'].text, GOOD_PROJECT);
  });
});
