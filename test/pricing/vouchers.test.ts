import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import { createTicketTypes, eur, pricedCinema, pricedCinemaWithCard, tag } from '../setup/pricing.ts';

let app: TestApp;
let staff: TestUser;
let customer: TestUser;
let types: Record<'child', string>;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  customer = await createUser(app.db);
  types = await createTicketTypes(app, staff, { child: { name: 'Child' } });
});
afterAll(() => app.close());

const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });
const hour = 3_600_000;

async function voucher(body: Record<string, unknown>) {
  const code = `V${tag()}`;
  const reply = await asStaff('POST', '/api/admin/vouchers', { code, ...body });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: number; code: string };
}

/** A cinema whose card prices Child at 8.00 (standard) and 11.00 (premium); seats: two standard, one premium. */
async function setUp() {
  const cinema = await pricedCinemaWithCard(app, staff, [
    [types.child, 'standard', 800],
    [types.child, 'premium', 1100],
  ]);
  const [a, b] = cinema.standardSeats;
  const [p] = cinema.premiumSeats;
  const tickets = [
    { seat_id: a!, ticket_type: 'ADULT' },
    { seat_id: b!, ticket_type: types.child },
    { seat_id: p!, ticket_type: 'ADULT' },
  ];
  const quote = (code?: string) => app.http.post('/api/quote', { show_id: cinema.show.id, tickets, ...(code === undefined ? {} : { voucher: code }) });
  return { ...cinema, quote };
}

const discounts = (body: any) => [body.lines.map((l: any) => l.discount.amount), body.total.amount];

describe('vouchers in a quote', () => {
  it('when a 10 % voucher per ticket applies to every ticket, then each is discounted, rounded half up; the code is not case-sensitive', async () => {
    const { quote } = await setUp();
    const v = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, description: 'Ten off' });
    const reply = await quote(v.code.toLowerCase());
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    // 1250, 800, 1650 → 125, 80, 165
    expect(discounts(reply.body)).toEqual([[125, 80, 165], 3700 - 370]);
    expect(reply.body.voucher).toEqual({ code: v.code, description: 'Ten off' });
  });

  it('when a voucher is only for Child tickets, or only for premium seats, then only those lines are discounted', async () => {
    const { quote } = await setUp();
    const children = await voucher({ per: 'ticket', amount: { percent_basis_points: 5000 }, ticket_types: [types.child] });
    expect(discounts((await quote(children.code)).body)).toEqual([[0, 400, 0], 3300]);
    const premium = await voucher({ per: 'ticket', amount: { fixed: eur(300) }, seat_kinds: ['premium'] });
    expect(discounts((await quote(premium.code)).body)).toEqual([[0, 0, 300], 3400]);
  });

  it('when a fixed 5.00 comes off the order, then it is spread over the tickets in proportion (largest remainder)', async () => {
    const { quote } = await setUp();
    const v = await voucher({ per: 'order', amount: { fixed: eur(500) } });
    // 500 over 1250 : 800 : 1650 (3700) → 168.9, 108.1, 222.9 → 168, 108, 222 + 1 + 1 to the largest fractions (.9, .9) → 169, 108, 223
    expect(discounts((await quote(v.code)).body)).toEqual([[169, 108, 223], 3200]);
  });

  it('when a voucher is unknown, inactive, not yet or no longer valid, for another venue, showtime or movie, used up, or for none of the tickets, then a sentence saying which', async () => {
    const { quote, show } = await setUp();
    const { venue: elsewhere } = await pricedCinema(app);
    const now = Date.now();
    const inactive = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 } });
    await asStaff('PATCH', `/api/admin/vouchers/${inactive.id}`, { active: false });
    const later = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, valid_from: new Date(now + 24 * hour).toISOString() });
    const past = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, valid_from: new Date(now - 48 * hour).toISOString(), valid_until: new Date(now - 24 * hour).toISOString() });
    const otherVenue = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, venue_id: elsewhere.id });
    const otherShow = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, showtime_ids: [show.id + 100_000] });
    const usedUp = await voucher({ per: 'order', amount: { percent_basis_points: 1000 }, max_uses: 2 });
    await sql`UPDATE vouchers SET uses = 2 WHERE id = ${usedUp.id}`.execute(app.db);
    const noTicket = await voucher({ per: 'ticket', amount: { percent_basis_points: 1000 }, seat_kinds: ['wheelchair'] });
    const cases: [string, number, RegExp][] = [
      ['NOSUCHCODE', 400, /^Voucher NOSUCHCODE is not valid; check the code\.$/],
      [inactive.code, 400, /is not valid/],
      [later.code, 400, /can be used from \d{4}-/],
      [past.code, 400, /expired at \d{4}-/],
      [otherVenue.code, 400, /does not apply to this showtime/],
      [otherShow.code, 400, /does not apply to this showtime/],
      [usedUp.code, 409, /has been used up/],
      [noTicket.code, 400, /applies to none of these tickets/],
    ];
    for (const [code, status, detail] of cases) {
      const reply = await quote(code);
      expect(reply.status, code).toBe(status);
      expect(reply.body.detail).toMatch(detail);
    }
  });
});

describe('staff vouchers', () => {
  it('when created, then listed with its uses; a taken code is 409; bad input is 400 and nothing is written', async () => {
    const { venue } = await setUp();
    const v = await voucher({ per: 'order', amount: { fixed: eur(200) }, venue_id: venue.id, max_uses: 100 });
    const listed = (await asStaff('GET', '/api/admin/vouchers')).body.items.find((x: { id: number }) => x.id === v.id);
    expect(listed).toMatchObject({ code: v.code, per: 'order', amount: { fixed: eur(200) }, venue_id: venue.id, max_uses: 100, uses: 0, active: true });
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM vouchers`.execute(app.db)).rows[0]!.n;
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ code: v.code, per: 'order', amount: { fixed: eur(200) } }, 409, /already exists/],
      [{ code: 'lower', per: 'order', amount: { fixed: eur(200) } }, 400, /code/],
      [{ code: `V${tag()}`, per: 'order', amount: { percent_basis_points: 10_001 } }, 400, /amount|percent_basis_points/],
      [{ code: `V${tag()}`, per: 'order', amount: { fixed: { amount: 200, currency: 'USD' } }, venue_id: venue.id }, 400, /in its currency, EUR/],
      [{ code: `V${tag()}`, per: 'order', amount: { fixed: eur(200) }, valid_from: '2030-01-02T00:00:00Z', valid_until: '2030-01-01T00:00:00Z' }, 400, /valid_from must be before valid_until/],
      [{ code: `V${tag()}`, per: 'ticket', amount: { fixed: eur(200) }, ticket_types: ['NOPE_X'] }, 400, /Ticket type NOPE_X does not exist/],
      [{ code: `V${tag()}`, per: 'ticket', amount: { fixed: eur(200) }, venue_id: 999_999 }, 404, /Venue not found/],
      [{ code: `V${tag()}`, per: 'sometimes', amount: { fixed: eur(200) } }, 400, /per/],
    ];
    for (const [body, status, detail] of cases) {
      const reply = await asStaff('POST', '/api/admin/vouchers', body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.body.detail).toMatch(detail);
    }
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM vouchers`.execute(app.db)).rows[0]!.n).toBe(before);
  });

  it('when a change would set max_uses below the uses so far or an empty window, then 400; otherwise it applies; customers get 403', async () => {
    const v = await voucher({ per: 'order', amount: { fixed: eur(200) }, max_uses: 10 });
    await sql`UPDATE vouchers SET uses = 4 WHERE id = ${v.id}`.execute(app.db);
    expect((await asStaff('PATCH', `/api/admin/vouchers/${v.id}`, { max_uses: 3 })).body.detail).toBe('This voucher has been used 4 times already; max_uses cannot be lower.');
    expect((await asStaff('PATCH', `/api/admin/vouchers/${v.id}`, { valid_from: '2030-01-02T00:00:00Z', valid_until: '2030-01-01T00:00:00Z' })).status).toBe(400);
    expect((await asStaff('PATCH', `/api/admin/vouchers/${v.id}`, {})).status).toBe(400);
    expect((await asStaff('PATCH', '/api/admin/vouchers/999999', { active: false })).status).toBe(404);
    expect((await asStaff('PATCH', `/api/admin/vouchers/${v.id}`, { max_uses: 4, description: 'Last four' })).body).toMatchObject({ max_uses: 4, uses: 4, description: 'Last four' });
    expect((await app.http.post('/api/admin/vouchers', { code: `V${tag()}`, per: 'order', amount: { fixed: eur(1) } }, { token: customer.token })).status).toBe(403);
  });
});
