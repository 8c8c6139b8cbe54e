import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createShow, createUser, createUsers, type TestUser } from '../setup/factories.ts';
import { eur, pricedCinema } from '../setup/pricing.ts';
import { chromiumPath, browserSuite, focusedName, screenshot, seriousAxeViolations } from './browser.ts';

const euros = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describe.skipIf(chromiumPath === null)('the staff order desk in the browser', () => {
  const suite = browserSuite();

  const asUser = (user: TestUser) => ({ token: user.token });

  async function hold(user: TestUser, showId: number, seatId: number) {
    const reply = await suite.app.http.post('/api/hold-seat/', { show_id: showId, seat_id: seatId }, asUser(user));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  }

  /** POST /api/orders for one held seat as Adult, with a fresh Idempotency-Key (201 asserted). */
  async function startOrder(user: TestUser, showId: number, seatId: number, extra: Record<string, unknown> = {}) {
    const reply = await suite.app.http.post(
      '/api/orders',
      { show_id: showId, tickets: [{ seat_id: seatId, ticket_type: 'ADULT' }], ...extra },
      { ...asUser(user), headers: { 'idempotency-key': randomUUID() } },
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    return reply.body;
  }

  /** A moviegoer's card order for one seat, paid with the test provider's success card, as the browser pays. */
  async function paidOrder(customer: TestUser, showId: number, seatId: number) {
    await hold(customer, showId, seatId);
    const order = await startOrder(customer, showId, seatId);
    const confirmed = await suite.app.http.post(`/api/test-provider/payments/${order.payment.id}/confirm`, {
      client_secret: order.payment.client_secret,
      card_number: '4242 4242 4242 4242',
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    await expect.poll(async () => (await suite.app.http.get(`/api/orders/${order.id}`, asUser(customer))).body.status, { timeout: 15_000 }).toBe('paid');
    return (await suite.app.http.get(`/api/orders/${order.id}`, asUser(customer))).body;
  }

  /** A box-office sale: staff hold the seat and start the order, to be paid at the till. */
  async function boxOfficeOrder(staff: TestUser, showId: number, seatId: number) {
    await hold(staff, showId, seatId);
    const order = await startOrder(staff, showId, seatId, { payment_method: 'box_office' });
    expect(order).toMatchObject({ status: 'pending_payment', payment: { method: 'box_office' } });
    return order;
  }

  /** Logs in through the login page and lands on the order desk. */
  async function logIn(page: Page, staff: TestUser, next = '/staff/orders') {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Username').fill(staff.username);
    await page.getByLabel('Password').fill(staff.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'Staff', exact: true }).waitFor();
  }

  const ordersTable = (page: Page) => page.getByRole('table', { name: /orders, newest first$/i });

  const showSeatState = (showId: number, seatId: number) =>
    suite.app.db.selectFrom('show_seats').select('status').where('showtime_id', '=', showId).where('seat_id', '=', seatId).executeTakeFirstOrThrow();

  it('when staff search a paid order by its reference (lower case, with a space), then the list shows only it, and its page shows its lines and total', async () => {
    // Adult at 12.50, a booking fee of 1.00 per order and 10 % tax on top of the ticket: 14.75.
    const cinema = await pricedCinema(suite.app);
    const [customer, other, staff] = await Promise.all([createUser(suite.app.db), createUser(suite.app.db), createUser(suite.app.db, { staff: true })]);
    const pricing = { booking_fee: { per: 'order', amount: { fixed: eur(100) } }, tax: { rate_basis_points: 1000, mode: 'exclusive', on_fee: false } };
    expect((await suite.app.http.send('PUT', `/api/admin/venues/${cinema.venue.id}/pricing`, pricing, asUser(staff))).status).toBe(200);
    const showId = cinema.show.id;
    const seatIds = cinema.standardSeats;
    const order = await paidOrder(customer, showId, seatIds[0]!);
    expect(order.total).toEqual(eur(1475));
    await hold(other, showId, seatIds[1]!);
    const unrelated = await startOrder(other, showId, seatIds[1]!);
    const booking = await suite.app.db.selectFrom('bookings').select(['id', 'order_id']).where('showtime_id', '=', showId).where('seat_id', '=', seatIds[0]!).executeTakeFirstOrThrow();
    expect(booking.order_id).toBe(order.id);

    const context = await suite.open();
    const page = await context.newPage();
    await logIn(page, staff);
    await page.getByRole('heading', { name: 'Orders', level: 2 }).waitFor();
    // Newest first: the unrelated order, started later, is above the paid one.
    await ordersTable(page).waitFor();
    const references = await ordersTable(page).locator('tbody th').allInnerTexts();
    expect(references.indexOf(unrelated.reference)).toBeLessThan(references.indexOf(order.reference));
    expect(await seriousAxeViolations(page)).toEqual([]);

    const typed = `${order.reference.slice(0, 4).toLowerCase()} ${order.reference.slice(4).toLowerCase()}`;
    await page.getByLabel('Order or booking reference').fill(typed);
    await page.getByLabel('Order or booking reference').press('Enter');
    await page.getByRole('status').getByText('1 order shown.').waitFor();
    expect(new URL(page.url()).search).toBe(`?reference=${encodeURIComponent(typed).replace(/%20/g, '+')}`);
    const rows = ordersTable(page).locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator('th, td').allInnerTexts();
    expect(cells[0]).toBe(order.reference);
    expect(cells.slice(1, 3)).toEqual(['Paid', 'Priced']);
    expect(cells.slice(4)).toEqual(['Row A: 1', '€14.75', 'Card']);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'staff-orders-list');

    // Keyboard: the reference is a link, opened with Enter.
    await page.getByRole('link', { name: order.reference }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `Order ${order.reference} Paid` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/staff/orders/${order.id}`);
    const lines = page.getByRole('table', { name: `Tickets of order ${order.reference}` });
    const line = await lines.locator('tbody tr').first().locator('th, td').allInnerTexts();
    expect(line).toEqual(['Row A, seat 1', 'Adult', '€12.50', '€0.00', '€1.00', '€1.25', '€14.75', `#${booking.id}`]);
    expect(await page.locator('.price-summary-total dd').innerText()).toBe('€14.75');
    const payment = await page.getByRole('region', { name: 'Payment' }).innerText();
    for (const text of ['Card', 'Test provider', 'succeeded']) {
      expect(payment).toContain(text);
    }
    // A card order is not settled at the till.
    expect(await page.getByRole('button', { name: 'Mark paid' }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'staff-order-detail');

    // The showtime's report counts it by ticket type and in the order totals.
    await page.getByRole('link', { name: `showtime ${showId}` }).click();
    const byType = page.getByRole('table', { name: /per ticket type/ });
    await byType.waitFor();
    expect(await byType.locator('tbody tr').allInnerTexts()).toEqual(['Adult\t1\t€14.75']);
    const totals = await page.getByRole('region', { name: 'Orders' }).innerText();
    for (const pair of [/Paid orders\s+1\b/, /Voucher discounts\s+€0\.00/, /Booking fees\s+€1\.00/, /Tax\s+€1\.25/, /Refunded\s+€0\.00\s+0 orders/]) {
      expect(totals).toMatch(pair);
    }
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'staff-report-orders');
  });

  it('when staff mark a box-office order paid and the first answer is lost, then the retry carries the same Idempotency-Key and the seat is booked once', async () => {
    const { showId, seatIds } = await createShow(suite.app.db, { rows: 1, seatsPerRow: 4 });
    const staff = await createUser(suite.app.db, { staff: true });
    const order = await boxOfficeOrder(staff, showId, seatIds[2]!);

    const context = await suite.open();
    const page = await context.newPage();
    await logIn(page, staff, `/staff/orders?status=pending_payment&show=${showId}`);
    await page.getByRole('link', { name: order.reference }).click();
    await page.getByRole('heading', { level: 1, name: `Order ${order.reference} Awaiting payment` }).waitFor();
    await page.getByRole('region', { name: 'At the till' }).getByText(euros(order.total.amount)).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'staff-order-till');

    // The first press reaches the server, which books the seat; its answer never reaches the page.
    const keys: string[] = [];
    await page.route(`**/api/admin/orders/${order.id}/mark-paid`, async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await page.getByRole('button', { name: 'Mark paid' }).click();
    await page.getByRole('alert').getByText('Could not reach Boxoffice; check your connection and try again.').waitFor();
    expect(await showSeatState(showId, seatIds[2]!)).toEqual({ status: 'booked' });

    await page.getByRole('button', { name: 'Mark paid' }).click();
    await expect.poll(() => keys.length).toBe(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1], 'the retry of the same press sends the same Idempotency-Key').toBe(keys[0]);
    // The server replays its first answer: paid.
    await page.getByRole('status').getByText('Marked paid: 1 seat is booked.').waitFor();
    await page.getByRole('heading', { level: 1, name: `Order ${order.reference} Paid` }).waitFor();
    expect(await page.getByRole('button', { name: 'Mark paid' }).count()).toBe(0);

    const bookings = await suite.app.db.selectFrom('bookings').select(['seat_id', 'order_id', 'user_id']).where('showtime_id', '=', showId).execute();
    expect(bookings).toEqual([{ seat_id: seatIds[2], order_id: order.id, user_id: staff.id }]);
    const stored = await suite.app.db.selectFrom('orders').select(['status', 'paid_at']).where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(stored.status).toBe('paid');
    expect(stored.paid_at).not.toBeNull();
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('when an order was cancelled elsewhere, then Mark paid shows the API’s sentence; Cancel on another frees its seat', async () => {
    const { showId, seatIds } = await createShow(suite.app.db, { rows: 1, seatsPerRow: 4 });
    const staff = await createUser(suite.app.db, { staff: true });
    const gone = await boxOfficeOrder(staff, showId, seatIds[0]!);
    const open = await boxOfficeOrder(staff, showId, seatIds[1]!);

    const context = await suite.open();
    const page = await context.newPage();
    await logIn(page, staff, `/staff/orders/${gone.id}`);
    await page.getByRole('button', { name: 'Mark paid' }).waitFor();
    expect((await suite.app.http.post(`/api/orders/${gone.id}/cancel`, undefined, asUser(staff))).status).toBe(200);
    await page.getByRole('button', { name: 'Mark paid' }).click();
    await page.getByRole('alert').getByText('This order is no longer awaiting payment (it is cancelled).').waitFor();
    // The page reads the order again and shows it as it now is.
    await page.getByRole('heading', { level: 1, name: `Order ${gone.reference} Cancelled` }).waitFor();
    expect(await page.getByRole('button', { name: 'Mark paid' }).count()).toBe(0);

    await page.goto(`/staff/orders/${open.id}`);
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('status').getByText('Order cancelled: its seats are free again.').waitFor();
    await page.getByRole('heading', { level: 1, name: `Order ${open.reference} Cancelled` }).waitFor();
    expect(await showSeatState(showId, seatIds[1]!)).toEqual({ status: 'available' });
    expect(await suite.app.db.selectFrom('bookings').select('id').where('showtime_id', '=', showId).execute()).toEqual([]);
  });

  it('when a showtime has more orders than a page, then "Show more orders" (pressed with the keyboard) lists the rest, newest first; a status filter narrows them', async () => {
    const { showId, seatIds } = await createShow(suite.app.db, { rows: 3, seatsPerRow: 7 });
    // One moviegoer per seat (each has a seat limit), each with a card order awaiting payment.
    const [staff, customers] = await Promise.all([createUser(suite.app.db, { staff: true }), createUsers(suite.app.db, seatIds.length)]);
    for (const [i, seatId] of seatIds.entries()) {
      await hold(customers[i]!, showId, seatId);
      await startOrder(customers[i]!, showId, seatId);
    }
    const stored = await suite.app.db.selectFrom('orders').select('reference').where('showtime_id', '=', showId).orderBy('id', 'desc').execute();
    expect(stored).toHaveLength(21);

    const context = await suite.open();
    const page = await context.newPage();
    await logIn(page, staff, `/staff/orders?show=${showId}`);
    await page.getByRole('status').getByText('20 orders shown; more below.').waitFor();
    const more = page.getByRole('button', { name: 'Show more orders' });
    await more.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('21 orders shown.').waitFor();
    expect(await more.count()).toBe(0);
    // Focus goes on to the first order of the new page (the oldest, here).
    await expect.poll(() => focusedName(page)).toBe(stored[20]!.reference);
    expect(await ordersTable(page).locator('tbody th').allInnerTexts()).toEqual(stored.map((o) => o.reference));

    await page.getByLabel('Status').selectOption({ label: 'Paid' });
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').getByText('No order matches this search.').waitFor();
    expect(new URL(page.url()).search).toBe(`?status=paid&show=${showId}`);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });
});
