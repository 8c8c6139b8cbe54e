import { describe, expect, it } from 'vitest';
import { createShow, createUser } from '../setup/factories.ts';
import { chromiumPath, browserSuite, openShow, seat, settledSeat, seriousAxeViolations, showDay } from './browser.ts';

describe.skipIf(chromiumPath === null)('accessibility (axe-core)', () => {
  const suite = browserSuite();

  it('when the schedule lists a sold-out showtime beside a cancelled one, then axe finds nothing serious or critical on it or the cancelled seat map', async () => {
    const [open, soldOut, cancelled] = await Promise.all([
      createShow(suite.app.db, { rows: 2, seatsPerRow: 4 }),
      createShow(suite.app.db, { rows: 1, seatsPerRow: 2 }),
      createShow(suite.app.db, { rows: 1, seatsPerRow: 2 }),
    ]);
    const [buyer, staff, viewer] = await Promise.all([createUser(suite.app.db), createUser(suite.app.db, { staff: true }), createUser(suite.app.db)]);
    // Sold out through the API: every seat held and booked by someone else.
    expect((await suite.app.http.post('/api/hold-seats/', { show_id: soldOut.showId, seat_ids: soldOut.seatIds }, { token: buyer.token })).status).toBe(200);
    expect((await suite.app.http.post('/api/book-seats/', { show_id: soldOut.showId, seat_ids: soldOut.seatIds }, { token: buyer.token })).status).toBe(201);
    expect((await suite.app.http.post(`/api/admin/showtimes/${cancelled.showId}/cancel`, {}, { token: staff.token })).status).toBe(200);
    const day = await showDay(suite.app.db, open.showId);
    expect(await showDay(suite.app.db, soldOut.showId)).toBe(day);
    const context = await suite.open(viewer);
    const page = await context.newPage();

    await page.goto(`/?date=${day}`);
    await page.locator(`a[href="/shows/${open.showId}"]`).waitFor();
    const soldOutCard = page.locator(`a[href="/shows/${soldOut.showId}"]`);
    await soldOutCard.getByText('Sold out').waitFor();
    // A cancelled showtime is not on sale, so the schedule leaves it out.
    expect(await page.locator(`a[href="/shows/${cancelled.showId}"]`).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.goto(`/shows/${cancelled.showId}`);
    await page.getByText('This showtime has been cancelled; its seats cannot be booked.').waitFor();
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('when axe scans the schedule, the seat map with holds, the tickets, the payment form and the confirmation, then it finds nothing serious or critical', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 3, seatsPerRow: 8 });
    const [user, other] = await Promise.all([createUser(suite.app.db), createUser(suite.app.db)]);
    // Someone else's hold and booking, so every seat look is on the map.
    const [c1, c2] = [await seatId(showId, 'C', 1), await seatId(showId, 'C', 2)];
    for (const id of [c1, c2]) {
      expect((await suite.app.http.post('/api/hold-seat/', { show_id: showId, seat_id: id }, { token: other.token })).status).toBe(200);
    }
    expect((await suite.app.http.post('/api/book-seats/', { show_id: showId, seat_ids: [c2] }, { token: other.token })).status).toBe(201);
    const context = await suite.open(user);
    const page = await context.newPage();

    await page.goto(`/?date=${await showDay(suite.app.db, showId)}`);
    await page.locator(`a[href="/shows/${showId}"]`).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await openShow(page, showId);
    await seat(page, 'A', 4).click();
    await settledSeat(page, 'A', 4, 'held by you').waitFor();
    await settledSeat(page, 'C', 1, 'held').waitFor();
    await settledSeat(page, 'C', 2, 'booked').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Continue with 1 seat' }).click();
    const pay = page.getByRole('button', { name: /^Pay / });
    await pay.and(page.locator(':enabled')).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await pay.click();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByText('Booking reference', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('when a page has an image without a text alternative, then the axe helper reports it (control)', async () => {
    const context = await suite.open();
    const page = await context.newPage();
    await page.setContent('<!doctype html><html lang="en"><title>Control</title><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>');
    expect((await seriousAxeViolations(page)).map((v) => v.id)).toContain('image-alt');
  });

  async function seatId(showId: number, row: string, number: number): Promise<number> {
    const found = await suite.app.db
      .selectFrom('seats')
      .innerJoin('showtimes', 'showtimes.hall_id', 'seats.hall_id')
      .select('seats.id')
      .where('showtimes.id', '=', showId)
      .where('seats.row', '=', row)
      .where('seats.number', '=', number)
      .executeTakeFirstOrThrow();
    return found.id;
  }
});
