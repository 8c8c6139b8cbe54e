import { Type, type Static } from 'typebox';
import { Id, IdParams, Nullable } from '../http/route-helpers.ts';
import { Money } from '../shared/money.ts';

const Name = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Time = Type.String({ format: 'date-time' });
/**
 * PATCH bodies: any subset of the fields, unknown fields refused (a typo must
 * not answer 200 having changed nothing). An empty body is refused by the
 * service, which can say so in a sentence.
 */
const patchOptions = { additionalProperties: false, description: 'Only the fields to change; at least one.' } as const;

export const SeatKind = Type.Union([Type.Literal('standard'), Type.Literal('premium'), Type.Literal('wheelchair')], {
  description: 'standard | premium (the premium price) | wheelchair (a space; the seat next to it is for a companion)',
});
export type SeatKind = Static<typeof SeatKind>;

// ── venues ────────────────────────────────────────────────────────────────
export const VenueBody = Type.Object({
  name: Name(200),
  city: Name(200),
  time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone name; default UTC' })),
  default_price: Type.Optional(Money),
  payment_required: Type.Optional(
    Type.Boolean({ description: 'Seats are sold only through a paid checkout (POST /api/orders): direct booking answers 409. Default false.' }),
  ),
});
export type VenueBody = Static<typeof VenueBody>;
export const VenuePatch = Type.Partial(VenueBody, patchOptions);
export type VenuePatch = Static<typeof VenuePatch>;
export const Venue = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  city: Type.String(),
  time_zone: Type.String(),
  default_price: Money,
  payment_required: Type.Boolean(),
});
export type Venue = Static<typeof Venue>;

// ── halls ─────────────────────────────────────────────────────────────────
export const RowSpec = Type.Object({
  row: Type.String({ pattern: '^[A-Za-z0-9]{1,8}$', description: '1–8 letters or digits, e.g. "A"' }),
  seats: Type.Integer({ minimum: 1, maximum: 500 }),
  kind: Type.Optional(SeatKind),
  gaps_after: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1, maximum: 499 }), { maxItems: 50, uniqueItems: true, description: 'an aisle after these seat numbers' }),
  ),
  seat_kinds: Type.Optional(
    Type.Record(Type.String({ pattern: '^[1-9][0-9]{0,2}$' }), SeatKind, { description: 'per-seat kinds by seat number, e.g. {"1": "wheelchair"}' }),
  ),
});
export type RowSpec = Static<typeof RowSpec>;
const Rows = Type.Array(RowSpec, { minItems: 1, maxItems: 200, description: 'from the screen backwards' });

export const HallBody = Type.Object({
  venue_id: Id(),
  name: Name(200),
  rows: Rows,
  default_price: Type.Optional(Money),
  cleaning_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240, description: 'idle time after each showtime; default 0' })),
});
export type HallBody = Static<typeof HallBody>;
export const HallPatch = Type.Partial(
  Type.Object({
    name: Name(200),
    rows: Type.Array(RowSpec, {
      minItems: 1,
      maxItems: 200,
      description: 'from the screen backwards; replaces the seat map, refused (409) once any seat of the hall is booked',
    }),
    default_price: Nullable(Money),
    cleaning_minutes: Type.Integer({ minimum: 0, maximum: 240, description: 'applies to showtimes scheduled from now on' }),
  }),
  patchOptions,
);
export type HallPatch = Static<typeof HallPatch>;
export const Hall = Type.Object({
  id: Type.Integer(),
  venue_id: Type.Integer(),
  name: Type.String(),
  seat_count: Type.Integer(),
  rows: Type.Array(RowSpec),
  default_price: Nullable(Money),
  cleaning_minutes: Type.Integer(),
});
export type Hall = Static<typeof Hall>;

// ── movies ────────────────────────────────────────────────────────────────
/** An age rating as the operator's country labels it, and the minimum age it stands for. */
export const Rating = Type.Object(
  {
    label: Type.String({
      pattern: '^[A-Za-z0-9]([A-Za-z0-9 +./-]{0,14}[A-Za-z0-9+])?$',
      description: 'As the country of the venue labels it, e.g. "PG", "12A", "15", "FSK 16", "PG-13"; 1–16 letters, digits, spaces and + . / -',
    }),
    min_age: Type.Integer({ minimum: 0, maximum: 21, description: 'The minimum age the rating stands for, 0–21; ticket types may be refused above an age (e.g. Child above 12)' }),
  },
  { additionalProperties: false },
);
export type Rating = Static<typeof Rating>;

export const MovieBody = Type.Object({
  title: Name(300),
  duration_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  rating: Type.Optional(Type.Union([Rating, Type.Null()], { description: 'The age rating; null or left out: not rated (no ticket type is refused for it)' })),
});
export type MovieBody = Static<typeof MovieBody>;
export const MoviePatch = Type.Partial(MovieBody, patchOptions);
export type MoviePatch = Static<typeof MoviePatch>;
export const Movie = Type.Object({ id: Type.Integer(), title: Type.String(), duration_minutes: Type.Integer(), rating: Nullable(Rating) });
export type Movie = Static<typeof Movie>;

// ── showtimes ─────────────────────────────────────────────────────────────
export const ShowtimeBody = Type.Object({
  hall_id: Id(),
  movie_id: Id(),
  starts_at: Type.String({ format: 'date-time', description: 'ISO 8601 with a time zone, e.g. 2026-12-01T18:30:00Z; in the future' }),
  price: Type.Optional(Money),
  premium_price: Type.Optional(Money),
});
export type ShowtimeBody = Static<typeof ShowtimeBody>;
export const ShowtimePatch = Type.Partial(ShowtimeBody, patchOptions);
export type ShowtimePatch = Static<typeof ShowtimePatch>;

export const ShowtimeStatus = Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled')]);
/** SPEC §6's showtime object, as listings and GET /api/showtimes/{id} answer it. */
export const Showtime = Type.Object({
  id: Type.Integer(),
  starts_at: Time,
  ends_at: Time,
  status: ShowtimeStatus,
  movie: Type.Object({ id: Type.Integer(), title: Type.String(), duration_minutes: Type.Integer(), rating: Nullable(Rating) }),
  hall: Type.Object({ id: Type.Integer(), name: Type.String() }),
  venue: Type.Object({ id: Type.Integer(), name: Type.String(), city: Type.String(), time_zone: Type.String() }),
  price: Money,
  premium_price: Money,
  seats: Type.Object({ available: Type.Integer(), held: Type.Integer(), booked: Type.Integer() }),
});
export type Showtime = Static<typeof Showtime>;

/** A showtime as the public catalog lists it: SPEC §6's object and the range of its prices online. */
export const ListedShowtime = Type.Object({
  ...Showtime.properties,
  price_range: Type.Union([Type.Object({ min: Money, max: Money }), Type.Null()], {
    description: "The cheapest and dearest ticket on sale online (every type and seat kind of GET /api/showtimes/{id}/prices); null when nothing is",
  }),
});
export type ListedShowtime = Static<typeof ListedShowtime>;

/** A booking of a cancelled showtime, with what to pay back and to whom. */
export const Refund = Type.Object({
  booking_id: Type.Integer(),
  reference: Type.String(),
  user_id: Type.Integer(),
  username: Type.String(),
  seat: Type.Object({ id: Type.Integer(), row: Type.String(), number: Type.Integer() }),
  price: Money,
});
export type Refund = Static<typeof Refund>;
export const CancelReply = Type.Object({ showtime: Showtime, refunds: Type.Array(Refund) });
export type CancelReply = Static<typeof CancelReply>;

export const ShowtimeReport = Type.Object({
  showtime: Showtime,
  seats: Type.Object({
    sold: Type.Integer(),
    held: Type.Integer({ description: 'live holds only' }),
    available: Type.Integer({ description: 'including holds that have expired' }),
  }),
  revenue: Money,
  bookings_per_hour: Type.Array(
    Type.Object({ hour: Time, bookings: Type.Integer(), revenue: Money }, { description: 'seats booked in that UTC hour; hours without bookings are left out' }),
  ),
  by_ticket_type: Type.Array(
    Type.Object({ ticket_type: Type.Object({ code: Type.String(), name: Type.String() }), seats: Type.Integer(), revenue: Money }),
    { description: 'seats sold and revenue as paid (fee and tax included) per ticket type; a direct booking is Adult' },
  ),
  orders: Type.Object(
    { paid: Type.Integer(), discounts: Money, fees: Money, tax: Money, refunded: Type.Integer(), refunded_amount: Money },
    { description: 'paid checkouts: what vouchers took off, the booking fees and the tax in their totals; and late payments refunded' },
  ),
});
export type ShowtimeReport = Static<typeof ShowtimeReport>;

// ── listings ──────────────────────────────────────────────────────────────
export const Page = (item: Parameters<typeof Type.Array>[0]) =>
  Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });

const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};
export const ListQuery = Type.Object(PageQuery);
export type ListQuery = Static<typeof ListQuery>;
export const ShowtimesQuery = Type.Object({
  ...PageQuery,
  // The format accepts year 0, which PostgreSQL's date does not (ajv-formats' formatMinimum keyword).
  date: Type.Optional(Type.String({ format: 'date', formatMinimum: '0001-01-01', description: 'a calendar day in the venue’s time zone, YYYY-MM-DD' })),
  city: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  movie_id: Type.Optional(Id()),
  venue_id: Type.Optional(Id()),
});
export type ShowtimesQuery = Static<typeof ShowtimesQuery>;
export { IdParams };
export type IdParams = Static<typeof IdParams>;
