// Errors and warnings of project.toml / agents.toml: each names the file, the line and the key,
// and a warning never makes a file unusable.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkAgentsToml, checkProjectToml, ConfigError, ConfigStore, formatProblem, parseAgentsToml, parseProjectToml, type ConfigProblem } from '../../src/core/config/config';

/** The formatted errors of a check (fails when there are none). */
function errorsOf(check: { problems: ConfigProblem[] }): string[] {
  const errors = check.problems.filter((p) => p.severity === 'error');
  assert.ok(errors.length > 0, 'expected errors');
  return errors.map(formatProblem);
}

describe('config: duplicate keys name the key', () => {
  it('a top-level key set twice', () => {
    const check = checkProjectToml('max_coders = 2\nmax_retries = 1\nmax_coders = 4\n');
    assert.equal(check.value, undefined);
    assert.deepEqual(errorsOf(check), ['.huskies/project.toml:3: key "max_coders" is defined twice (first on line 1)']);
    assert.equal(check.problems[0].key, 'max_coders');
    assert.equal(check.problems[0].line, 3);
  });

  it('the thrown ConfigError carries the same text', () => {
    assert.throws(
      () => parseProjectToml('max_coders = 2\n  max_coders = 4\n'),
      (err: unknown) => err instanceof ConfigError && err.problems[0] === '.huskies/project.toml:2: key "max_coders" is defined twice (first on line 1)',
    );
  });

  it('a key set twice inside one [[agent]] table, but not across two of them', () => {
    const text = '[[agent]]\nname = "a"\nmodel = "opus"\n\n[[agent]]\nname = "b"\nmodel = "haiku"\nmodel = "sonnet"\n';
    assert.deepEqual(errorsOf(checkAgentsToml(text)), ['.huskies/agents.toml:8: key "model" is defined twice (first on line 7)']);
  });

  it('a table defined twice', () => {
    assert.deepEqual(errorsOf(checkProjectToml('[max_per_runtime]\nclaude = 1\n\n[max_per_runtime]\ncodex = 1\n')), [
      '.huskies/project.toml:4: key "max_per_runtime" is defined twice (first on line 1)',
    ]);
  });

  it('a key set twice in an inline table', () => {
    const [p] = errorsOf(checkAgentsToml('[[agent]]\nname = "a"\nenv = { A = "1", A = "2" }\n'));
    assert.match(p, /^\.huskies\/agents\.toml:3: key "A" is defined twice/);
  });

  it('keys inside multi-line strings and arrays are not taken for definitions', () => {
    const text = 'base_branch = """\nmax_coders = 1\n"""\n[[component]]\nname = "x"\nsetup = [\n  "max_coders = 2",\n]\nmax_coders = 3\n';
    const check = checkProjectToml(text);
    assert.deepEqual(check.problems.map(formatProblem), ['.huskies/project.toml:9: [[component]] #1: unknown key "max_coders"']);
  });
});

describe('config: wrong types name the line and the key', () => {
  it('a string for a number', () => {
    assert.deepEqual(errorsOf(checkProjectToml('# settings\nmax_coders = "4"\n')), ['.huskies/project.toml:2: key "max_coders" must be a positive whole number']);
    assert.deepEqual(errorsOf(checkAgentsToml('[[agent]]\nname = "c"\n\nmax_turns = "50"\n')), [
      '.huskies/agents.toml:4: agent "c": key "max_turns" must be a positive whole number',
    ]);
  });

  it('the problem object carries file, line, key and severity', () => {
    const [p] = checkProjectToml('max_coders = "4"', 'p.toml').problems;
    assert.deepEqual({ ...p }, { file: 'p.toml', line: 1, key: 'max_coders', severity: 'error', message: 'key "max_coders" must be a positive whole number' });
  });
});

describe('config: unknown keys in project.toml are warnings', () => {
  it('names the line and suggests the known key, and the file stays valid', () => {
    const text = ['default_qa = "server"', '', '# coders', '', '', 'timezone = "UTC"', 'max_coder = 4'].join('\n');
    const check = checkProjectToml(text);
    assert.ok(check.value, 'a warning does not make the file invalid');
    assert.equal(check.value.maxCoders, 3);
    assert.deepEqual(check.problems, [
      { file: '.huskies/project.toml', line: 7, key: 'max_coder', severity: 'warning', message: 'unknown key "max_coder" (did you mean "max_coders"?)' },
    ]);
    assert.equal(formatProblem(check.problems[0]), '.huskies/project.toml:7: unknown key "max_coder" (did you mean "max_coders"?)');
    assert.equal(parseProjectToml(text).maxCoders, 3, 'parseProjectToml does not throw for a warning');
  });

  it('offers no guess when nothing is close', () => {
    const [w] = checkProjectToml('colour_scheme = "dark"\n').problems;
    assert.equal(w.message, 'unknown key "colour_scheme"');
  });

  it('unknown keys of a [[component]] are warnings too', () => {
    const check = checkProjectToml('[[component]]\nname = "web"\nsetpu = ["npm ci"]\n');
    assert.ok(check.value);
    assert.deepEqual(check.problems.map(formatProblem), ['.huskies/project.toml:3: [[component]] #1: unknown key "setpu" (did you mean "setup"?)']);
    assert.equal(check.problems[0].severity, 'warning');
  });

  it('a warning next to an error: both reported, each with its severity', () => {
    const check = checkProjectToml('max_coder = 2\nmax_retries = "x"\n');
    assert.equal(check.value, undefined);
    assert.deepEqual(
      check.problems.map((p) => [p.severity, p.line, p.key]),
      [
        ['error', 2, 'max_retries'],
        ['warning', 1, 'max_coder'],
      ],
    );
  });

  it('ConfigStore keeps warnings apart from errors and still runs the file', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-config-warn-'));
    try {
      fs.mkdirSync(path.join(root, '.huskies'));
      fs.writeFileSync(path.join(root, '.huskies', 'project.toml'), 'max_coders = 5\nmax_coder = 4\n');
      const store = new ConfigStore(root, path.join(root, '.huskies', 'config.lastgood.json'));
      await store.reload();
      assert.equal(store.config.project.maxCoders, 5);
      assert.deepEqual(store.getProblems(), []);
      assert.deepEqual(store.getWarnings(), ['.huskies/project.toml:2: unknown key "max_coder" (did you mean "max_coders"?)']);
      assert.deepEqual(
        store.getDiagnostics().map((d) => d.severity),
        ['warning'],
      );
      assert.equal(store.agentsUnavailable(), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('unknown agent keys stay errors, with a guess', () => {
    assert.deepEqual(errorsOf(checkAgentsToml('[[agent]]\nname = "a"\nmodle = "opus"\n')), ['.huskies/agents.toml:3: agent "a": unknown key "modle" (did you mean "model"?)']);
    assert.throws(() => parseAgentsToml('[[agent]]\nname = "a"\nmodle = "opus"\n'), ConfigError);
  });
});

describe('config: the pipeline keys of project.toml', () => {
  it('have their defaults', () => {
    const p = parseProjectToml('');
    assert.equal(p.qaCommand, undefined);
    assert.equal(p.mergemasterAttempts, 2);
    assert.equal(p.archiveAfterHours, 4);
    assert.equal(p.keepBranches, false);
    assert.equal(p.stackOnParents, false);
  });

  it('are read without warnings', () => {
    const check = checkProjectToml(
      [
        'default_qa = "agent"',
        'qa_command = "npm test"',
        'mergemaster_attempts = 3',
        'archive_after_hours = 0.5',
        'keep_branches = true',
        'stack_on_parents = true',
        '[[component]]',
        'name = "web"',
        'test = ["npm run lint", "npm test"]',
        '[[component]]',
        'name = "server"',
        'test = "cargo test"',
      ].join('\n'),
    );
    assert.deepEqual(check.problems, []);
    const p = check.value!;
    assert.equal(p.defaultQa, 'agent');
    assert.deepEqual(p.qaCommand, ['npm test']);
    assert.equal(p.mergemasterAttempts, 3);
    assert.equal(p.archiveAfterHours, 0.5);
    assert.equal(p.keepBranches, true);
    assert.equal(p.stackOnParents, true);
    assert.deepEqual(
      p.components.map((c) => [c.name, c.test]),
      [
        ['web', ['npm run lint', 'npm test']],
        ['server', ['cargo test']],
      ],
    );
    assert.deepEqual(parseProjectToml('qa_command = ["make check", "make lint"]').qaCommand, ['make check', 'make lint']);
    assert.equal(parseProjectToml('merge_retries = 5').mergemasterAttempts, 5);
  });

  it('are type-checked', () => {
    const text = [
      'qa_command = 3',
      'mergemaster_attempts = 0',
      'archive_after_hours = "4"',
      'keep_branches = "no"',
      'stack_on_parents = 1',
      '[[component]]',
      'name = "web"',
      'test = [1]',
    ].join('\n');
    const errors = errorsOf(checkProjectToml(text));
    for (const [line, key] of [
      [1, 'qa_command'],
      [2, 'mergemaster_attempts'],
      [3, 'archive_after_hours'],
      [4, 'keep_branches'],
      [5, 'stack_on_parents'],
      [8, 'test'],
    ] as const) {
      assert.ok(
        errors.some((e) => e.startsWith(`.huskies/project.toml:${line}:`) && e.includes(`key "${key}" must be`)),
        `${key}:\n${errors.join('\n')}`,
      );
    }
    assert.equal(errors.length, 6, errors.join('\n'));
  });

  it('merge_retries and mergemaster_attempts are one setting: setting both is an error', () => {
    assert.deepEqual(errorsOf(checkProjectToml('merge_retries = 2\nmergemaster_attempts = 3\n')), [
      '.huskies/project.toml:2: keys "merge_retries" and "mergemaster_attempts" are the same setting; keep one',
    ]);
  });
});
