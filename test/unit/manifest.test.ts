// The extension manifest: every command the code registers is contributed (with the Huskies
// category), and the agents' worktrees stay out of VS Code's file watcher and search.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandIds } from '../../src/extension/commandIds';
import { CARD_ACTIONS, actionContextKey } from '../../src/protocol/messages';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string; category?: string }[];
    menus?: Record<string, { command: string; when?: string; group?: string }[]>;
    configurationDefaults?: Record<string, Record<string, boolean>>;
    walkthroughs?: { id: string; steps: { id: string; description: string; media: { markdown?: string; image?: string }; completionEvents?: string[] }[] }[];
  };
};

describe('extension manifest', () => {
  it('contributes every command id the extension registers, in the Huskies category', () => {
    const contributed = new Map(manifest.contributes.commands.map((c) => [c.command, c.category]));
    for (const id of Object.values(CommandIds)) assert.equal(contributed.get(id), 'Huskies', id);
  });

  it('keeps .huskies/worktrees and .huskies/logs out of the file watcher and search: 30 worktrees, and transcripts written 40 times a second each, would swamp both', () => {
    const d = manifest.contributes.configurationDefaults ?? {};
    assert.equal(d['files.watcherExclude']?.['**/.huskies/worktrees/**'], true);
    assert.equal(d['search.exclude']?.['**/.huskies/worktrees'], true);
    assert.equal(d['files.watcherExclude']?.['**/.huskies/logs/**'], true);
    assert.equal(d['search.exclude']?.['**/.huskies/logs'], true);
  });

  it('the board cards’ context menu offers every card action, each only on a card that sets its context key, in both board views', () => {
    const menu = manifest.contributes.menus?.['webview/context'] ?? [];
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const action of CARD_ACTIONS) {
      const key = actionContextKey(action);
      const entries = menu.filter((m) => new RegExp(`&& ${key}$`).test(m.when ?? ''));
      assert.ok(entries.length >= 1, `no context menu entry for the card action "${action}" (when … && ${key})`);
      for (const e of entries) {
        assert.ok(contributed.has(e.command), `${e.command} is not a contributed command`);
        assert.match(e.when!, /^\(webviewId == 'huskies\.board' \|\| webviewId == 'huskies\.boardPanel'\) && webviewSection == 'card' && /);
      }
    }
    for (const m of menu)
      assert.ok(
        CARD_ACTIONS.some((a) => m.when?.endsWith(`&& ${actionContextKey(a)}`)),
        `${m.command}: its when clause names no card action`,
      );
  });

  it('the Get Started walkthrough leads through initialize, add a story, start an agent and review, each with a command the extension registers', () => {
    const [walk] = manifest.contributes.walkthroughs ?? [];
    assert.ok(walk, 'no walkthrough is contributed');
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const registered = new Set<string>(Object.values(CommandIds));
    const stepCommands = walk.steps.map((s) => [...s.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]));
    assert.deepEqual(
      stepCommands.map((c) => c[0]),
      [CommandIds.initProject, CommandIds.newStory, CommandIds.startAgent, CommandIds.openBoard],
    );
    for (const step of walk.steps) {
      const linked = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
      const awaited = (step.completionEvents ?? []).filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length));
      for (const id of [...linked, ...awaited]) {
        assert.ok(contributed.has(id) && registered.has(id), `${step.id}: ${id} is not a registered, contributed command`);
      }
      const media = step.media.markdown ?? step.media.image;
      assert.ok(media && fs.existsSync(path.join(__dirname, '..', '..', media)), `${step.id}: its media ${media} is missing`);
    }
  });
});
