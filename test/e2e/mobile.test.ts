import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../setup/app.ts';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, startAppAndBrowser, horizontalOverflow, newContext, screenshot, seat, settledSeat, showDay } from './browser.ts';

describe.skipIf(chromiumPath === null)('on a phone', () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ({ app, browser } = await startAppAndBrowser());
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await app?.close();
    }
  });

  it('when the screen is 375 px wide, then schedule → seat map → hold works and the page never scrolls sideways', async () => {
    const { showId } = await createShow(app.db, { rows: 8, seatsPerRow: 16 });
    const user = await createUser(app.db);
    context = await newContext(browser, app.baseUrl, user, { width: 375, height: 740, mobile: true });
    const page = await context.newPage();

    await page.goto(`/?date=${await showDay(app.db, showId)}`);
    const link = page.locator(`a[href="/shows/${showId}"]`);
    await link.waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'schedule-375');

    await link.click();
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();
    await seat(page, 'D', 12).click();
    await settledSeat(page, 'D', 12, 'held by you').waitFor();
    expect((await showSeatRows(app.db, showId)).filter((r) => r.status === 'held').map((r) => r.locked_by_id)).toEqual([user.id]);
    await page.getByRole('button', { name: 'Book 1 seat' }).waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'seat-map-375');
  });
});
