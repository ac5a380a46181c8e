// project.toml / agents.toml parsing and ConfigStore's keep-the-last-good-config rule.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, ConfigStore, DEFAULT_PROJECT, loadConfig, parseAgentsToml, parseProjectToml } from '../../src/core/config/config';

/** The problems of the ConfigError that fn throws (fails when it does not throw one). */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(err.problems.length > 0);
    assert.equal(err.message, err.problems.join('\n'));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config: parseProjectToml', () => {
  it('an empty file gives the huskies defaults', () => {
    const p = parseProjectToml('');
    assert.equal(p.defaultQa, 'server');
    assert.equal(p.defaultCoderModel, 'sonnet');
    assert.equal(p.maxCoders, 3);
    assert.equal(p.maxRetries, 3);
    assert.equal(p.baseBranch, undefined);
    assert.equal(p.rateLimitNotifications, false);
    assert.equal(p.timezone, 'UTC');
    assert.deepEqual(p.components, []);
    assert.equal(p.dailyBudgetUsd, undefined);
    assert.equal(p.drainAfterFailures, 2);
  });

  it('does not share mutable defaults between results', () => {
    const a = parseProjectToml('');
    a.components.push({ name: 'x', path: '.', setup: [], teardown: [], test: [] });
    assert.deepEqual(parseProjectToml('').components, []);
    assert.deepEqual(DEFAULT_PROJECT.components, []);
  });

  it('reads every known key', () => {
    const p = parseProjectToml(
      [
        '# comment',
        'default_qa = "human"',
        'default_coder_model = "opus"',
        'max_coders = 5',
        'max_retries = 0',
        'base_branch = "main"',
        'rate_limit_notifications = true',
        'timezone = "Europe/Berlin"',
        'daily_budget_usd = 12.5',
        'drain_after_failures = 4',
        'unknown_key_from_huskies = "only a warning"',
        '',
        '[[component]]',
        'name = "server"',
        'path = "server"',
        'setup = ["cargo build"]',
        'teardown = ["cargo clean", "rm -rf x"]',
        '',
        '[[component]]',
        'name = "web"',
      ].join('\n'),
    );
    assert.equal(p.defaultQa, 'human');
    assert.equal(p.defaultCoderModel, 'opus');
    assert.equal(p.maxCoders, 5);
    assert.equal(p.maxRetries, 0);
    assert.equal(p.baseBranch, 'main');
    assert.equal(p.rateLimitNotifications, true);
    assert.equal(p.timezone, 'Europe/Berlin');
    assert.equal(p.dailyBudgetUsd, 12.5);
    assert.equal(p.drainAfterFailures, 4);
    assert.deepEqual(p.components, [
      { name: 'server', path: 'server', setup: ['cargo build'], teardown: ['cargo clean', 'rm -rf x'], test: [] },
      { name: 'web', path: '.', setup: [], teardown: [], test: [] },
    ]);
  });

  it('background_nice: agents and gates run at nice 10 unless told otherwise; 0 to 19, anything else is an error', () => {
    assert.equal(parseProjectToml('').backgroundNice, 10);
    assert.equal(DEFAULT_PROJECT.backgroundNice, 10);
    assert.equal(parseProjectToml('background_nice = 0').backgroundNice, 0);
    assert.equal(parseProjectToml('background_nice = 19').backgroundNice, 19);
    for (const bad of ['20', '-1', '2.5', '"low"']) {
      const [p] = problemsOf(() => parseProjectToml(`background_nice = ${bad}`));
      assert.match(p, /project\.toml:1: key "background_nice" must be a nice value from 0 \(the editor's own priority\) to 19 \(the lowest\)/);
    }
  });

  it('accepts each default_qa value', () => {
    for (const v of ['server', 'agent', 'human'] as const) assert.equal(parseProjectToml(`default_qa = "${v}"`).defaultQa, v);
  });

  it('a wrong type names the file, the line and the key', () => {
    const problems = problemsOf(() => parseProjectToml('# settings\ndefault_qa = "server"\nmax_coders = "x"\n'));
    assert.equal(problems.length, 1);
    assert.ok(problems[0].includes('.huskies/project.toml:3'), problems[0]);
    assert.ok(problems[0].includes('max_coders'), problems[0]);
  });

  it('uses the file name it is given', () => {
    const [p] = problemsOf(() => parseProjectToml('max_coders = 0', '/abs/project.toml'));
    assert.match(p, /^\/abs\/project\.toml:1: key "max_coders"/);
  });

  it('reports every bad key, each on its own line', () => {
    const text = [
      'default_qa = "robot"', // 1
      'default_coder_model = 3', // 2
      'max_coders = 0', // 3
      'max_retries = -1', // 4
      'base_branch = false', // 5
      'rate_limit_notifications = "yes"', // 6
      'timezone = "Mars/Olympus"', // 7
      'daily_budget_usd = -2', // 8
      'drain_after_failures = 1.5', // 9
    ].join('\n');
    const problems = problemsOf(() => parseProjectToml(text));
    const expect: [number, string][] = [
      [1, 'default_qa'],
      [2, 'default_coder_model'],
      [3, 'max_coders'],
      [4, 'max_retries'],
      [5, 'base_branch'],
      [6, 'rate_limit_notifications'],
      [7, 'timezone'],
      [8, 'daily_budget_usd'],
      [9, 'drain_after_failures'],
    ];
    assert.equal(problems.length, expect.length, problems.join('\n'));
    for (const [line, key] of expect) {
      assert.ok(
        problems.some((p) => p.startsWith(`.huskies/project.toml:${line}:`) && p.includes(`"${key}"`)),
        `no problem for ${key} on line ${line}:\n${problems.join('\n')}`,
      );
    }
    assert.ok(problems.some((p) => p.includes('"server", "agent", "human"')));
    assert.ok(problems.some((p) => p.includes('Mars/Olympus')));
  });

  it('finds the line of a key after blank lines and comments, not of a longer key with the same prefix', () => {
    const [p] = problemsOf(() => parseProjectToml('max_coders_note = "fine"\n\n# c\n  max_coders = "x"\n'));
    assert.match(p, /^\.huskies\/project\.toml:4:/);
  });

  it('bad [[component]] entries name their line', () => {
    const text = ['max_coders = 2', '', '[[component]]', 'name = "a"', '', '[[component]]', 'path = "b"', 'setup = "not a list"'].join('\n');
    const problems = problemsOf(() => parseProjectToml(text));
    assert.ok(
      problems.some((p) => p.startsWith('.huskies/project.toml:6:') && p.includes('[[component]] #2') && p.includes('"name"')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('.huskies/project.toml:8:') && p.includes('"setup"')),
      problems.join('\n'),
    );
  });

  it('a [component] table instead of [[component]] is an error', () => {
    const [p] = problemsOf(() => parseProjectToml('[component]\nname = "x"\n'));
    assert.match(p, /\[\[component\]\]/);
  });

  it('a TOML syntax error gives line:column', () => {
    const problems = problemsOf(() => parseProjectToml('max_coders = 2\nmax_retries = = 3\n'));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^\.huskies\/project\.toml:2:\d+: /);
    const [unterminated] = problemsOf(() => parseProjectToml('a = 1\n\n\nbase_branch = "main\n'));
    assert.match(unterminated, /^\.huskies\/project\.toml:4:\d+: /);
  });
});

describe('config: parseAgentsToml', () => {
  it('no [[agent]] tables: no agents', () => {
    assert.deepEqual(parseAgentsToml(''), []);
    assert.deepEqual(parseAgentsToml('# nothing here\n'), []);
  });

  it('reads every key, with claude and coder as defaults', () => {
    const agents = parseAgentsToml(
      [
        '[[agent]]',
        'name = "coder-1"',
        'model = "sonnet"',
        'max_turns = 50',
        'max_budget_usd = 5.00',
        'prompt = "You are working on story {{story_id}}"',
        'system_prompt = "Be brief."',
        'inactivity_timeout = 300',
        'timeout = 3600',
        'max_concurrent = 2',
        'program = "/opt/claude"',
        'args = ["--model-fallback", "x"]',
        '',
        '[[agent]]',
        'name = "qa.1"',
        'stage = "qa"',
        'runtime = "codex"',
        '',
        '[[agent]]',
        'name = "merger"',
        'stage = "mergemaster"',
        'runtime = "gemini"',
        '[[agent]]',
        'name = "sim"',
        'runtime = "sim"',
      ].join('\n'),
    );
    assert.equal(agents.length, 4);
    assert.deepEqual(agents[0], {
      name: 'coder-1',
      stage: 'coder',
      runtime: 'claude',
      program: '/opt/claude',
      args: ['--model-fallback', 'x'],
      env: {},
      model: 'sonnet',
      maxTurns: 50,
      maxBudgetUsd: 5,
      prompt: 'You are working on story {{story_id}}',
      systemPrompt: 'Be brief.',
      inactivityTimeout: 300,
      timeout: 3600,
      maxConcurrent: 2,
    });
    assert.deepEqual(
      agents.slice(1).map((a) => [a.name, a.stage, a.runtime]),
      [
        ['qa.1', 'qa', 'codex'],
        ['merger', 'mergemaster', 'gemini'],
        ['sim', 'coder', 'sim'],
      ],
    );
  });

  it('command = [..] makes a command runtime with program and args', () => {
    const [a] = parseAgentsToml('[[agent]]\nname = "mine"\ncommand = ["./bin/agent", "--fast", "-p"]\n');
    assert.equal(a.runtime, 'command');
    assert.equal(a.program, './bin/agent');
    assert.deepEqual(a.args, ['--fast', '-p']);
  });

  it('command = "path" and extra args are combined', () => {
    const [a] = parseAgentsToml('[[agent]]\nname = "mine"\ncommand = "my-agent"\nargs = ["--x"]\n');
    assert.equal(a.runtime, 'command');
    assert.equal(a.program, 'my-agent');
    assert.deepEqual(a.args, ['--x']);
    const [b] = parseAgentsToml('[[agent]]\nname = "mine"\ncommand = ["my-agent", "--a"]\nargs = ["--b"]\n');
    assert.deepEqual(b.args, ['--a', '--b']);
  });

  it('runtime "command" without a command is an error', () => {
    const [p] = problemsOf(() => parseAgentsToml('[[agent]]\nname = "x"\nruntime = "command"\n'));
    assert.match(p, /^\.huskies\/agents\.toml:3: agent "x": runtime "command" needs command/);
  });

  it('a bad command value is an error', () => {
    for (const v of ['[]', '[1, 2]', '3']) {
      const [p] = problemsOf(() => parseAgentsToml(`[[agent]]\nname = "x"\ncommand = ${v}\n`));
      assert.match(p, /^\.huskies\/agents\.toml:3: agent "x": key "command"/, v);
    }
  });

  it('rejects protocol flags in args with a clear message', () => {
    const problems = problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nruntime = "claude"\n\nargs = ["--output-format", "json"]\n'));
    assert.equal(problems.length, 1);
    const p = problems[0];
    assert.ok(p.startsWith('.huskies/agents.toml:5: agent "c":'), p);
    assert.ok(p.includes('"--output-format"'), p);
    assert.ok(!p.includes('"json"'), 'a value is not a flag');
    assert.match(p, /orchestrator sets the claude protocol flags/);
  });

  it('rejects protocol flags written as --flag=value and per runtime', () => {
    problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nargs = ["--output-format=json"]\n'));
    problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nargs = ["-p"]\n'));
    problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nruntime = "codex"\nargs = ["exec"]\n'));
    problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nruntime = "gemini"\nargs = ["-o", "json"]\n'));
    // the same flag is fine for a runtime that does not own it
    assert.deepEqual(parseAgentsToml('[[agent]]\nname = "c"\nruntime = "codex"\nargs = ["--output-format"]\n')[0].args, ['--output-format']);
    assert.deepEqual(parseAgentsToml('[[agent]]\nname = "c"\ncommand = ["x", "-p"]\nargs = ["--json"]\n')[0].args, ['-p', '--json']);
  });

  // command = [...] sets args too: with runtime "claude" the protocol flags must be refused there as well,
  // or agents.toml can override the stream format the orchestrator parses.
  it('rejects protocol flags smuggled in through command = [...] for a built-in runtime', () => {
    const problems = problemsOf(() => parseAgentsToml('[[agent]]\nname = "c"\nruntime = "claude"\ncommand = ["claude", "--output-format", "text"]\n'));
    assert.ok(
      problems.some((p) => p.includes('"--output-format"')),
      problems.join('\n'),
    );
  });

  it('unknown keys are errors naming the key and its line', () => {
    const problems = problemsOf(() => parseAgentsToml('[[agent]]\nname = "a"\n\n[[agent]]\nname = "b"\nmodle = "opus"\n'));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^\.huskies\/agents\.toml:6: agent "b": unknown key "modle"/);
  });

  it('duplicate names are errors on the second one', () => {
    const problems = problemsOf(() => parseAgentsToml('[[agent]]\nname = "a"\n[[agent]]\nname = "b"\n[[agent]]\nname = "a"\n'));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^\.huskies\/agents\.toml:6: agent "a": the name is used by another agent/);
  });

  it('a missing or unsafe name is an error', () => {
    for (const n of ['', 'name = ""', 'name = "has space"', 'name = "../x"', 'name = 5', `name = "${'a'.repeat(65)}"`]) {
      const [p] = problemsOf(() => parseAgentsToml(`[[agent]]\nmodel = "m"\n${n}\n`));
      assert.match(p, /needs a "name"/, n);
    }
  });

  it('env is a table of strings, inline or as a sub-table', () => {
    const [a, b] = parseAgentsToml('[[agent]]\nname = "a"\nenv = { FOO = "bar", N = "1" }\n\n[[agent]]\nname = "b"\n[agent.env]\nX = "y"\n');
    assert.deepEqual({ ...a.env }, { FOO: 'bar', N: '1' });
    assert.deepEqual({ ...b.env }, { X: 'y' });
    for (const v of ['["FOO=bar"]', '"FOO=bar"']) {
      const [p] = problemsOf(() => parseAgentsToml(`[[agent]]\nname = "a"\nenv = ${v}\n`));
      assert.match(p, /^\.huskies\/agents\.toml:3: agent "a": key "env" must be a table of strings/, v);
    }
    const [n] = problemsOf(() => parseAgentsToml('[[agent]]\nname = "a"\n[agent.env]\nOK = "1"\nN = 1\n'));
    assert.equal(n, '.huskies/agents.toml:5: agent "a": key "env.N" must be a string');
  });

  it('bad values name the agent, the key and the line', () => {
    const text = [
      '[[agent]]',
      'name = "ok"',
      '',
      '[[agent]]',
      'name = "bad"',
      'stage = "tester"',
      'runtime = "copilot"',
      'max_turns = 0',
      'max_budget_usd = "5"',
      'timeout = -1',
      'args = "--x"',
    ].join('\n');
    const problems = problemsOf(() => parseAgentsToml(text));
    for (const [line, key] of [
      [6, 'stage'],
      [7, 'runtime'],
      [8, 'max_turns'],
      [9, 'max_budget_usd'],
      [10, 'timeout'],
      [11, 'args'],
    ] as const) {
      assert.ok(
        problems.some((p) => p.startsWith(`.huskies/agents.toml:${line}: agent "bad":`) && p.includes(`"${key}"`)),
        `${key} on line ${line}:\n${problems.join('\n')}`,
      );
    }
  });

  it('[agent] instead of [[agent]] is an error', () => {
    const [p] = problemsOf(() => parseAgentsToml('[agent]\nname = "a"\n'));
    assert.match(p, /\[\[agent\]\]/);
  });

  it('a TOML syntax error gives line:column', () => {
    const [p] = problemsOf(() => parseAgentsToml('[[agent]]\nname = "a"\nmodel = sonnet\n'));
    assert.match(p, /^\.huskies\/agents\.toml:3:\d+: /);
  });
});

describe('config: loadConfig and ConfigStore', () => {
  let root: string;
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.join(root, '.huskies'), { recursive: true });
    fs.writeFileSync(path.join(root, '.huskies', name), text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-config-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('missing files give defaults and no agents', async () => {
    const c = await loadConfig(root);
    assert.deepEqual(c.project, DEFAULT_PROJECT);
    assert.deepEqual(c.agents, []);
  });

  it('reports the problems of both files together', async () => {
    write('project.toml', 'max_coders = "x"\n');
    write('agents.toml', '[[agent]]\nname = "a"\nbogus = 1\n');
    await assert.rejects(loadConfig(root), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      assert.ok(err.problems[0].includes('project.toml:1') && err.problems[0].includes('max_coders'));
      assert.ok(err.problems[1].includes('agents.toml:3') && err.problems[1].includes('bogus'));
      return true;
    });
  });

  it('ConfigStore keeps the last good config when a file becomes broken', async () => {
    const store = new ConfigStore(root);
    assert.equal(store.hasLoaded(), false);
    write('project.toml', 'max_coders = 5\ndefault_qa = "agent"\n');
    write('agents.toml', '[[agent]]\nname = "coder-1"\nmodel = "opus"\n');
    assert.equal(await store.reload(), true);
    assert.equal(store.hasLoaded(), true);
    assert.deepEqual(store.getProblems(), []);
    const good = JSON.parse(JSON.stringify(store.config));
    assert.equal(store.config.project.maxCoders, 5);
    assert.equal(store.config.agents[0].name, 'coder-1');

    assert.equal(await store.reload(), false, 'an unchanged reload is not a change');

    write('project.toml', 'max_coders = 7\ndefault_qa = "robot"\n');
    assert.equal(await store.reload(), false);
    assert.deepEqual(store.config, good);
    const problems = store.getProblems();
    assert.ok(problems.length >= 2);
    assert.ok(
      problems.some((p) => p.includes('.huskies/project.toml:2') && p.includes('default_qa')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /last good/.test(p)),
      problems.join('\n'),
    );

    write('agents.toml', '[[agent\n');
    assert.equal(await store.reload(), false);
    assert.deepEqual(store.config, good);

    write('project.toml', 'max_coders = 1\n');
    write('agents.toml', '');
    assert.equal(await store.reload(), true);
    assert.deepEqual(store.getProblems(), []);
    assert.equal(store.config.project.maxCoders, 1);
    assert.deepEqual(store.config.agents, []);
  });

  it('ConfigStore shows the defaults when the first load fails, and starts no agent', async () => {
    const store = new ConfigStore(root);
    write('project.toml', 'max_coders = = 1\n');
    assert.equal(await store.reload(), false);
    assert.equal(store.hasLoaded(), false);
    assert.deepEqual(store.config.project, DEFAULT_PROJECT);
    const problems = store.getProblems();
    assert.ok(
      problems.some((p) => /project\.toml:1:\d+/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /no agent starts/.test(p)),
      problems.join('\n'),
    );
    assert.match(store.agentsUnavailable() ?? '', /^\.huskies\/project\.toml has errors .*\(line 1: /);
  });
});
