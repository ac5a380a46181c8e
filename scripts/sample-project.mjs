#!/usr/bin/env node
// Creates a small git repository with a .huskies/ project (one simulated agent, stories in the
// backlog) for the end-to-end test and the demo. Usage: node scripts/sample-project.mjs <dir>
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STAGES = ['1_backlog', '2_current', '3_qa', '4_merge', '5_done', '6_archived'];

const STORIES = [
  {
    file: '1_story_add_greeting.md',
    name: 'Add a greeting',
    story: 'As a user I want the program to greet me by name, so that it feels friendly.',
    criteria: ['`greet("Ada")` returns `Hello, Ada!`', 'An empty name greets "world"', 'The README shows an example'],
  },
  {
    file: '2_story_add_farewell.md',
    name: 'Add a farewell',
    story: 'As a user I want a matching farewell, so that sessions end politely.',
    criteria: ['`farewell("Ada")` returns `Goodbye, Ada.`', 'It is exported next to `greet`'],
  },
  {
    file: '3_bug_trim_whitespace_in_names.md',
    name: 'Trim whitespace in names',
    story: 'Names with surrounding spaces produce odd greetings such as `Hello,  Ada !`.',
    criteria: ['Write a failing test first', 'Leading and trailing whitespace is trimmed'],
  },
  {
    file: '4_spike_compare_cli_parsers.md',
    name: 'Compare command-line parsers',
    story: 'Find out which argument parser fits a tiny CLI best. No production code.',
    criteria: ['A short note lists two options with pros and cons'],
  },
];

/** Writes the sample project into `dir` (which must not exist or be empty) and commits it. */
export function createSampleProject(dir) {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new Error(`sample-project: ${root} exists and is not empty`);
  }
  mkdirSync(root, { recursive: true });
  const write = (rel, text) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };

  write(
    'README.md',
    [
      '# greeter',
      '',
      'A tiny sample project for Huskies. Open the Huskies view in the activity bar,',
      'start an agent on a backlog story and watch it move through the pipeline.',
      '',
    ].join('\n'),
  );
  write('src/greeter.js', ['// Greets people.', 'export function greet(name) {', '  return `Hello, ${name}!`;', '}', ''].join('\n'));
  write('package.json', JSON.stringify({ name: 'greeter', version: '0.0.1', private: true, type: 'module' }, null, 2) + '\n');
  write('.gitignore', 'node_modules/\n');

  write(
    '.huskies/project.toml',
    [
      '# Pipeline settings for the sample project.',
      'default_qa = "human"',
      'default_coder_model = "sim"',
      'max_coders = 2',
      'max_retries = 1',
      'base_branch = "main"',
      'timezone = "UTC"',
      '',
    ].join('\n'),
  );
  write(
    '.huskies/agents.toml',
    [
      '# The built-in simulated agent: needs no API key and no network.',
      '[[agent]]',
      'name = "coder-1"',
      'stage = "coder"',
      'runtime = "sim"',
      'model = "sim"',
      'max_turns = 10',
      'max_budget_usd = 1.00',
      'prompt = "You are working on story {{story_id}}. Meet its acceptance criteria."',
      '',
    ].join('\n'),
  );
  write('.huskies/.gitignore', ['worktrees/', 'logs/', 'token_usage.jsonl', 'timers.json', 'triggers.json', 'audit.log', ''].join('\n'));
  write('.huskies/specs/00_CONTEXT.md', '# Context\n\ngreeter is a tiny JavaScript library used to demonstrate Huskies.\n');
  for (const s of STAGES) write(`.huskies/work/${s}/.gitkeep`, '');
  for (const s of STORIES) {
    write(
      `.huskies/work/1_backlog/${s.file}`,
      ['---', `name: ${s.name}`, '---', `# ${s.name}`, '', '## User story', s.story, '', '## Acceptance criteria', ...s.criteria.map((c) => `- [ ] ${c}`), ''].join('\n'),
    );
  }

  const git = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Huskies Sample');
  git('config', 'user.email', 'sample@huskies.invalid');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'Initial commit: greeter with a Huskies pipeline');
  return root;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/sample-project.mjs <dir>');
    process.exit(2);
  }
  try {
    console.log(`sample project created in ${createSampleProject(dir)}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
