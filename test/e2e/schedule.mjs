// End to end: a recurring timer added from the palette's guided flow is listed on the board, fires,
// and its prompt's story appears as a card; its Cancel button on the board removes it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../scripts/codeServer.mjs';
import { findInWebviews, runCommand, waitForInputBox } from './workbench.mjs';

/** Waits for the quick input titled like `title`, types `text` and presses Enter in it. */
async function answer(page, title, text, log) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const q = await waitForInputBox(page, { timeout: 5_000 }).catch(() => null);
    if (q && title.test(q.title)) {
      await q.box.fill(text);
      await sleep(150); // a quick pick filters its items as it is typed into
      await q.box.press('Enter');
      log(`${q.title.trim()}: ${JSON.stringify(text)}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`no quick input titled ${title} (now: ${JSON.stringify(q?.title ?? null)})`);
    await sleep(100);
  }
}

export const scheduleTests = [
  {
    name: 'a recurring timer added from the palette fires: its prompt’s story appears on the board; Cancel on the board removes it',
    needs: ['board lists the backlog stories'],
    async run({ page, workspace, log }) {
      await runCommand(page, 'Huskies: Add Timer', 'huskies.addTimer');
      await answer(page, /Add Timer: when/, 'Cron', log);
      await answer(page, /Add Timer: cron/, '*/5 * * * * *', log);
      await answer(page, /Add Timer: action/, 'Prompt', log);
      await answer(page, /Add Timer: prompt/, 'Timer check e2e', log);
      await answer(page, /Add Timer: name/, 'e2e timer', log);
      const listed = await findInWebviews(page, '#timer-list .schedule-item:has-text("e2e timer")', { timeout: 20_000, state: 'visible' });
      log(`board lists: ${JSON.stringify((await listed.first().innerText()).replace(/\s+/g, ' ').trim())}`);
      const t = Date.now();
      const card = await findInWebviews(page, 'div.card:has-text("Timer check e2e")', { timeout: 30_000 });
      const stage = await card.first().getAttribute('data-stage');
      log(`card #${await card.first().getAttribute('data-story-id')} "Timer check e2e" (${stage}) after ${Date.now() - t} ms`);
      const work = join(workspace, '.huskies', 'work');
      const files = readdirSync(work).flatMap((d) => readdirSync(join(work, d)).map((f) => `${d}/${f}`));
      const mine = files.filter((f) => /timer_check_e2e/i.test(f));
      log(`story files: ${mine.join(', ')}`);
      if (!mine.length) throw new Error(`no story file for the timer’s prompt under .huskies/work (${files.join(', ')})`);
      const cancel = await findInWebviews(page, '#timer-list .schedule-item:has-text("e2e timer") [data-action="cancelSchedule"]', { timeout: 5_000, state: 'visible' });
      await cancel.first().click();
      const deadline = Date.now() + 15_000;
      while ((await listed.count()) > 0) {
        if (Date.now() > deadline) throw new Error('the cancelled timer is still listed on the board');
        await sleep(200);
      }
      log('timer cancelled from the board');
    },
  },
];
