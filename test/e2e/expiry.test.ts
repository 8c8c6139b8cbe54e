import { describe, expect, it } from 'vitest';
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
