import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpiredHolds } from '../../src/booking/index.ts';
import { startTestApp, testConfig, type TestApp } from '../setup/app.ts';
import { cards, checkout, orderReaches, payWithCard } from '../setup/checkout.ts';
import { createShow, createUser, showSeatRows, type TestUser } from '../setup/factories.ts';
import { tag } from '../setup/pricing.ts';

/** The orders' sweep, running every second as SWEEP_INTERVAL_SECONDS=1 would. */
let app: TestApp;
let staff: TestUser;

beforeAll(async () => {
  const base = testConfig();
  app = await startTestApp({ sweepIntervalSeconds: 1, payments: { ...base.payments, testLateSeconds: 4 } });
  staff = await createUser(app.db, { staff: true });
});
afterAll(() => app.close());

const lapse = (orderId: number) => sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${orderId}`.execute(app.db);
const expireSeats = (showId: number) => sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${showId} AND status = 'held'`.execute(app.db);

describe('the orders sweep', () => {
  it('when an unpaid order passes its window, then the sweep cancels its payment, expires it, releases its seats and returns its voucher use', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const code = `V${tag()}`;
    expect((await app.http.post('/api/admin/vouchers', { code, per: 'order', amount: { percent_basis_points: 500 }, max_uses: 5 }, { token: staff.token })).status).toBe(201);
    const order = await checkout(app, user, showId, [seatIds[0]!], { voucher: code });
    await lapse(order.id);
    await expireSeats(showId);
    const expired = await orderReaches(app, user, order.id, 'expired');
    expect(expired.payment.status).toBe('canceled');
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('available');
    const [provider] = (await sql<{ status: string }>`SELECT status FROM test_provider_payments WHERE id = ${order.payment.id}`.execute(app.db)).rows;
    expect(provider?.status).toBe('canceled');
    const [voucher] = (await sql<{ uses: number }>`SELECT uses FROM vouchers WHERE code = ${code}`.execute(app.db)).rows;
    expect(voucher?.uses).toBe(0);
  });

  it('when a payment is still in flight at the end of the window, then the sweep leaves the order and its seats alone, and the success books them', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    expect((await payWithCard(app, order, cards.late)).body.status).toBe('processing');
    await lapse(order.id);
    await expireSeats(showId);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two passes of the orders sweep
    await sweepExpiredHolds(app.db); // and the seat sweeper's (main.ts runs it beside the app)
    expect((await showSeatRows(app.db, showId))[0]).toMatchObject({ status: 'held', locked_by_id: user.id });
    expect((await app.http.get(`/api/orders/${order.id}`, { token: user.token })).body.status).toBe('pending_payment');
    await orderReaches(app, user, order.id, 'paid');
  });

  it('when a payment succeeded but its webhook never came, then the sweep confirms the order at the end of its window', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    // The provider took the money; no webhook is delivered.
    await sql`UPDATE test_provider_payments SET status = 'succeeded' WHERE id = ${order.payment.id}`.execute(app.db);
    await lapse(order.id);
    await orderReaches(app, user, order.id, 'paid');
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('booked');
  });
});
