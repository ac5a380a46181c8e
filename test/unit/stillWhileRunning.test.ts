// What the board, the output panel and the status bar show for running agents stands still: with
// 30 agents, a spinning ring per card (and in the output header, and the status bar's spinning icon)
// repaints the whole window every frame, which on a small machine delayed clicks by a second and
// live output by hundreds of milliseconds (node bench/ui.mjs --only p1,click). A still mark says
// "running" as well.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { statusText } from '../../src/extension/boardModel';

const root = path.join(__dirname, '..', '..');
const read = (...p: string[]) => fs.readFileSync(path.join(root, ...p), 'utf8');

describe('running agents are shown by marks that do not move', () => {
  it('the webviews’ style sheets animate nothing', () => {
    for (const css of ['board.css', 'output.css']) {
      assert.doesNotMatch(read('media', css), /@keyframes|animation\s*:|animation-name/, css);
    }
  });

  it('the webview code makes no progress ring (the toolkit’s is animated forever)', () => {
    for (const f of fs.readdirSync(path.join(root, 'webview')).filter((f) => f.endsWith('.ts'))) {
      assert.doesNotMatch(read('webview', f), /vscode-progress-ring|vsCodeProgressRing/, f);
    }
  });

  it('the status bar says how many run without a spinning icon', () => {
    const text = statusText({ initialized: true, running: 30, queued: 2 } as Parameters<typeof statusText>[0]);
    assert.match(text, /30 running, 2 queued/);
    assert.doesNotMatch(text, /~spin/);
  });
});
