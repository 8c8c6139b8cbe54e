import { describe, expect, it } from 'vitest';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, browserSuite, horizontalOverflow, screenshot, seat, settledSeat, showDay } from './browser.ts';

describe.skipIf(chromiumPath === null)('on a phone', () => {
  const suite = browserSuite();

  it('when the screen is 375 px wide, then schedule → seat map → hold → tickets → payment works and no page scrolls sideways', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 8, seatsPerRow: 16 });
    const user = await createUser(suite.app.db);
    const context = await suite.open(user, { width: 375, height: 740, mobile: true });
    const page = await context.newPage();

    await page.goto(`/?date=${await showDay(suite.app.db, showId)}`);
    const link = page.locator(`a[href="/shows/${showId}"]`);
    await link.waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'schedule-375');

    await link.click();
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();
    await seat(page, 'D', 12).click();
    await settledSeat(page, 'D', 12, 'held by you').waitFor();
    expect((await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held').map((r) => r.locked_by_id)).toEqual([user.id]);
    await page.getByRole('button', { name: 'Continue with 1 seat' }).waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'seat-map-375');

    await page.getByRole('button', { name: 'Continue with 1 seat' }).click();
    await page.getByLabel('Ticket type for Row D, seat 12').waitFor();
    const pay = page.getByRole('button', { name: /^Pay / });
    await pay.and(page.locator(':enabled')).waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'checkout-375');
    await pay.click();
    await page.getByLabel('Card number').waitFor();
    expect(await horizontalOverflow(page)).toEqual({ body: 0, document: 0 });
    await screenshot(page, 'payment-375');
  });
});
