import * as assert from 'node:assert/strict';
import {
  GRACE_MS,
  isClaudeUsageLimitText,
  nextMidnight,
  nextWallClockTime,
  parseAnyReset,
  parseClaudeReset,
  parseCodexReset,
  parseGeminiRetry,
  zonedTimeToEpoch,
} from '../../src/core/agents/parsers/rateLimit';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

describe('parsers: rate-limit reset times', () => {
  describe('Claude', () => {
    const text = "You've hit your session limit · resets 1:55pm (UTC)";
    it('today when still ahead', () => {
      assert.equal(parseClaudeReset(text, utc(2026, 11, 21, 13, 0)), utc(2026, 11, 21, 13, 55));
    });
    it('tomorrow when already past', () => {
      assert.equal(parseClaudeReset(text, utc(2026, 11, 21, 14, 30)), utc(2026, 11, 22, 13, 55));
    });
    it('a time a few minutes past (minute rounded down) is taken as just now', () => {
      assert.equal(parseClaudeReset(text, utc(2026, 11, 21, 13, 55, 30)), utc(2026, 11, 21, 13, 55));
      assert.ok(GRACE_MS >= 60_000);
    });
    it('named zones, with and without daylight saving time', () => {
      assert.equal(parseClaudeReset('resets 1:55pm (Europe/Paris)', utc(2026, 11, 21, 10)), utc(2026, 11, 21, 12, 55));
      assert.equal(parseClaudeReset('resets 1:55pm (Europe/Paris)', utc(2026, 7, 1, 10)), utc(2026, 7, 1, 11, 55));
      assert.equal(parseClaudeReset('resets 9am (America/Los_Angeles)', utc(2026, 11, 21, 13)), utc(2026, 11, 21, 17));
    });
    it('a date: "resets Nov 22, 3pm (Europe/Paris)"', () => {
      const t = "You've hit your weekly limit · resets Nov 22, 3pm (Europe/Paris)";
      assert.equal(parseClaudeReset(t, utc(2026, 11, 21, 12)), utc(2026, 11, 22, 14));
    });
    it('a date across the new year', () => {
      assert.equal(parseClaudeReset('resets Jan 2, 3:30pm (UTC)', utc(2026, 12, 30, 12)), utc(2027, 1, 2, 15, 30));
    });
    it('12am / 12pm', () => {
      assert.equal(parseClaudeReset('resets 12am (UTC)', utc(2026, 11, 21, 13)), utc(2026, 11, 22, 0));
      assert.equal(parseClaudeReset('resets 12pm (UTC)', utc(2026, 11, 21, 11)), utc(2026, 11, 21, 12));
    });
    it('no zone or an unknown zone: the given default zone', () => {
      assert.equal(parseClaudeReset('resets 3pm', utc(2026, 11, 21, 13), 'UTC'), utc(2026, 11, 21, 15));
      assert.equal(parseClaudeReset('resets 3pm (Mars/Olympus)', utc(2026, 11, 21, 13), 'Asia/Tokyo'), utc(2026, 11, 22, 6));
    });
    it('legacy "Claude AI usage limit reached|<epoch seconds>"', () => {
      assert.equal(parseClaudeReset('Claude AI usage limit reached|1700000000', 0), 1700000000000);
    });
    it('nothing to read', () => {
      assert.equal(parseClaudeReset('API Error: Request rejected (429)', utc(2026, 11, 21)), undefined);
      assert.equal(parseClaudeReset('resets soon', utc(2026, 11, 21)), undefined);
      assert.equal(parseClaudeReset('resets 13pm (UTC)', utc(2026, 11, 21)), undefined);
      assert.equal(parseClaudeReset('', 0), undefined);
    });
    it('usage-limit wording', () => {
      assert.ok(isClaudeUsageLimitText("You've hit your session limit · resets 1:55pm (UTC)"));
      assert.ok(isClaudeUsageLimitText('You’ve hit your Opus limit'));
      assert.ok(isClaudeUsageLimitText("You're out of usage credits"));
      assert.ok(!isClaudeUsageLimitText('API Error: Request rejected (429)'));
    });
  });

  describe('Codex', () => {
    const msg =
      'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 1:56 PM.';
    it('"try again at 1:56 PM" in the given zone', () => {
      assert.equal(parseCodexReset(msg, utc(2026, 11, 21, 13), 'UTC'), utc(2026, 11, 21, 13, 56));
      assert.equal(parseCodexReset(msg, utc(2026, 11, 21, 15), 'UTC'), utc(2026, 11, 22, 13, 56));
      // Berlin is UTC+1: 1:56 PM there is 12:56 UTC; at 13:00 UTC it is 4 min past (within the grace), at 13:10 it is tomorrow's
      assert.equal(parseCodexReset(msg, utc(2026, 11, 21, 13), 'Europe/Berlin'), utc(2026, 11, 21, 12, 56));
      assert.equal(parseCodexReset(msg, utc(2026, 11, 21, 13, 10), 'Europe/Berlin'), utc(2026, 11, 22, 12, 56));
    });
    it('"try again at Nov 22nd, 2026 1:56 PM"', () => {
      assert.equal(parseCodexReset('… or try again at Nov 22nd, 2026 1:56 PM.', utc(2026, 11, 21, 13), 'UTC'), utc(2026, 11, 22, 13, 56));
      assert.equal(parseCodexReset('Try again at Dec 1st, 2026 9:05 AM.', utc(2026, 11, 21, 13), 'America/New_York'), utc(2026, 12, 1, 14, 5));
    });
    it('12:05 AM', () => {
      assert.equal(parseCodexReset('try again at 12:05 AM.', utc(2026, 11, 21, 13), 'UTC'), utc(2026, 11, 22, 0, 5));
    });
    it('nothing to read', () => {
      assert.equal(parseCodexReset('exceeded retry limit, last status: 429 Too Many Requests', 0), undefined);
      assert.equal(parseCodexReset('try again later.', 0), undefined);
    });
  });

  describe('Gemini', () => {
    const now = utc(2026, 11, 21, 13);
    it('relative delays', () => {
      assert.equal(parseGeminiRetry('Please retry in 12.3s.', now), now + 12_300);
      assert.equal(parseGeminiRetry('Attempt 1 failed: Resource has been exhausted (e.g. check quota).\nSuggested retry after 30s.. Retrying after 5009ms...', now), now + 30_000);
      assert.equal(parseGeminiRetry('{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"41s"}', now), now + 41_000);
      assert.equal(parseGeminiRetry('Please retry in 500ms', now), now + 500);
      assert.equal(parseGeminiRetry('Retrying after 5009ms...', now), now + 5009);
    });
    it('daily quota: next midnight America/Los_Angeles (PST and PDT)', () => {
      const daily = '[API Error: You have exhausted your daily quota on this model.]';
      assert.equal(parseGeminiRetry(daily, now), utc(2026, 11, 22, 8));
      assert.equal(parseGeminiRetry(daily, utc(2026, 7, 1, 12)), utc(2026, 7, 2, 7));
      // just before midnight Pacific
      assert.equal(parseGeminiRetry('Quota exceeded for quota metric GenerateRequestsPerDayPerProjectPerModel', utc(2026, 11, 22, 7, 59)), utc(2026, 11, 22, 8));
    });
    it('nothing to read', () => {
      assert.equal(parseGeminiRetry('fetch failed', now), undefined);
      assert.equal(parseGeminiRetry('', now), undefined);
    });
  });

  describe('time zone arithmetic', () => {
    it('next midnight', () => {
      assert.equal(nextMidnight(utc(2026, 11, 21, 13), 'UTC'), utc(2026, 11, 22));
      assert.equal(nextMidnight(utc(2026, 11, 22, 0), 'UTC'), utc(2026, 11, 23));
      assert.equal(nextMidnight(utc(2026, 12, 31, 22, 59), 'Europe/Paris'), utc(2026, 12, 31, 23));
      // 23:59 UTC is already Jan 1 00:59 in Paris: the next midnight there is Jan 2 00:00 (Jan 1 23:00 UTC)
      assert.equal(nextMidnight(utc(2026, 12, 31, 23, 59), 'Europe/Paris'), utc(2027, 1, 1, 23));
    });
    it('wall-clock times on DST change days', () => {
      // Europe/Paris springs forward on 2026-03-29 at 02:00 → 03:00; autumn back on 2026-10-25 03:00 → 02:00
      assert.equal(zonedTimeToEpoch(2026, 3, 29, 12, 0, 'Europe/Paris'), utc(2026, 3, 29, 10));
      assert.equal(zonedTimeToEpoch(2026, 3, 28, 12, 0, 'Europe/Paris'), utc(2026, 3, 28, 11));
      assert.equal(zonedTimeToEpoch(2026, 10, 25, 12, 0, 'Europe/Paris'), utc(2026, 10, 25, 11));
      // a time in the spring gap still gives an instant near it
      const gap = zonedTimeToEpoch(2026, 3, 29, 2, 30, 'Europe/Paris');
      assert.ok(Math.abs(gap - utc(2026, 3, 29, 1, 30)) <= 3_600_000);
    });
    it('next wall-clock time rolls over month ends', () => {
      assert.equal(nextWallClockTime(utc(2026, 11, 30, 23), 9, 0, 'UTC'), utc(2026, 12, 1, 9));
    });
    it('parseAnyReset tries every wording', () => {
      const now = utc(2026, 11, 21, 13);
      assert.equal(parseAnyReset('resets 2pm (UTC)', now), utc(2026, 11, 21, 14));
      assert.equal(parseAnyReset('try again at 2:30 PM.', now, 'UTC'), utc(2026, 11, 21, 14, 30));
      assert.equal(parseAnyReset('Please retry in 3s', now), now + 3000);
      assert.equal(parseAnyReset('nope', now), undefined);
    });
  });
});
