// Playwright helpers for the review and steering scenarios: the native context menu of a board card,
// the multi-file changes editor, and dragging a card onto another stage's column.
import { findInWebviews, waitInWebviews } from './workbench.mjs';

const MENU = '.context-view .monaco-menu';

/** Right-clicks the card and returns the labels of VS Code's context menu, then closes it. */
export async function contextMenuLabels(page, cardSelector, { timeout = 15_000 } = {}) {
  const card = await findInWebviews(page, cardSelector, { timeout, state: 'visible' });
  await card.first().click({ button: 'right', position: { x: 6, y: 6 } });
  const menu = page.locator(MENU).first();
  await menu.waitFor({ state: 'visible', timeout });
  // The menu fills in its items as it opens: read them once one is there.
  await page.locator(`${MENU} .action-item .action-label`).first().waitFor({ state: 'visible', timeout });
  const labels = (await page.locator(`${MENU} .action-item .action-label`).allTextContents()).map((l) => l.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden', timeout }).catch(() => {});
  return labels;
}

/** Waits until the active editor is a (multi-file) diff editor whose tab title matches `title`. */
export async function waitForChangesEditor(page, title, { timeout = 30_000 } = {}) {
  const ok = await page
    .waitForFunction(
      ({ source, flags }) => {
        const label = document.querySelector('.editor-group-container .tab.active .label-name')?.textContent ?? '';
        if (!new RegExp(source, flags).test(label)) return false;
        const group = document.querySelector('.editor-group-container.active') ?? document;
        const editor = group.querySelector('.multiDiffEditor, .monaco-diff-editor');
        return editor ? { label, files: group.querySelectorAll('.monaco-diff-editor').length } : false;
      },
      { source: title.source, flags: title.flags },
      { timeout, polling: 100 },
    )
    .catch(() => undefined);
  if (!ok) {
    const active = await page
      .locator('.editor-group-container .tab.active .label-name')
      .first()
      .textContent()
      .catch(() => null);
    throw new Error(`no diff editor tab matching ${title} (active tab: ${JSON.stringify(active)})`);
  }
  const v = await ok.jsonValue();
  return { tab: v.label, files: v.files };
}

/**
 * Drags the card onto the header of `stage`'s column with the mouse; when the browser's drag does
 * not reach the page (headless drags can be swallowed), dispatches the same drag events itself.
 * Returns how it dragged.
 */
export async function dragCardTo(page, cardSelector, stage, { timeout = 15_000 } = {}) {
  const card = (await findInWebviews(page, cardSelector, { timeout, state: 'visible' })).first();
  const target = card.locator('xpath=ancestor::div[@id="board"]').locator(`section.stage[data-stage="${stage}"] .stage-header`).first();
  await target.scrollIntoViewIfNeeded();
  await card.dragTo(target, { timeout });
  const moved = await waitInWebviews(page, cardSelector, async (loc) => (await loc.first().getAttribute('data-stage')) === stage, { timeout: 5_000 }).catch(() => false);
  if (moved) return 'mouse';
  await card.evaluate((el, to) => {
    const header = document.querySelector(`section.stage[data-stage="${to}"] .stage-header`);
    if (!header) throw new Error(`no column for ${to}`);
    const dataTransfer = new DataTransfer();
    const fire = (node, type) => node.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer }));
    fire(el, 'dragstart');
    fire(header, 'dragenter');
    fire(header, 'dragover');
    fire(header, 'drop');
    fire(el, 'dragend');
  }, stage);
  return 'drag events';
}
