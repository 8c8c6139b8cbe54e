import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../setup/app.ts';
import { createUser, showSeatRows, type TestUser } from '../setup/factories.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema, tag } from '../setup/pricing.ts';
import { chromiumPath, browserSuite, openShow, screenshot, seat, seriousAxeViolations, settledSeat } from './browser.ts';

const euros = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describe.skipIf(chromiumPath === null)('checkout in the browser', () => {
  // The late card stays "processing" for 2 s instead of 20.
  const suite = browserSuite({ payments: { ...testConfig().payments, testLateSeconds: 2 } });

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

  /** The user's orders of a showtime, newest last, as stored. */
  const ordersOf = (userId: number, showId: number) =>
    suite.app.db
      .selectFrom('orders')
      .select(['id', 'reference', 'status', 'total_amount', 'fee_amount', 'tax_amount', 'discount_amount'])
      .where('user_id', '=', userId)
      .where('showtime_id', '=', showId)
      .orderBy('id')
      .execute();

  /** Seat map → two seats → Continue → Adult for the first, Child for the second; ends on the ticket step, priced. */
  async function chooseTickets(page: Page, showId: number, total: number) {
    await openShow(page, showId);
    // A click before the page knows who is logged in does nothing: wait for the header to know.
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await seat(page, 'A', 1).click();
    await seat(page, 'A', 2).click();
    await settledSeat(page, 'A', 1, 'held by you').waitFor();
    await settledSeat(page, 'A', 2, 'held by you').waitFor();
    await page.getByRole('button', { name: 'Continue with 2 seats' }).click();
    await page.getByLabel('Ticket type for Row A, seat 2').selectOption({ label: `Child · ${euros(800)}` });
    await expect.poll(() => summaryTotal(page).innerText()).toBe(euros(total));
  }

  /** On the payment page: types a card number and pays. */
  async function payWith(page: Page, card: string, total: number) {
    const number = page.getByLabel('Card number');
    await number.fill(card);
    await page.getByRole('button', { name: `Pay ${euros(total)}` }).click();
  }

  it('when a user pays Adult + Child with the success card, then the confirmation shows reference, seats, ticket types, fee, tax and total, and the seats are booked', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    // The test provider's form says what it is and lists its cards.
    await page.getByText('Test payment provider.', { exact: false }).first().waitFor();
    await page.getByRole('button', { name: /^Use test card 4242 4242 4242 4242/ }).waitFor();
    // The countdown follows the order's payment window (PAYMENT_WINDOW_SECONDS, 600 s), not the 300 s hold it extended.
    await page.getByRole('timer').waitFor();
    expect(await page.getByRole('timer').innerText()).toMatch(/^(10:00|9:[0-5]\d)$/);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'checkout-payment');
    await page.getByRole('button', { name: /^Use test card 4242 4242 4242 4242/ }).click();
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();

    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    const reference = (await page.locator('.ticket-code').innerText()).trim();
    const ticket = await page.locator('.ticket').innerText();
    for (const text of ['Row A, seat 1 · Adult', 'Row A, seat 2 · Child', euros(1250), euros(800), euros(100), euros(205), euros(2355)]) {
      expect(ticket).toContain(text);
    }
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'checkout-confirmation');

    const [order] = await ordersOf(user.id, cinema.show.id);
    expect(order).toMatchObject({ reference, status: 'paid', total_amount: 2355, fee_amount: 100, tax_amount: 205 });
    const bookings = await suite.app.db.selectFrom('bookings').select(['seat_id', 'user_id', 'order_id']).where('showtime_id', '=', cinema.show.id).orderBy('seat_id').execute();
    expect(bookings).toEqual([
      { seat_id: cinema.standardSeats[0], user_id: user.id, order_id: order!.id },
      { seat_id: cinema.standardSeats[1], user_id: user.id, order_id: order!.id },
    ]);
  });

  it('when the answer to Pay is lost and the user presses Pay again, then the retry carries the same Idempotency-Key and gets the same order', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();
    await chooseTickets(page, cinema.show.id, 2355);

    // The first POST reaches the server and creates the order; its answer never reaches the page.
    const keys: string[] = [];
    await page.route('**/api/orders', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await page.getByRole('alert').getByText('Could not reach Boxoffice; check your connection and try again.').waitFor();
    expect(await ordersOf(user.id, cinema.show.id)).toHaveLength(1);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await page.getByLabel('Card number').waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    const orders = await ordersOf(user.id, cinema.show.id);
    expect(orders).toHaveLength(1);
    expect(new URL(page.url()).pathname).toBe(`/orders/${orders[0]!.id}/pay`);
  });

  it('when the card is declined, then the page says so, the order stays pending with the seats held, and another card pays it', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await payWith(page, '4000 0000 0000 0002', 2355);
    await page.getByRole('alert').getByText('Your card was declined; try another card.').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    const [pending] = await ordersOf(user.id, cinema.show.id);
    expect(pending?.status).toBe('pending_payment');
    const held = (await showSeatRows(suite.app.db, cinema.show.id)).filter((r) => r.status === 'held');
    expect(held.map((r) => [r.seat_id, r.locked_by_id])).toEqual([
      [cinema.standardSeats[0], user.id],
      [cinema.standardSeats[1], user.id],
    ]);

    await payWith(page, '4242 4242 4242 4242', 2355);
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    expect((await ordersOf(user.id, cinema.show.id)).map((o) => [o.id, o.status])).toEqual([[pending!.id, 'paid']]);
  });

  it('when the user cancels on the payment page, then the order is cancelled, the seats are free again and the seat map shows them so', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await page.getByRole('button', { name: 'Cancel this order and release the seats' }).click();
    await settledSeat(page, 'A', 1, 'available').waitFor();
    await settledSeat(page, 'A', 2, 'available').waitFor();
    expect((await ordersOf(user.id, cinema.show.id)).map((o) => o.status)).toEqual(['cancelled']);
    expect((await showSeatRows(suite.app.db, cinema.show.id)).filter((r) => r.status !== 'available')).toEqual([]);
  });

  it('when the card needs 3-D Secure, then the page asks to approve, and approving pays', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await payWith(page, '4000 0025 0000 3155', 2355);
    await page.getByRole('heading', { name: 'Confirm the payment with your bank' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    expect((await ordersOf(user.id, cinema.show.id)).map((o) => o.status)).toEqual(['paid']);
  });

  it('when the bank confirms late, then the page waits and moves on to the confirmation by itself', async () => {
    const cinema = await pricedShow();
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByRole('button', { name: `Pay ${euros(2355)}` }).click();
    await payWith(page, '4000 0000 0000 0259', 2355);
    await page.getByText('Waiting for your bank to confirm the payment', { exact: false }).waitFor();
    expect((await ordersOf(user.id, cinema.show.id)).map((o) => o.status)).toEqual(['pending_payment']);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 20_000 });
    expect((await ordersOf(user.id, cinema.show.id)).map((o) => o.status)).toEqual(['paid']);
  });

  it('when a voucher is applied, then the summary shows the discount and the order is paid at the discounted total; a wrong code says so', async () => {
    const cinema = await pricedShow();
    const code = `TEN${tag()}`;
    const made = await suite.app.http.post('/api/admin/vouchers', { code, per: 'order', amount: { percent_basis_points: 1000 }, description: 'Ten off' }, { token: cinema.staff.token });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();

    await chooseTickets(page, cinema.show.id, 2355);
    await page.getByLabel('Voucher code (optional)').fill('NO-SUCH-CODE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#voucher-error').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await summaryTotal(page).innerText()).toBe(euros(2355));

    await page.getByLabel('Voucher code (optional)').fill(code.toLowerCase());
    await page.getByRole('button', { name: 'Apply' }).click();
    // 20.50 − 2.05 = 18.45, + 1.00 fee, + 1.85 tax (10 % of 18.45, half up) = 21.30.
    await expect.poll(() => summaryTotal(page).innerText()).toBe(euros(2130));
    expect(await page.locator('.price-summary').innerText()).toContain(`−${euros(205)}`);
    await page.getByText(`Voucher ${code} applied: Ten off`).waitFor();
    await page.getByRole('button', { name: `Pay ${euros(2130)}` }).click();
    await payWith(page, '4242 4242 4242 4242', 2130);
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('.ticket').innerText()).toContain(euros(2130));
    expect(await ordersOf(user.id, cinema.show.id)).toEqual([expect.objectContaining({ status: 'paid', total_amount: 2130, discount_amount: 205 })]);
  });

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
