import { createHmac, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testConfig, type TestApp } from '../setup/app.ts';
import { releaseTogether, countBy } from '../setup/barrier.ts';
import { cards, checkout, holdSeats, orderReaches, payWithCard, startOrder } from '../setup/checkout.ts';
import { createShow, createUser, createUsers, showSeatRows, type TestUser } from '../setup/factories.ts';
import { httpClient } from '../setup/http.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema, tag } from '../setup/pricing.ts';
import { checkInvariants } from '../../src/booking/index.ts';

const WEBHOOK_SECRET = 'test-provider-webhook-secret-for-tests';
let app: TestApp;
let staff: TestUser;

beforeAll(async () => {
  const base = testConfig();
  app = await startTestApp({ payments: { ...base.payments, testLateSeconds: 1, testWebhookSecret: WEBHOOK_SECRET } });
  staff = await createUser(app.db, { staff: true });
});
afterAll(() => app.close());

const asStaff = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => app.http.send(method, path, body, { token: staff.token, ...(headers === undefined ? {} : { headers }) });
const adult = (seatIds: readonly number[]) => seatIds.map((seat_id) => ({ seat_id, ticket_type: 'ADULT' }));
const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(app.db)).rows[0]?.n;

async function voucher(body: Record<string, unknown>) {
  const code = `V${tag()}`;
  const reply = await asStaff('POST', '/api/admin/vouchers', { code, ...body });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: number; code: string };
}

/**
 * Moves an order's payment window (and its seats' holds) into the past, and
 * waits until this process has heard it (its layout cache refuses holds of
 * seats it knows to be held; an operator's write reaches it by NOTIFY).
 */
async function lapse(orderId: number, showId: number) {
  await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${orderId}`.execute(app.db);
  await sql`UPDATE show_seats ss SET locked_until = now() - interval '1 second' FROM order_lines ol
             WHERE ol.order_id = ${orderId} AND ss.showtime_id = ol.showtime_id AND ss.seat_id = ol.seat_id AND ss.status = 'held'`.execute(app.db);
  await expect
    .poll(async () => ((await app.http.get(`/api/hall-layout/${showId}/`)).body.seats as { status: string }[]).some((s) => s.status === 'held'))
    .toBe(false);
}

/** A webhook the test provider would send, signed with its secret (or forged). */
function signedEvent(type: string, paymentId: string, options: { secret?: string; id?: string } = {}) {
  const body = JSON.stringify({ id: options.id ?? `evt_${randomUUID()}`, type, payment_id: paymentId, created: Math.floor(Date.now() / 1000) });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', options.secret ?? WEBHOOK_SECRET).update(`${t}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'boxoffice-test-signature': `t=${t},v1=${v1}` } };
}
const deliver = (event: { body: string; headers: Record<string, string> }) => app.http.send('POST', '/api/payments/webhooks/test', undefined, { rawBody: event.body, headers: event.headers });

describe('Idempotency-Key on POST /api/orders', () => {
  it('when the same key and body come again, then the first answer is replayed (same order, Idempotent-Replayed) and nothing new is written', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    await holdSeats(app, user, showId, [seatIds[0]!]);
    const key = randomUUID();
    const body = { show_id: showId, tickets: adult([seatIds[0]!]) };
    const first = await startOrder(app, user, body, key);
    const again = await startOrder(app, user, body, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE showtime_id = ${showId}`)).toBe(1);
  });

  it('when the same key comes with a different body, then 422 and nothing is written', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    await holdSeats(app, user, showId, [seatIds[0]!, seatIds[1]!]);
    const key = randomUUID();
    expect((await startOrder(app, user, { show_id: showId, tickets: adult([seatIds[0]!]) }, key)).status).toBe(201);
    const other = await startOrder(app, user, { show_id: showId, tickets: adult([seatIds[1]!]) }, key);
    expect(other.status).toBe(422);
    expect(other.body.detail).toBe('This Idempotency-Key was already used for a different request; send a new key for a new request.');
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE showtime_id = ${showId}`)).toBe(1);
  });

  it('when the first request with a key is still running, then a duplicate is 409 with Retry-After; ten at once make exactly one order', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    await holdSeats(app, user, showId, [seatIds[0]!]);
    const body = { show_id: showId, tickets: adult([seatIds[0]!]) };
    const key = randomUUID();
    const clients = Array.from({ length: 10 }, () => httpClient(app.baseUrl));
    await Promise.all(clients.map((c) => c.warm(1)));
    const replies = await releaseTogether(clients.map((c) => () => c.post('/api/orders', body, { token: user.token, headers: { 'idempotency-key': key } })));
    const ids = new Set(replies.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const reply of replies.filter((r) => r.status !== 201)) {
      expect(reply.status).toBe(409);
      expect(reply.headers['retry-after']).toBe('1');
    }
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE showtime_id = ${showId}`)).toBe(1);
    // Deterministically: a key whose first run holds its lease.
    const running = randomUUID();
    await sql`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, running_until) VALUES (${user.id}, ${running}, 'x', 'running', now() + interval '1 minute')`.execute(app.db);
    const busy = await startOrder(app, user, body, running);
    expect([busy.status, busy.headers['retry-after'], busy.body.detail]).toEqual([422, undefined, expect.any(String)]);
    await sql`UPDATE idempotency_keys SET fingerprint = (SELECT fingerprint FROM idempotency_keys WHERE key = ${key}) WHERE key = ${running}`.execute(app.db);
    const busySame = await startOrder(app, user, body, running);
    expect([busySame.status, busySame.headers['retry-after'], busySame.body.detail]).toEqual([409, '1', 'A request with this Idempotency-Key is still being processed; retry in a moment.']);
  });

  it('when the header is missing or malformed, then 400 naming it and nothing is written', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    await holdSeats(app, user, showId, [seatIds[0]!]);
    const body = { show_id: showId, tickets: adult([seatIds[0]!]) };
    const none = await app.http.post('/api/orders', body, { token: user.token });
    expect([none.status, none.body.detail]).toEqual([400, 'Send an Idempotency-Key header (a new random UUID per attempt) so that a retry never pays or books twice.']);
    const bad = await startOrder(app, user, body, 'has space');
    expect(bad.status).toBe(400);
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE showtime_id = ${showId}`)).toBe(0);
  });
});

describe('starting a checkout', () => {
  it('when seats are not held by the caller, or already in their other open order, then 409 naming them and nothing is written', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [me, other] = await createUsers(app.db, 2);
    await holdSeats(app, other!, showId, [seatIds[1]!]);
    const notHeld = await startOrder(app, me!, { show_id: showId, tickets: adult([seatIds[0]!, seatIds[1]!]) });
    expect([notHeld.status, notHeld.body.detail]).toEqual([409, `Hold these seats first: seats ${seatIds[0]}, ${seatIds[1]} are not held by you.`]);
    const first = await checkout(app, me!, showId, [seatIds[2]!]);
    const second = await startOrder(app, me!, { show_id: showId, tickets: adult([seatIds[2]!]) });
    expect([second.status, second.body.detail]).toEqual([409, `These seats are already in checkout (order ${first.reference}); pay for or cancel that order first.`]);
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE showtime_id = ${showId}`)).toBe(1);
  });

  it('when a checkout starts, then the hold is extended once to the payment window, never past the showtime start', async () => {
    const { showId, seatIds } = await createShow(app.db, { startsInMinutes: 5 });
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    const [row] = await showSeatRows(app.db, showId);
    const start = await app.db.selectFrom('showtimes').select('starts_at').where('id', '=', showId).executeTakeFirstOrThrow();
    // The window (600 s) would pass the start, five minutes away: the hold ends at the start.
    expect(new Date(order.expires_at).getTime()).toBe(start.starts_at.getTime());
    expect(row!.locked_until!.getTime()).toBe(start.starts_at.getTime());
  });

  it('when an order is cancelled, then its seats are released and its voucher use returned; a paid order cannot be cancelled', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const v = await voucher({ per: 'order', amount: { percent_basis_points: 1000 }, max_uses: 1 });
    const order = await checkout(app, user, showId, [seatIds[0]!], { voucher: v.code });
    expect(await count(sql`SELECT uses AS n FROM vouchers WHERE id = ${v.id}`)).toBe(1);
    const cancelled = await app.http.post(`/api/orders/${order.id}/cancel`, undefined, { token: user.token });
    expect(cancelled.body.status).toBe('cancelled');
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('available');
    expect(await count(sql`SELECT uses AS n FROM vouchers WHERE id = ${v.id}`)).toBe(0);
    const paid = await checkout(app, user, showId, [seatIds[1]!]);
    await payWithCard(app, paid, cards.succeeds);
    await orderReaches(app, user, paid.id, 'paid');
    const refused = await app.http.post(`/api/orders/${paid.id}/cancel`, undefined, { token: user.token });
    expect([refused.status, refused.body.detail]).toEqual([409, 'This order has been paid, so it can no longer be cancelled.']);
  });

  it('when a 100 % voucher makes the order free, then it is paid at once without the provider', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const v = await voucher({ per: 'order', amount: { percent_basis_points: 10000 } });
    const order = await checkout(app, user, showId, [seatIds[0]!], { voucher: v.code });
    expect(order).toMatchObject({ status: 'paid', total: { amount: 0 }, payment: { method: 'free', provider: null, id: null } });
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('booked');
  });
});

describe('a voucher under concurrent checkouts', () => {
  it('when 50 moviegoers check out at once with a voucher of 10 uses, then exactly 10 get it and the rest are told it is used up', async () => {
    const { showId, seatIds } = await createShow(app.db, { rows: 5, seatsPerRow: 10 });
    const users = await createUsers(app.db, 50);
    const v = await voucher({ per: 'order', amount: { percent_basis_points: 2000 }, max_uses: 10 });
    await Promise.all(users.map((u, i) => holdSeats(app, u, showId, [seatIds[i]!])));
    const clients = users.map(() => httpClient(app.baseUrl));
    await Promise.all(clients.map((c) => c.warm(1)));
    const replies = await releaseTogether(
      users.map((u, i) => () => clients[i]!.post('/api/orders', { show_id: showId, tickets: adult([seatIds[i]!]), voucher: v.code }, { token: u.token, headers: { 'idempotency-key': randomUUID() } })),
    );
    expect(countBy(replies, (r) => r.status)).toEqual({ 201: 10, 409: 40 });
    expect(new Set(replies.filter((r) => r.status === 409).map((r) => r.body.detail))).toEqual(new Set(['This voucher has been used up.']));
    expect(await count(sql`SELECT uses AS n FROM vouchers WHERE id = ${v.id}`)).toBe(10);
    expect(await count(sql`SELECT count(*)::int AS n FROM orders WHERE voucher_id = ${v.id}`)).toBe(10);
  });
});

describe('webhooks', () => {
  it('when a signed event is delivered twice, it is acted on once; a forged one is 400 and changes nothing; a signed "succeeded" the provider does not confirm changes nothing', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    const lie = await deliver(signedEvent('payment.succeeded', order.payment.id));
    expect(lie.status).toBe(200);
    expect((await app.http.get(`/api/orders/${order.id}`, { token: user.token })).body.status).toBe('pending_payment');
    const forged = await deliver(signedEvent('payment.succeeded', order.payment.id, { secret: 'not-the-secret' }));
    expect([forged.status, forged.body.detail]).toEqual([400, 'The webhook signature does not verify; nothing was changed.']);
    await sql`UPDATE test_provider_payments SET status = 'succeeded' WHERE id = ${order.payment.id}`.execute(app.db);
    const event = signedEvent('payment.succeeded', order.payment.id, { id: `evt_${randomUUID()}` });
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(event)).status).toBe(200);
    expect((await app.http.get(`/api/orders/${order.id}`, { token: user.token })).body.status).toBe('paid');
    expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE order_id = ${order.id}`)).toBe(1);
    expect(await count(sql`SELECT count(*)::int AS n FROM payment_events WHERE payment_id = ${order.payment.id}`)).toBe(2);
  });

  it('when the provider delivers twice, or out of order, then the order is paid once', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const twice = await checkout(app, user, showId, [seatIds[0]!]);
    const reordered = await checkout(app, user, showId, [seatIds[1]!]);
    await payWithCard(app, twice, cards.twice);
    await payWithCard(app, reordered, cards.outOfOrder);
    await orderReaches(app, user, twice.id, 'paid');
    await orderReaches(app, user, reordered.id, 'paid');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the second deliveries
    expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ${showId}`)).toBe(2);
  });

  it('when confirming fails after the payment succeeded (a crash), then the next delivery confirms it, once', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    const name = `crash_${tag().toLowerCase()}`;
    await sql.raw(`CREATE SEQUENCE ${name}`).execute(app.db);
    await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.order_id = ${order.id} AND nextval('${name}') = 1 THEN RAISE EXCEPTION 'the process died here'; END IF; RETURN NEW; END $$`).execute(app.db);
    await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(app.db);
    try {
      await payWithCard(app, order, cards.succeeds);
      await orderReaches(app, user, order.id, 'paid');
      expect(await count(sql`SELECT last_value::int AS n FROM ${sql.raw(name)}`)).toBeGreaterThanOrEqual(2);
      expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE order_id = ${order.id}`)).toBe(1);
    } finally {
      await sql.raw(`DROP TRIGGER ${name} ON bookings; DROP FUNCTION ${name}(); DROP SEQUENCE ${name}`).execute(app.db);
    }
  });
});

describe('the webhook endpoint', () => {
  it('when another provider is named, or the body is missing, then a clear 4xx', async () => {
    const other = await app.http.send('POST', '/api/payments/webhooks/stripe', undefined, { rawBody: '{}', headers: { 'content-type': 'application/json' } });
    expect([other.status, other.body.detail]).toEqual([404, 'Webhooks for "stripe" are not accepted here; this server takes payments through another provider.']);
    const empty = await app.http.post('/api/payments/webhooks/test');
    expect([empty.status, empty.body.detail]).toEqual([400, 'The webhook signature does not verify; nothing was changed.']);
    const garbage = await deliver({ body: 'not json', headers: { 'content-type': 'text/plain', 'boxoffice-test-signature': 't=1,v1=00' } });
    expect(garbage.status).toBe(400);
  });
});

describe('late payments', () => {
  it('when the payment succeeds after the window passed and the seat is still free, then it is booked anyway', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const user = await createUser(app.db);
    const order = await checkout(app, user, showId, [seatIds[0]!]);
    expect((await payWithCard(app, order, cards.late)).body.status).toBe('processing');
    await lapse(order.id, showId);
    const paid = await orderReaches(app, user, order.id, 'paid');
    expect(paid.lines[0].booking_id).toEqual(expect.any(Number));
  });

  it('when it succeeds after someone else took the seat, then the order is refunded exactly once and the seat stays theirs', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [late, other] = await createUsers(app.db, 2);
    const order = await checkout(app, late!, showId, [seatIds[0]!]);
    await payWithCard(app, order, cards.late);
    await lapse(order.id, showId);
    const theirs = await checkout(app, other!, showId, [seatIds[0]!]);
    await orderReaches(app, late!, order.id, 'refunded');
    await expect.poll(async () => (await app.http.get(`/api/orders/${order.id}`, { token: late!.token })).body.payment.status).toBe('refunded');
    expect((await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: late!.token })).body.status).toBe('refunded');
    const [provider] = (await sql<{ refund_id: string | null }>`SELECT refund_id FROM test_provider_payments WHERE id = ${order.payment.id}`.execute(app.db)).rows;
    const [row] = (await sql<{ refund_id: string | null; refund_due: boolean }>`SELECT refund_id, refund_due FROM orders WHERE id = ${order.id}`.execute(app.db)).rows;
    expect(row).toEqual({ refund_id: provider!.refund_id, refund_due: false });
    expect((await showSeatRows(app.db, showId))[0]).toMatchObject({ status: 'held', locked_by_id: other!.id });
    await payWithCard(app, theirs, cards.succeeds);
    await orderReaches(app, other!, theirs.id, 'paid');
    expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ${showId}`)).toBe(1);
  });

  it('when two moviegoers pay for the same seat at once (one order lapsed, the other live), then exactly one booking, and the other is refunded', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [first, second] = await createUsers(app.db, 2);
    const lapsed = await checkout(app, first!, showId, [seatIds[0]!]);
    await lapse(lapsed.id, showId);
    const live = await checkout(app, second!, showId, [seatIds[0]!]);
    await releaseTogether([() => payWithCard(app, lapsed, cards.succeeds), () => payWithCard(app, live, cards.succeeds)]);
    await orderReaches(app, second!, live.id, 'paid');
    await orderReaches(app, first!, lapsed.id, 'refunded');
    const bookings = await app.db.selectFrom('bookings').select(['seat_id', 'user_id']).where('showtime_id', '=', showId).execute();
    expect(bookings).toEqual([{ seat_id: seatIds[0], user_id: second!.id }]);
  });
});

describe('the box office', () => {
  it('when a cashier sells seats paid at the till, then marking the order paid books them; a moviegoer cannot choose the box office', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const customer = await createUser(app.db);
    await holdSeats(app, customer, showId, [seatIds[1]!]);
    const refused = await startOrder(app, customer, { show_id: showId, tickets: adult([seatIds[1]!]), payment_method: 'box_office' });
    expect([refused.status, refused.body.detail]).toEqual([403, 'Only staff can sell at the box office; pay by card instead.']);
    await holdSeats(app, staff, showId, [seatIds[0]!]);
    const order = await startOrder(app, staff, { show_id: showId, tickets: adult([seatIds[0]!]), payment_method: 'box_office' });
    expect(order.body.payment).toMatchObject({ method: 'box_office', provider: null });
    const key = randomUUID();
    const paid = await asStaff('POST', `/api/admin/orders/${order.body.id}/mark-paid`, undefined, { 'idempotency-key': key });
    expect(paid.body.status).toBe('paid');
    const again = await asStaff('POST', `/api/admin/orders/${order.body.id}/mark-paid`, undefined, { 'idempotency-key': key });
    expect([again.status, again.headers['idempotent-replayed']]).toEqual([200, 'true']);
    const found = await asStaff('GET', `/api/admin/orders?reference=${order.body.reference.toLowerCase()}`);
    expect(found.body.items.map((o: any) => o.id)).toEqual([order.body.id]);
  });

  it("when a moviegoer lists their orders, then they see theirs, newest first, and someone else's order is not found", async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [me, other] = await createUsers(app.db, 2);
    const a = await checkout(app, me!, showId, [seatIds[0]!]);
    const b = await checkout(app, me!, showId, [seatIds[1]!]);
    const mine = await app.http.get('/api/my-orders/?limit=1', { token: me!.token });
    expect(mine.body.items.map((o: any) => o.id)).toEqual([b.id]);
    const next = await app.http.get(`/api/my-orders/?limit=1&cursor=${mine.body.next_cursor}`, { token: me!.token });
    expect(next.body.items.map((o: any) => o.id)).toEqual([a.id]);
    expect((await app.http.get(`/api/orders/${a.id}`, { token: other!.token })).status).toBe(404);
  });
});

describe('complimentary tickets at the box office', () => {
  it('when staff sell a staff-only type priced 0, then the free order is booked at once; online the type is refused', async () => {
    const cinema = await pricedCinema(app);
    const [comp] = Object.values(await createTicketTypes(app, staff, { comp: { name: 'Complimentary', staff_only: true, sold_online: false } })) as [string];
    await createPriceCard(app, staff, { venue_id: cinema.venue.id, name: 'Standard', default: true, prices: [{ ticket_type: comp, seat_kind: 'standard', price: eur(0) }] });
    const customer = await createUser(app.db);
    const [seat, other] = cinema.standardSeats as [number, number];
    await holdSeats(app, customer, cinema.show.id, [other]);
    const online = await startOrder(app, customer, { show_id: cinema.show.id, tickets: [{ seat_id: other, ticket_type: comp }] });
    expect([online.status, online.body.detail]).toEqual([400, 'Complimentary tickets are not sold online; buy them at the box office.']);
    await holdSeats(app, staff, cinema.show.id, [seat]);
    const order = await startOrder(app, staff, { show_id: cinema.show.id, tickets: [{ seat_id: seat, ticket_type: comp }], payment_method: 'box_office' });
    expect(order.body).toMatchObject({ status: 'paid', total: eur(0), payment: { method: 'free' } });
  });
});

describe('the invariants', () => {
  it('when everything above has run, then boxoffice check finds every invariant holding', async () => {
    const report = await checkInvariants(app.db);
    expect(report.filter((line) => line.violations > 0)).toEqual([]);
  });
});
