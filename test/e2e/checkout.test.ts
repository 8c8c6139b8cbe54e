import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../setup/factories.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema } from '../setup/pricing.ts';
import { chromiumPath, browserSuite, screenshot, seriousAxeViolations } from './browser.ts';

const euros = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describe.skipIf(chromiumPath === null)('checkout in the browser', () => {
  const suite = browserSuite();

  /**
   * A cinema whose card prices Child at 8.00 (Adult is the showtime's 12.50),
   * with a booking fee of 1.00 per order and 10 % tax on top, not on the fee.
   */
  async function pricedShow() {
    const staff = await createUser(suite.app.db, { staff: true });
    const types = await createTicketTypes(suite.app, staff, { child: { name: 'Child' } });
    const cinema = await pricedCinema(suite.app);
    await createPriceCard(suite.app, staff, {
      venue_id: cinema.venue.id,
      name: 'Standard',
      default: true,
      prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(800) }],
    });
    const pricing = { booking_fee: { per: 'order', amount: { fixed: eur(100) } }, tax: { rate_basis_points: 1000, mode: 'exclusive', on_fee: false } };
    const set = await suite.app.http.send('PUT', `/api/admin/venues/${cinema.venue.id}/pricing`, pricing, { token: staff.token });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    return { ...cinema, staff, child: types.child };
  }

  async function holdSeats(user: TestUser, showId: number, seatIds: number[]) {
    const reply = await suite.app.http.post('/api/hold-seats/', { show_id: showId, seat_ids: seatIds }, { token: user.token });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  }

  const summaryTotal = (page: Page) => page.locator('.price-summary-total dd');

  it('when a user picks Adult and Child for two held seats, then the summary shows the server’s prices with fee and tax, and they follow the choice', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const [a, b] = cinema.standardSeats;
    await holdSeats(user, cinema.show.id, [a!, b!]);
    const context = await suite.open(user);
    const page = await context.newPage();

    await page.goto(`/shows/${cinema.show.id}/checkout`);
    const first = page.getByLabel('Ticket type for Row A, seat 1');
    await first.waitFor();
    // Both Adult at first: 25.00 + 1.00 fee + 2.50 tax.
    await expect.poll(() => summaryTotal(page).innerText()).toBe(euros(2500 + 100 + 250));
    await page.getByLabel('Ticket type for Row A, seat 2').selectOption({ label: `Child · ${euros(800)}` });
    // 12.50 + 8.00 = 20.50, + 1.00 fee, + 2.05 tax = 23.55.
    await expect.poll(() => summaryTotal(page).innerText()).toBe(euros(2355));
    const summary = await page.locator('.price-summary').innerText();
    expect(summary).toContain(euros(100));
    expect(summary).toContain(euros(205));
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'checkout-tickets');
  });
});
