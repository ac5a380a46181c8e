// Playwright helpers for driving the VS Code workbench served by code-server: the activity bar,
// the command palette, quick inputs, webview content (nested iframes) and the status bar.
import { sleep } from '../../scripts/codeServer.mjs';

export const SEL = {
  workbench: '.monaco-workbench',
  activityBar: '#workbench\\.parts\\.activitybar',
  statusBar: '#workbench\\.parts\\.statusbar',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  outerWebview: 'iframe.webview.ready',
  innerWebview: 'iframe#active-frame',
  activeTab: '.editor-group-container .tab.active .label-name',
};

/** The activity-bar entry whose aria-label starts with `title` (e.g. "Huskies"). */
export function activityBarEntry(page, title) {
  return page.locator(`${SEL.activityBar} .action-label[aria-label^="${title}"]`).first();
}

/** A status bar item by its full id "<publisher>.<name>.<item id>". */
export function statusBarItem(page, fullId) {
  return page.locator(`[id="${fullId}"]`).first();
}

/** Opens `url` and waits for the workbench. */
export async function openWorkbench(page, url, { timeout = 60_000 } = {}) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
  await page.locator(SEL.workbench).first().waitFor({ state: 'visible', timeout });
}

/**
 * Polls every webview on the page (outer iframe.webview.ready → inner iframe#active-frame) for
 * `selector` and returns a locator inside the webview that holds it. The inner frame is renamed
 * while it loads, so we select by content, not by frame name.
 */
export async function findInWebviews(page, selector, { timeout = 30_000, interval = 250, state = 'attached' } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    const outer = page.frameLocator(SEL.outerWebview);
    const n = await page
      .locator(SEL.outerWebview)
      .count()
      .catch(() => 0);
    for (let i = 0; i < n; i++) {
      const loc = outer.nth(i).frameLocator(SEL.innerWebview).locator(selector);
      const count = await loc.count().catch(() => 0);
      if (count > 0) {
        if (
          state !== 'visible' ||
          (await loc
            .first()
            .isVisible()
            .catch(() => false))
        )
          return loc;
      }
    }
    if (Date.now() > until) throw new Error(`no webview holds ${selector} after ${timeout / 1000}s (${n} webview frames)`);
    // A card may sit in a closed stage section (the sidebar opens only the stage with work in progress).
    if (selector.includes('.card')) await expandAllStages(page);
    await sleep(interval);
  }
}

/** Waits until `fn(locator)` is truthy for the webview element matching `selector`; returns its value. */
export async function waitInWebviews(page, selector, fn, { timeout = 30_000, interval = 250, what = selector } = {}) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const loc = await findInWebviews(page, selector, { timeout: Math.max(0, until - Date.now()), interval });
      last = await fn(loc);
      if (last) return last;
    } catch (e) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${e.message}`, { cause: e });
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last value ${JSON.stringify(last)})`);
    await sleep(interval);
  }
}

/** Opens the command palette, runs the command with id `commandId` found by typing `title`. */
export async function runCommand(page, title, commandId, { timeout = 15_000 } = {}) {
  const box = page.locator(SEL.quickInputBox);
  await page
    .locator(SEL.workbench)
    .first()
    .click({ position: { x: 5, y: 5 }, trial: true })
    .catch(() => {});
  await page.keyboard.press('F1');
  if (!(await box.isVisible().catch(() => false))) {
    await box.waitFor({ state: 'visible', timeout: 3000 }).catch(async () => {
      await page.keyboard.press('Control+Shift+P');
      await box.waitFor({ state: 'visible', timeout });
    });
  }
  await box.fill(`>${title}`);
  const row = page
    .locator(`${SEL.quickInput} .monaco-list-row[data-quick-input-id="${commandId}"], ` + `${SEL.quickInput} .monaco-list-row:has([data-quick-input-id="${commandId}"])`)
    .first();
  try {
    await row.waitFor({ state: 'visible', timeout });
  } catch {
    const rows = await page
      .locator(`${SEL.quickInput} .monaco-list-row`)
      .allTextContents()
      .catch(() => []);
    throw new Error(`command ${commandId} ("${title}") not in the palette; rows: ${JSON.stringify(rows.slice(0, 8))}`);
  }
  await row.click();
  // The palette's own input keeps its ">…" text until the command has taken over the widget.
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      return !el || !el.offsetParent || !el.value.startsWith('>');
    },
    SEL.quickInputBox,
    { timeout, polling: 50 },
  );
}

/** Waits for an input box (quick input) to be visible and returns its prompt/placeholder text. */
export async function waitForInputBox(page, { timeout = 10_000 } = {}) {
  const box = page.locator(SEL.quickInputBox);
  await box.waitFor({ state: 'visible', timeout });
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      return el && el.offsetParent && !el.value.startsWith('>') && el.placeholder !== 'Type the name of a command to run.';
    },
    SEL.quickInputBox,
    { timeout, polling: 50 },
  );
  const placeholder = (await box.getAttribute('placeholder').catch(() => '')) ?? '';
  const message =
    (await page
      .locator(`${SEL.quickInput} .quick-input-message`)
      .first()
      .textContent()
      .catch(() => '')) ?? '';
  const title =
    (await page
      .locator(`${SEL.quickInput} .quick-input-title`)
      .first()
      .textContent()
      .catch(() => '')) ?? '';
  return { box, placeholder, message, title };
}

/** True while a quick input is on screen. */
export async function quickInputVisible(page) {
  return page
    .locator(SEL.quickInputBox)
    .isVisible()
    .catch(() => false);
}

/** Full-page screenshot that never throws; returns the path or undefined. */
export async function screenshot(page, path) {
  try {
    await page.screenshot({ path, fullPage: true, timeout: 15_000 });
    return path;
  } catch (e) {
    console.error(`screenshot ${path} failed: ${e.message}`);
    return undefined;
  }
}

/**
 * Opens every closed stage section of every board on the page (the sidebar shows only the stage with
 * work in progress by default, and Archived stays closed). The board keeps a section the user opened
 * open, so once is enough. Returns how many it opened.
 */
export async function expandAllStages(page) {
  let opened = 0;
  for (const f of page.frames()) {
    opened += await f
      .evaluate(() => {
        const closed = [...document.querySelectorAll('section.stage .stage-toggle[aria-expanded="false"]')];
        for (const b of closed) b.click();
        return closed.length;
      })
      .catch(() => 0);
  }
  return opened;
}
