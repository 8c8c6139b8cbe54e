import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../setup/app.ts';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, startAppAndBrowser, newContext, openShow, screenshot, seat, settledSeat } from './browser.ts';

describe.skipIf(chromiumPath === null)('holds that run out', () => {
  let app: TestApp;
  let browser: Browser;
  let contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ({ app, browser } = await startAppAndBrowser({ holdTtlSeconds: 3 }));
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });
  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await app?.close();
    }
  });

  it('when the countdown of a hold reaches zero, then the seat is released in the view and another user can hold it', async () => {
    const { showId } = await createShow(app.db, { rows: 2, seatsPerRow: 5 });
    const [first, second] = await Promise.all([createUser(app.db), createUser(app.db)]);
    const contextA = await newContext(browser, app.baseUrl, first);
    contexts.push(contextA);
    const page = await contextA.newPage();
    await openShow(page, showId);

    await seat(page, 'A', 2).click();
    await settledSeat(page, 'A', 2, 'held by you').waitFor();
    const timer = page.getByRole('timer');
    await timer.waitFor();
    expect(await timer.innerText()).toMatch(/^0:0[0-3]$/);
    await screenshot(page, 'seat-map-countdown');

    // The one real wait of the suite: the 3 s TTL runs out (the page changes on its own clock).
    await settledSeat(page, 'A', 2, 'available').waitFor({ timeout: 6_000 });
    await page.getByRole('status').getByText('Your hold on Row A, seat 2 ended, so that seat was released.').waitFor();
    expect(await page.getByRole('timer').count()).toBe(0);
    await page.getByRole('button', { name: 'Book', exact: true }).and(page.locator(':disabled')).waitFor();

    // Another user takes it.
    const contextB = await newContext(browser, app.baseUrl, second);
    contexts.push(contextB);
    const other = await contextB.newPage();
    await openShow(other, showId);
    await seat(other, 'A', 2).click();
    await settledSeat(other, 'A', 2, 'held by you').waitFor();
    const held = (await showSeatRows(app.db, showId)).filter((r) => r.status === 'held');
    expect(held.map((r) => r.locked_by_id)).toEqual([second.id]);
    // …and the first page sees that live.
    await settledSeat(page, 'A', 2, 'held').waitFor({ timeout: 5_000 });
  });
});
