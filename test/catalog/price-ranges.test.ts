import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import { waitForListeners } from '../setup/listener.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema, tag } from '../setup/pricing.ts';

/**
 * `price_range` in the public showtime listings (GET /api/showtimes,
 * GET /api/showtimes/{id}) and in the hall layout: the cheapest and dearest
 * ticket on sale online, the span of GET /api/showtimes/{id}/prices.
 */
let app: TestApp;
let staff: TestUser;
let types: Record<'child' | 'senior' | 'comp', string>;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  types = await createTicketTypes(app, staff, {
    child: { name: 'Child', max_film_min_age: 12 },
    senior: { name: 'Senior' },
    comp: { name: 'Complimentary', staff_only: true },
  });
  // Until its listener listens, the app reads every layout from the database: the layout cache would not be tested.
  await waitForListeners(app.db, 1);
});
afterAll(() => app.close());

const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });
const ok = async (path: string) => {
  const reply = await app.http.get(path);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};
const listedRanges = async (venueId: number) => (await ok(`/api/showtimes?venue_id=${venueId}`)).items.map((s: any) => [s.id, s.price_range]);
const layoutRange = async (showId: number) => (await ok(`/api/hall-layout/${showId}/`)).price_range;
const range = (min: number, max: number) => ({ min: eur(min), max: eur(max) });

describe('price ranges in showtime listings', () => {
  it('when a showtime has no card, then its range is its Adult prices; every documented field is still there', async () => {
    const { venue, show, showInOther } = await pricedCinema(app);
    expect(await listedRanges(venue.id)).toEqual([
      [show.id, range(1250, 1650)],
      [showInOther.id, range(1000, 1000)], // hall 2 has no premium seats
    ]);
    const one = await ok(`/api/showtimes/${show.id}`);
    expect(one.price_range).toEqual(range(1250, 1650));
    expect(Object.keys(one).sort()).toEqual(['ends_at', 'hall', 'id', 'movie', 'premium_price', 'price', 'price_range', 'seats', 'starts_at', 'status', 'venue']);
    expect(one).toMatchObject({ price: eur(1250), premium_price: eur(1650), seats: { available: 8, held: 0, booked: 0 } });
  });

  it('when the venue has a default card, then the range spans its types on sale online (not staff-only ones), and follows a change of the card at once', async () => {
    const { venue, show, showInOther } = await pricedCinema(app);
    const card = await createPriceCard(app, staff, {
      venue_id: venue.id,
      name: 'Standard',
      default: true,
      prices: [
        { ticket_type: types.child, seat_kind: 'standard', price: eur(700) },
        { ticket_type: types.senior, seat_kind: 'premium', price: eur(1900) },
        { ticket_type: types.comp, seat_kind: 'standard', price: eur(0) },
      ],
    });
    expect(await listedRanges(venue.id)).toEqual([
      [show.id, range(700, 1900)],
      [showInOther.id, range(700, 1000)], // no premium seats there: the premium Senior price is not sold
    ]);

    const changed = await asStaff('PATCH', `/api/admin/price-cards/${card.id}`, { prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(550) }] });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(await listedRanges(venue.id)).toEqual([
      [show.id, range(550, 1650)],
      [showInOther.id, range(550, 1000)],
    ]);
    expect((await ok(`/api/showtimes/${show.id}`)).price_range).toEqual(range(550, 1650));
  });

  it("when a showtime has its own card, or its film's rating rules a type out, then its range is that of its own price table", async () => {
    const { venue, hall, show, showInOther } = await pricedCinema(app);
    await createPriceCard(app, staff, { venue_id: venue.id, name: 'Standard', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(700) }] });
    const late = await createPriceCard(app, staff, { venue_id: venue.id, hall_id: hall.id, name: 'Late', prices: [{ ticket_type: types.senior, seat_kind: 'standard', price: eur(1100) }] });
    expect((await asStaff('PUT', `/api/admin/showtimes/${show.id}/price-card`, { price_card_id: late.id })).status).toBe(200);
    const rated = await asStaff('POST', '/api/admin/movies', { title: `Rated ${tag()}`, duration_minutes: 90, rating: { label: '15', min_age: 15 } });
    expect((await asStaff('PATCH', `/api/admin/showtimes/${showInOther.id}`, { movie_id: rated.body.id })).status).toBe(200);

    expect(await listedRanges(venue.id)).toEqual([
      [show.id, range(1100, 1650)],
      [showInOther.id, range(1000, 1000)], // Child (7.00) is not sold for a film rated 15
    ]);
    for (const id of [show.id, showInOther.id]) {
      expect((await ok(`/api/showtimes/${id}`)).price_range).toEqual((await ok(`/api/showtimes/${id}/prices`)).range);
    }
  });

  it('when nothing of a showtime is on sale online, then its range is null', async () => {
    const { venue, show, showInOther } = await pricedCinema(app);
    const adult = await app.db.selectFrom('ticket_types').select('id').where('code', '=', 'ADULT').executeTakeFirstOrThrow();
    // Adult retired (this test file has its own database; the tests run one after the other), and no card.
    expect((await asStaff('PATCH', `/api/admin/ticket-types/${adult.id}`, { active: false })).status).toBe(200);
    try {
      expect(await listedRanges(venue.id)).toEqual([
        [show.id, null],
        [showInOther.id, null],
      ]);
      expect((await ok(`/api/showtimes/${show.id}`)).price_range).toBeNull();
    } finally {
      expect((await asStaff('PATCH', `/api/admin/ticket-types/${adult.id}`, { active: true })).status).toBe(200);
    }
  });

  it('when a listing pages, then every page carries the ranges of its own showtimes', async () => {
    const { venue, show, showInOther } = await pricedCinema(app);
    const first = await ok(`/api/showtimes?venue_id=${venue.id}&limit=1`);
    const second = await ok(`/api/showtimes?venue_id=${venue.id}&limit=1&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect([...first.items, ...second.items].map((s: any) => [s.id, s.price_range])).toEqual([
      [show.id, range(1250, 1650)],
      [showInOther.id, range(1000, 1000)],
    ]);
  });
});

describe('the price range in the hall layout', () => {
  it('when the layout is read, then it carries the range of the price table', async () => {
    const { venue, show } = await pricedCinema(app);
    await createPriceCard(app, staff, { venue_id: venue.id, name: 'Standard', default: true, prices: [{ ticket_type: types.child, seat_kind: 'premium', price: eur(900) }] });
    expect(await layoutRange(show.id)).toEqual(range(900, 1650));
    expect((await ok(`/api/showtimes/${show.id}/prices`)).range).toEqual(range(900, 1650));
  });

  it("when staff change the showtime's prices, then the layout answers the new range (the change is a show event: the cached show is read again)", async () => {
    const { show } = await pricedCinema(app);
    expect(await layoutRange(show.id)).toEqual(range(1250, 1650)); // now cached
    const changed = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: eur(1400), premium_price: eur(2000) });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await expect.poll(() => layoutRange(show.id), { timeout: 3_000 }).toEqual(range(1400, 2000));
    expect((await ok(`/api/hall-layout/${show.id}/`)).seats.map((s: any) => s.price.amount)).toContain(2000);
  });

  it('when a price card changes (no show event), then the cached layout keeps the range it was loaded with: it is read once per show, not per request', async () => {
    const { venue, show } = await pricedCinema(app);
    const card = await createPriceCard(app, staff, { venue_id: venue.id, name: 'Standard', default: true, prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(800) }] });
    expect(await layoutRange(show.id)).toEqual(range(800, 1650));
    expect((await asStaff('PATCH', `/api/admin/price-cards/${card.id}`, { prices: [{ ticket_type: types.child, seat_kind: 'standard', price: eur(500) }] })).status).toBe(200);
    expect((await ok(`/api/showtimes/${show.id}/prices`)).range).toEqual(range(500, 1650));
    // Served from the cache, as loaded; SNAPSHOT_MAX_AGE_MS (10 s) after the load the show is read again with the new range.
    expect(await layoutRange(show.id)).toEqual(range(800, 1650));
  });
});
