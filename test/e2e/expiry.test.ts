import { describe, expect, it } from 'vitest';
import { testConfig } from '../setup/app.ts';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, browserSuite, openShow, screenshot, seat, settledSeat } from './browser.ts';

describe.skipIf(chromiumPath === null)('holds that run out', () => {
  const suite = browserSuite({ holdTtlSeconds: 3 });

  it('when the countdown of a hold reaches zero, then the seat is released in the view and another user can hold it', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 2, seatsPerRow: 5 });
    const [first, second] = await Promise.all([createUser(suite.app.db), createUser(suite.app.db)]);
    const contextA = await suite.open(first);
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
    await page.getByRole('button', { name: 'Continue', exact: true }).and(page.locator(':disabled')).waitFor();

    // Another user takes it.
    const contextB = await suite.open(second);
    const other = await contextB.newPage();
    await openShow(other, showId);
    await seat(other, 'A', 2).click();
    await settledSeat(other, 'A', 2, 'held by you').waitFor();
    const held = (await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held');
    expect(held.map((r) => r.locked_by_id)).toEqual([second.id]);
    // …and the first page sees that live.
    await settledSeat(page, 'A', 2, 'held').waitFor({ timeout: 5_000 });
  });
});

describe.skipIf(chromiumPath === null)('a checkout that runs out of time', () => {
  const suite = browserSuite({ payments: { ...testConfig().payments, windowSeconds: 3 } });

  it('when the payment window ends before a card is given, then the payment page says so and offers the seat map instead of the form', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 1, seatsPerRow: 4 });
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();
    await openShow(page, showId);
    // A click before the page knows who is logged in does nothing: wait for the header to know.
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await seat(page, 'A', 2).click();
    await settledSeat(page, 'A', 2, 'held by you').waitFor();
    await page.getByRole('button', { name: 'Continue with 1 seat' }).click();
    await page.getByRole('button', { name: /^Pay / }).and(page.locator(':enabled')).click();
    await page.getByLabel('Card number').waitFor();

    await page.getByRole('alert').getByText('This checkout ran out of time and its seats were released; please choose your seats again.').waitFor({ timeout: 8_000 });
    expect(await page.getByLabel('Card number').count()).toBe(0);
    await page.getByRole('link', { name: 'Choose seats again' }).click();
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();
  });
});
