import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { checkout, cards, holdSeats, orderReaches, payWithCard, startOrder } from '../setup/checkout.ts';
import { createUser, showSeatRows, type TestUser } from '../setup/factories.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema } from '../setup/pricing.ts';

let app: TestApp;
let staff: TestUser;
let types: Record<'child', string>;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  types = await createTicketTypes(app, staff, { child: { name: 'Child' } });
});
afterAll(() => app.close());

/** A cinema with Child at 8.00 and a 1.00 fee per ticket, 10 % tax inclusive. */
async function cinema() {
  const c = await pricedCinema(app);
  await createPriceCard(app, staff, { venue_id: c.venue.id, name: 'Standard', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(800) }] });
  const fee = await app.http.send('PUT', `/api/admin/venues/${c.venue.id}/pricing`, { booking_fee: { per: 'ticket', amount: { fixed: eur(100) } }, tax: { rate_basis_points: 1000, mode: 'inclusive', on_fee: true } }, { token: staff.token });
  expect(fee.status, JSON.stringify(fee.body)).toBe(200);
  return c;
}

describe('a paid checkout with the test provider', () => {
  it('when a moviegoer holds two seats, checks out Adult + Child and pays with the success card, then the order is paid and each seat is booked at its line total', async () => {
    const c = await cinema();
    const user = await createUser(app.db);
    const [a, b] = c.standardSeats as [number, number];
    await holdSeats(app, user, c.show.id, [a, b]);
    const created = await startOrder(app, user, { show_id: c.show.id, tickets: [{ seat_id: a, ticket_type: 'ADULT' }, { seat_id: b, ticket_type: types.child }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const order = created.body;
    expect(order).toMatchObject({ status: 'pending_payment', subtotal: eur(2050), fee: eur(200), total: eur(2250), payment: { method: 'card', provider: 'test', status: 'requires_payment' } });
    expect(order.payment.client_secret).toEqual(expect.any(String));
    const paid = await payWithCard(app, order, cards.succeeds);
    expect(paid.body).toEqual({ status: 'succeeded', message: null });
    const done = await orderReaches(app, user, order.id, 'paid');
    expect(done.lines.map((l: any) => l.booking_id)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(done.payment.client_secret).toBeNull();
    const bookings = await app.db.selectFrom('bookings').select(['seat_id', 'price_amount', 'order_id', 'reference']).where('showtime_id', '=', c.show.id).orderBy('seat_id').execute();
    expect(bookings).toEqual([
      { seat_id: a, price_amount: 1350, order_id: order.id, reference: order.reference },
      { seat_id: b, price_amount: 900, order_id: order.id, reference: order.reference },
    ]);
    expect((await showSeatRows(app.db, c.show.id)).filter((r) => r.status === 'booked').map((r) => r.seat_id)).toEqual([a, b]);
    // The showtime report adds revenue by ticket type, and the fees and tax in the paid orders.
    const report = await app.http.get(`/api/admin/showtimes/${c.show.id}/report`, { token: staff.token });
    expect(report.body.by_ticket_type).toEqual([
      { ticket_type: { code: 'ADULT', name: 'Adult' }, seats: 1, revenue: eur(1350) },
      { ticket_type: { code: types.child, name: 'Child' }, seats: 1, revenue: eur(900) },
    ]);
    expect(report.body.orders).toEqual({ paid: 1, discounts: eur(0), fees: eur(200), tax: order.tax, refunded: 0, refunded_amount: eur(0) });
    expect(report.body.revenue).toEqual(eur(2250));
  });

  it('when the card is declined, then the order stays open with the message and the seats stay held; another card then pays', async () => {
    const c = await cinema();
    const user = await createUser(app.db);
    const order = await checkout(app, user, c.show.id, [c.standardSeats[0]!]);
    const declined = await payWithCard(app, order, cards.declined);
    expect(declined.body).toEqual({ status: 'requires_payment', message: 'Your card was declined; try another card.' });
    const open = await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: user.token });
    expect(open.body).toMatchObject({ status: 'pending_payment', payment: { status: 'requires_payment', last_error: 'Your card was declined; try another card.' } });
    expect((await showSeatRows(app.db, c.show.id))[0]).toMatchObject({ status: 'held', locked_by_id: user.id });
    expect((await payWithCard(app, order, cards.succeeds)).body.status).toBe('succeeded');
    await orderReaches(app, user, order.id, 'paid');
  });
});

describe('direct booking on a venue that requires payment', () => {
  it('when the venue has payment_required, then book-seat answers 409 pointing to checkout and nothing is booked', async () => {
    const c = await cinema();
    const patched = await app.http.send('PATCH', `/api/admin/venues/${c.venue.id}`, { payment_required: true }, { token: staff.token });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const user = await createUser(app.db);
    const seat = c.standardSeats[0]!;
    const reply = await app.http.post('/api/book-seat/', { show_id: c.show.id, seat_id: seat }, { token: user.token });
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('This cinema takes payment online: start a checkout (POST /api/orders) for these seats.');
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ${c.show.id}`.execute(app.db);
    expect(rows[0]?.n).toBe(0);
  });
});
