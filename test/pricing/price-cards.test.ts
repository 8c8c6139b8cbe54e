import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema } from '../setup/pricing.ts';

let app: TestApp;
let staff: TestUser;
let customer: TestUser;
let types: Record<'child' | 'senior' | 'comp', string>;

const send = (method: string, path: string, body?: unknown, user = staff) => app.http.send(method, path, body, { token: user.token });
const cardRows = async () => (await sql<{ n: number }>`SELECT (SELECT count(*) FROM price_cards) + (SELECT count(*) FROM price_card_prices) AS n`.execute(app.db)).rows[0]!.n;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  customer = await createUser(app.db);
  types = await createTicketTypes(app, staff, { child: { name: 'Child' }, senior: { name: 'Senior' }, comp: { name: 'Complimentary', staff_only: true } });
});
afterAll(() => app.close());

const cinema = () => pricedCinema(app);

const card = (body: Record<string, unknown>) => createPriceCard(app, staff, body);

const prices = async (showId: number) => {
  const reply = await app.http.get(`/api/showtimes/${showId}/prices`);
  expect(reply.status).toBe(200);
  return reply.body;
};
const table = (body: { prices: { ticket_type: { code: string }; seat_kind: string; price: { amount: number } }[] }) =>
  body.prices.map((p) => `${p.ticket_type.code} ${p.seat_kind} ${p.price.amount}`);

describe('price cards', () => {
  it('when a showtime has no card, then only Adult is priced: its own price, premium seats at the premium price', async () => {
    const { show } = await cinema();
    const body = await prices(show.id);
    expect(body).toEqual({
      showtime_id: show.id,
      price_card: null,
      prices: [
        { ticket_type: { code: 'ADULT', name: 'Adult' }, seat_kind: 'premium', price: eur(1650) },
        { ticket_type: { code: 'ADULT', name: 'Adult' }, seat_kind: 'standard', price: eur(1250) },
      ],
      range: { min: eur(1250), max: eur(1650) },
    });
  });

  it("when the venue has a default card, then its showtimes price those types from it; staff-only types and kinds the hall lacks are not listed", async () => {
    const { venue, show, showInOther } = await cinema();
    const created = await card({
      venue_id: venue.id,
      name: 'Standard',
      default: true,
      prices: [
        { ticket_type: types.child, seat_kind: 'standard', price: eur(800) },
        { ticket_type: types.child, seat_kind: 'premium', price: eur(1100) },
        { ticket_type: types.comp, seat_kind: 'standard', price: eur(0) },
      ],
    });
    expect(created.default).toBe(true);
    const body = await prices(show.id);
    expect(body.price_card).toEqual({ id: created.id, name: 'Standard' });
    expect(table(body)).toEqual(['ADULT premium 1650', 'ADULT standard 1250', `${types.child} premium 1100`, `${types.child} standard 800`]);
    expect(body.range).toEqual({ min: eur(800), max: eur(1650) });
    // Hall 2 has no premium seats: the premium Child price is not offered there.
    expect(table(await prices(showInOther.id))).toEqual(['ADULT standard 1000', `${types.child} standard 800`]);
  });

  it("when a hall has its own default and a showtime its own card, then the showtime's card wins, then the hall's, then the venue's; null goes back to the defaults", async () => {
    const { venue, hall, show, showInOther } = await cinema();
    const venueCard = await card({ venue_id: venue.id, name: 'Venue', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(700) }] });
    const hallCard = await card({ venue_id: venue.id, hall_id: hall.id, name: 'Hall 1', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(750) }] });
    const matinee = await card({ venue_id: venue.id, name: 'Matinee', prices: [{ ticket_type: types.senior, seat_kind: 'standard', price: eur(600) }] });
    expect((await prices(show.id)).price_card.id).toBe(hallCard.id);
    expect((await prices(showInOther.id)).price_card.id).toBe(venueCard.id);

    const own = await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: matinee.id });
    expect(own.status).toBe(200);
    expect(table(own.body)).toEqual(['ADULT premium 1650', 'ADULT standard 1250', `${types.senior} standard 600`]);
    expect((await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: null })).body.price_card.id).toBe(hallCard.id);
  });

  it('when a new default is made, then the old one stops being the default; a PATCH replaces the prices', async () => {
    const { venue, show } = await cinema();
    const first = await card({ venue_id: venue.id, name: 'First', default: true, prices: [] });
    const second = await card({ venue_id: venue.id, name: 'Second', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(500) }] });
    const listed = (await send('GET', `/api/admin/price-cards?venue_id=${venue.id}`)).body.items;
    expect(listed.map((c: { id: number; default: boolean }) => [c.id, c.default])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    const patched = await send('PATCH', `/api/admin/price-cards/${second.id}`, { prices: [{ ticket_type: types.senior, seat_kind: 'premium', price: eur(900) }] });
    expect(patched.body, JSON.stringify(patched.body)).toMatchObject({ prices: [{ ticket_type: types.senior, seat_kind: 'premium', price: eur(900) }] });
    expect(table(await prices(show.id))).toEqual(['ADULT premium 1650', 'ADULT standard 1250', `${types.senior} premium 900`]);
    expect((await send('PATCH', `/api/admin/price-cards/${first.id}`, { default: true })).body.default).toBe(true);
    expect((await prices(show.id)).price_card.id).toBe(first.id);
  });

  it('when a card is bad, then 400 or 404 naming the problem, 409 for a taken name, and nothing is written', async () => {
    const { venue, show } = await cinema();
    const { venue: elsewhere, hall: hallElsewhere } = await cinema();
    await card({ venue_id: venue.id, name: 'Taken', prices: [] });
    const before = await cardRows();
    const row = (ticket_type: string, price = eur(800), seat_kind = 'standard') => ({ ticket_type, seat_kind, price });
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ venue_id: venue.id, name: 'A', prices: [row('ADULT')] }, 400, /^Adult prices are the showtime's price and premium_price/],
      [{ venue_id: venue.id, name: 'B', prices: [row('NOPE_TYPE')] }, 400, /^Ticket type NOPE_TYPE does not exist/],
      [{ venue_id: venue.id, name: 'C', prices: [row(types.child), row(types.child, eur(900))] }, 400, /more than once/],
      [{ venue_id: venue.id, name: 'D', prices: [row(types.child, { amount: 800, currency: 'USD' })] }, 400, /venue's currency, EUR/],
      [{ venue_id: venue.id, hall_id: hallElsewhere.id, name: 'E', prices: [] }, 400, /hall of another venue/],
      [{ venue_id: 999_999, name: 'F', prices: [] }, 404, /^Venue not found\.$/],
      [{ venue_id: venue.id, name: 'G', prices: [row(types.child, eur(-1))] }, 400, /amount/],
      [{ venue_id: venue.id, name: 'H', prices: [row(types.child, eur(800), 'balcony')] }, 400, /seat_kind/],
      [{ venue_id: venue.id, name: 'Taken', prices: [] }, 409, /already has a price card named "Taken"/],
    ];
    for (const [body, status, detail] of cases) {
      const reply = await send('POST', '/api/admin/price-cards', body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.body.detail).toMatch(detail);
    }
    expect(await cardRows()).toBe(before);

    const foreign = await card({ venue_id: elsewhere.id, name: 'Foreign', prices: [] });
    const wrongVenue = await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: foreign.id });
    expect([wrongVenue.status, wrongVenue.body.detail]).toEqual([400, "price_card_id is a card of another venue; use one of the showtime's venue."]);
    expect((await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: 999_999 })).status).toBe(404);
    expect((await send('PUT', '/api/admin/showtimes/999999/price-card', { price_card_id: null })).status).toBe(404);
    expect((await send('PATCH', `/api/admin/price-cards/${foreign.id}`, {})).body.detail).toBe('Send at least one field to change.');
  });

  it("when a hall's card is given to a showtime of another hall, then 400", async () => {
    const { venue, hall, showInOther } = await cinema();
    const hallCard = await card({ venue_id: venue.id, hall_id: hall.id, name: 'Hall only', prices: [] });
    const reply = await send('PUT', `/api/admin/showtimes/${showInOther.id}/price-card`, { price_card_id: hallCard.id });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/card of another hall/);
  });

  it('when a card some showtime uses is deleted, then 409 saying how many; an unused one is 204 and gone', async () => {
    const { venue, show } = await cinema();
    const used = await card({ venue_id: venue.id, name: 'Used', prices: [] });
    const unused = await card({ venue_id: venue.id, name: 'Unused', prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(1) }] });
    expect((await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: used.id })).status).toBe(200);
    const refused = await send('DELETE', `/api/admin/price-cards/${used.id}`);
    expect([refused.status, refused.body.detail]).toEqual([409, '1 showtime(s) use this price card; give them another card first (PUT /api/admin/showtimes/{id}/price-card).']);
    expect((await send('DELETE', `/api/admin/price-cards/${unused.id}`)).status).toBe(204);
    expect((await sql`SELECT 1 FROM price_card_prices WHERE price_card_id = ${unused.id}`.execute(app.db)).rows).toEqual([]);
  });

  it('when someone who is not staff writes, then 403, and the public prices need no session', async () => {
    const { venue, show } = await cinema();
    expect((await send('POST', '/api/admin/price-cards', { venue_id: venue.id, name: 'X', prices: [] }, customer)).status).toBe(403);
    expect((await send('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: null }, customer)).status).toBe(403);
    expect((await app.http.get(`/api/showtimes/${show.id}/prices`)).status).toBe(200);
    expect((await app.http.get('/api/showtimes/999999/prices')).status).toBe(404);
  });
});
