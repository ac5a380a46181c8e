// Which commands the server gate runs, in which folder and order, and when nothing is configured.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ComponentSpec } from '../../src/core/config/types';
import { componentDir } from '../../src/core/gates/commandRunner';
import { gateSteps, hasGates } from '../../src/core/gates/serverGates';

const comp = (c: Partial<ComponentSpec> & { name: string }): ComponentSpec => ({ path: '.', setup: [], teardown: [], test: [], ...c });

describe('server gate steps', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'huskies-steps-')));
    fs.mkdirSync(path.join(dir, 'web'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const components = () => [
    comp({ name: 'web', path: 'web', setup: ['npm ci'], teardown: ['npm run stop'], test: ['npm test', 'npm run lint'] }),
    comp({ name: 'docs', setup: ['make deps'] }),
    comp({ name: 'api', path: './', test: ['cargo test'] }),
  ];

  it('runs the component tests in their folders, then qa_command at the root; setup only when asked', () => {
    const plain = gateSteps(dir, { components: components(), qaCommand: ['make check'] });
    assert.deepEqual(plain, [
      { command: 'npm test', cwd: path.join(dir, 'web') },
      { command: 'npm run lint', cwd: path.join(dir, 'web') },
      { command: 'cargo test', cwd: dir },
      { command: 'make check', cwd: dir },
    ]);
    const withSetup = gateSteps(dir, { components: components(), qaCommand: [] }, true).map((s) => s.command);
    assert.deepEqual(withSetup, ['npm ci', 'npm test', 'npm run lint', 'make deps', 'cargo test']);
  });

  it('has gates only when a test or qa_command is configured', () => {
    assert.equal(hasGates({ components: [] }), false);
    assert.equal(hasGates({ components: [comp({ name: 'x', setup: ['a'], teardown: ['b'] })], qaCommand: [] }), false);
    assert.equal(hasGates({ components: [comp({ name: 'x', test: ['t'] })] }), true);
    assert.equal(hasGates({ components: [], qaCommand: ['t'] }), true);
  });

  it('a component folder must be inside the worktree and exist', () => {
    assert.deepEqual(componentDir(dir, { name: 'web', path: 'web' }), { cwd: path.join(dir, 'web') });
    assert.equal(componentDir(dir, { name: 'root', path: '' }).cwd, dir);
    assert.match(componentDir(dir, { name: 'up', path: '../x' }).error ?? '', /component "up": path "..\/x" is outside the worktree/);
    assert.match(componentDir(dir, { name: 'abs', path: '/etc' }).error ?? '', /is outside the worktree/);
    assert.match(componentDir(dir, { name: 'no', path: 'nope' }).error ?? '', /does not exist/);
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.match(componentDir(dir, { name: 'f', path: 'file' }).error ?? '', /is not a folder/);
    fs.symlinkSync(os.tmpdir(), path.join(dir, 'out'));
    assert.match(componentDir(dir, { name: 'l', path: 'out' }).error ?? '', /through a symbolic link/);
    const steps = gateSteps(dir, { components: [comp({ name: 'up', path: '../x', test: ['rm -rf .'] })] });
    assert.match(steps[0].error ?? '', /outside the worktree/);
  });
});
