import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, startShowNow, type TestUser } from '../setup/factories.ts';
import { createTicketTypes, eur, pricedCinemaWithCard } from '../setup/pricing.ts';

let app: TestApp;
let staff: TestUser;
let types: Record<'child' | 'group' | 'counter' | 'comp', string>;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  types = await createTicketTypes(app, staff, {
    child: { name: 'Child', max_per_order: 3 },
    group: { name: 'Group', min_per_order: 2 },
    counter: { name: 'Counter', sold_online: false },
    comp: { name: 'Complimentary', staff_only: true },
  });
});
afterAll(() => app.close());

const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });

/** A cinema whose venue card prices Child at 8.00 / 11.00 and Group at 9.00, with the given fee and tax. */
async function setUp(pricing?: Record<string, unknown>) {
  const cinema = await pricedCinemaWithCard(app, staff, [
    [types.child, 'standard', 800],
    [types.child, 'premium', 1100],
    [types.group, 'standard', 900],
    [types.counter, 'standard', 700],
    [types.comp, 'standard', 0],
  ]);
  if (pricing !== undefined) {
    const set = await asStaff('PUT', `/api/admin/venues/${cinema.venue.id}/pricing`, pricing);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }
  return cinema;
}

const quote = (showId: number, tickets: [number, string][]) =>
  app.http.post('/api/quote', { show_id: showId, tickets: tickets.map(([seat_id, ticket_type]) => ({ seat_id, ticket_type })) });

const amounts = (body: any) => ({
  lines: body.lines.map((l: any) => [l.ticket_type === 'ADULT' ? 'ADULT' : l.ticket_type.split('_')[0], l.seat_kind, l.price.amount, l.discount.amount, l.fee.amount, l.tax.amount, l.total.amount]),
  order: [body.subtotal.amount, body.discount.amount, body.fee.amount, body.tax.amount, body.total.amount],
});

describe('POST /api/quote: what tickets cost, through HTTP on the real price tables', () => {
  // Each row: venue fee and tax; the tickets (seat index into standard/premium, type); lines [type, kind, price, discount, fee, tax, total]; order [subtotal, discount, fee, tax, total].
  const table: { name: string; pricing?: Record<string, unknown>; tickets: ['standard' | 'premium', number, 'ADULT' | 'child' | 'group'][]; lines: unknown[][]; order: number[] }[] = [
    {
      name: 'no fee, no tax: Adult and Child at their prices',
      tickets: [['standard', 0, 'ADULT'], ['premium', 0, 'ADULT'], ['standard', 1, 'child'], ['premium', 1, 'child']],
      lines: [['ADULT', 'standard', 1250, 0, 0, 0, 1250], ['ADULT', 'premium', 1650, 0, 0, 0, 1650], ['CHILD', 'standard', 800, 0, 0, 0, 800], ['CHILD', 'premium', 1100, 0, 0, 0, 1100]],
      order: [4800, 0, 0, 0, 4800],
    },
    {
      name: 'a fixed fee of 0.75 per ticket, 7 % tax included, fee taxed',
      pricing: { booking_fee: { per: 'ticket', amount: { fixed: eur(75) } }, tax: { rate_basis_points: 700, mode: 'inclusive', on_fee: true } },
      tickets: [['standard', 0, 'ADULT'], ['standard', 1, 'child']],
      // taxable 1250 + 75 + 800 + 75 = 2200 → tax 2200 − round(2200 / 1.07) = 2200 − 2056 = 144, spread 1325 : 875 → 86.7 / 57.3 → 86 + 1 (largest remainder) / 57
      lines: [['ADULT', 'standard', 1250, 0, 75, 87, 1325], ['CHILD', 'standard', 800, 0, 75, 57, 875]],
      order: [2050, 0, 150, 144, 2200],
    },
    {
      name: 'a 10 % fee per order, 19 % tax added, fee not taxed',
      pricing: { booking_fee: { per: 'order', amount: { percent_basis_points: 1000 } }, tax: { rate_basis_points: 1900, mode: 'exclusive', on_fee: false } },
      tickets: [['standard', 0, 'ADULT'], ['premium', 0, 'ADULT'], ['standard', 1, 'group'], ['standard', 2, 'group']],
      // subtotal 1250 + 1650 + 900 + 900 = 4700; fee 470 spread 1250:1650:900:900 → 125, 165, 90, 90; tax 19 % of 4700 = 893 spread → 237.5, 313.5, 171, 171 → 237, 313, 171, 171 + 1 to the first of the halves
      lines: [['ADULT', 'standard', 1250, 0, 125, 238, 1613], ['ADULT', 'premium', 1650, 0, 165, 313, 2128], ['GROUP', 'standard', 900, 0, 90, 171, 1161], ['GROUP', 'standard', 900, 0, 90, 171, 1161]],
      order: [4700, 0, 470, 893, 6063],
    },
  ];

  for (const row of table) {
    it(`when ${row.name}, then every line and the order are exact`, async () => {
      const cinema = await setUp(row.pricing);
      const seat = (kind: 'standard' | 'premium', i: number) => (kind === 'standard' ? cinema.standardSeats : cinema.premiumSeats)[i]!;
      const reply = await quote(
        cinema.show.id,
        row.tickets.map(([kind, i, type]) => [seat(kind, i), type === 'ADULT' ? 'ADULT' : types[type]]),
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(amounts(reply.body)).toEqual({ lines: row.lines, order: row.order });
      expect(reply.body.currency).toBe('EUR');
    });
  }

  it("when a venue's pricing is read back, then it is what was set; a fee in another currency is refused", async () => {
    const cinema = await setUp({ booking_fee: { per: 'order', amount: { fixed: eur(150) } }, tax: { rate_basis_points: 1900, mode: 'exclusive', on_fee: true } });
    expect((await asStaff('GET', `/api/admin/venues/${cinema.venue.id}/pricing`)).body).toEqual({
      booking_fee: { per: 'order', amount: { fixed: eur(150) } },
      tax: { rate_basis_points: 1900, mode: 'exclusive', on_fee: true },
    });
    const refused = await asStaff('PUT', `/api/admin/venues/${cinema.venue.id}/pricing`, {
      booking_fee: { per: 'order', amount: { fixed: { amount: 150, currency: 'USD' } } },
      tax: { rate_basis_points: 0, mode: 'inclusive', on_fee: true },
    });
    expect([refused.status, refused.body.detail]).toEqual([400, "booking_fee must be in the venue's currency, EUR."]);
    const over = await asStaff('PUT', `/api/admin/venues/${cinema.venue.id}/pricing`, { booking_fee: null, tax: { rate_basis_points: 10_001, mode: 'inclusive', on_fee: true } });
    expect(over.status).toBe(400);
    expect((await asStaff('GET', `/api/admin/venues/${cinema.venue.id}/pricing`)).body.tax.rate_basis_points).toBe(1900);
  });

  it('when the tickets break a rule, then 400/404/409 with a sentence saying which, and nothing is written', async () => {
    const cinema = await setUp();
    const [a, b, c, d] = cinema.standardSeats;
    const [p] = cinema.premiumSeats;
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM show_seats WHERE showtime_id = ${cinema.show.id} AND status <> 'available'`.execute(app.db)).rows[0]!.n;
    const cases: [[number, string][], number, string | RegExp][] = [
      [[[a!, 'ADULT'], [a!, types.child]], 400, `tickets names seat ${a} more than once; one ticket per seat.`],
      [[[a!, 'NOPE_X']], 400, /^Ticket type NOPE_X does not exist/],
      [[[a!, types.counter]], 400, 'Counter tickets are not sold online; buy them at the box office.'],
      [[[a!, types.comp]], 400, 'Complimentary tickets are not sold online; buy them at the box office.'],
      [[[p!, types.group]], 400, 'Group tickets are not sold for premium seats at this showtime; choose another ticket type or seat.'],
      [[[a!, types.group]], 400, 'Group tickets are sold at least 2 per order.'],
      [[[a!, types.child], [b!, types.child], [c!, types.child], [d!, types.child]], 400, 'Child tickets are sold at most 3 per order.'],
      [[[999_999, 'ADULT']], 404, 'Seat not found.'],
    ];
    for (const [tickets, status, detail] of cases) {
      const reply = await quote(cinema.show.id, tickets);
      expect(reply.status, JSON.stringify(tickets)).toBe(status);
      expect(reply.body.detail).toMatch(detail);
    }
    // A seat of the other hall is no seat of this show.
    const otherSeat = (await app.db.selectFrom('seats').select('id').where('hall_id', '=', cinema.other.id).executeTakeFirstOrThrow()).id;
    expect((await quote(cinema.show.id, [[otherSeat, 'ADULT']])).status).toBe(404);
    expect((await quote(999_999, [[a!, 'ADULT']])).body.detail).toBe('Show not found.');
    expect((await app.http.post('/api/quote', { show_id: cinema.show.id, tickets: [] })).status).toBe(400);
    expect((await app.http.post('/api/quote', { show_id: true, tickets: [{ seat_id: a, ticket_type: 'ADULT' }] })).body.detail).toMatch(/show_id/);
    await startShowNow(app.db, cinema.show.id);
    expect((await quote(cinema.show.id, [[a!, 'ADULT']])).body.detail).toBe('Sales for this show have closed.');
    const after = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM show_seats WHERE showtime_id = ${cinema.show.id} AND status <> 'available'`.execute(app.db)).rows[0]!.n;
    expect(after).toBe(before);
  });
});
