// UI bench, P8: the extension's activation as VS Code measures it, over window reloads
// (each reload starts a new extension host, which activates the extension again).
import { sleep } from '../scripts/codeServer.mjs';
import { activityBarEntry, openWorkbench } from '../test/e2e/workbench.mjs';
import { activationFigures } from './uiLib.mjs';

/** Waits for the extension: its activity-bar entry and its status bar item exist once it is active. */
export async function waitActivated(page, { timeout = 180_000 } = {}) {
  await activityBarEntry(page, 'Huskies').waitFor({ state: 'visible', timeout });
  await page.locator('[id="huskies.huskies-vscode.agents"]').first().waitFor({ state: 'attached', timeout });
}

export async function benchActivation({ page, server, log, report, fmtStats, trials }) {
  const shown = [];
  const load = [];
  const call = [];
  const finish = [];
  let event = '';
  // Built-in extensions activated in the same window: a yardstick of how busy the machine is.
  const refs = {};
  const n = Math.max(3, Math.min(trials, 8));
  for (let i = 0; i < n; i++) {
    if (i > 0) await openWorkbench(page, server.folderUrl, { timeout: 240_000 });
    await waitActivated(page);
    await sleep(1500); // let the workbench settle (its own restores) before opening the views
    const f = await activationFigures(page).catch((e) => {
      log(`activation trial ${i + 1}: ${e.message}`);
      return {};
    });
    if (f.error) log(f.error);
    log(`activation trial ${i + 1}: shown ${f.shown} ms; load ${f.load} call ${f.call} finish ${f.finish} (${f.event})`);
    if (f.shown !== undefined) shown.push(f.shown);
    if (f.load !== undefined) {
      load.push(f.load);
      call.push(f.call);
      finish.push(f.finish);
      event = f.event;
      for (const [id, r] of Object.entries(f.others ?? {})) if (id.startsWith('vscode.')) (refs[id] ??= []).push(r.load + r.call);
    }
  }
  report('P8 activation, Running Extensions (load code + call activate)', fmtStats(shown));
  report('P8 activation: load code', fmtStats(load));
  report('P8 activation: call activate', fmtStats(call));
  report('P8 activation: finish activate (its promise resolved)', fmtStats(finish));
  report('P8 activation: load + call + finish', fmtStats(load.map((l, i) => l + call[i] + finish[i])));
  for (const id of ['vscode.git', 'vscode.emmet', 'vscode.merge-conflict']) if (refs[id]) report(`P8 reference: built-in ${id}, load + call`, fmtStats(refs[id]));
  if (event) log(`activation event: ${event}`);
}
