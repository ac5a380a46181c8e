// The extension manifest: every command the code registers is contributed (with the Huskies
// category), and the agents' worktrees stay out of VS Code's file watcher and search.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandIds } from '../../src/extension/commandIds';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string; category?: string }[]; configurationDefaults?: Record<string, Record<string, boolean>> };
};

describe('extension manifest', () => {
  it('contributes every command id the extension registers, in the Huskies category', () => {
    const contributed = new Map(manifest.contributes.commands.map((c) => [c.command, c.category]));
    for (const id of Object.values(CommandIds)) assert.equal(contributed.get(id), 'Huskies', id);
  });

  it('keeps .huskies/worktrees out of the file watcher and search: 30 worktrees would swamp both', () => {
    const d = manifest.contributes.configurationDefaults ?? {};
    assert.equal(d['files.watcherExclude']?.['**/.huskies/worktrees/**'], true);
    assert.equal(d['search.exclude']?.['**/.huskies/worktrees'], true);
  });
});
