import { Type, type Static } from 'typebox';
import { Id } from '../http/route-helpers.ts';
import { Money } from '../shared/money.ts';

export const ShowParams = Type.Object({ show_id: Id('Showtime id') });
export type ShowParams = Static<typeof ShowParams>;

export const SeatBody = Type.Object({
  user_id: Type.Optional(Id('Optional; when given it must be your own user id')),
  seat_id: Id('Physical seat id, as in the layout'),
  show_id: Id('Showtime id'),
});
export type SeatBody = Static<typeof SeatBody>;

const Time = Type.String({ format: 'date-time' });
const SeatKind = Type.Union([Type.Literal('standard'), Type.Literal('premium'), Type.Literal('wheelchair')]);

export const LayoutReply = Type.Object({
  show_id: Type.Integer(),
  hall_name: Type.String(),
  venue_name: Type.String(),
  movie_title: Type.String(),
  starts_at: Time,
  price_range: Type.Union([Type.Object({ min: Money, max: Money }), Type.Null()], {
    description: 'The cheapest and dearest ticket on sale online (as GET /api/showtimes/{id}/prices); null when nothing is',
  }),
  seats: Type.Array(
    Type.Object({
      id: Type.Integer(),
      row: Type.String(),
      number: Type.Integer(),
      status: Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('booked')]),
      locked_by: Type.Union([Type.Integer(), Type.Null()]),
      locked_until: Type.Union([Time, Type.Null()]),
      kind: SeatKind,
      price: Money,
      x: Type.Integer({ description: 'grid column; aisles leave a column empty' }),
      y: Type.Integer({ description: 'grid line, 0 nearest the screen' }),
    }),
  ),
});

export const HoldReply = Type.Object({ detail: Type.String(), locked_until: Time });
export const BookReply = Type.Object({
  detail: Type.String(),
  booking_id: Type.Integer(),
  reference: Type.String({ description: 'the booking reference to show at the cinema' }),
  price: Money,
});

export const MyBookingsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type MyBookingsQuery = Static<typeof MyBookingsQuery>;

export const MyBookingsReply = Type.Object({
  items: Type.Array(
    Type.Object({
      booking_id: Type.Integer(),
      reference: Type.String(),
      booked_at: Time,
      price: Money,
      seat: Type.Object({ id: Type.Integer(), row: Type.String(), number: Type.Integer(), kind: SeatKind }),
      show: Type.Object({
        id: Type.Integer(),
        starts_at: Time,
        status: Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled')]),
        movie: Type.Object({ id: Type.Integer(), title: Type.String() }),
        hall: Type.Object({ id: Type.Integer(), name: Type.String() }),
        venue: Type.Object({ id: Type.Integer(), name: Type.String(), city: Type.String() }),
      }),
    }),
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const ConflictReply = Type.Object({
  detail: Type.String(),
  conflicts: Type.Optional(
    Type.Array(Type.Object({ seat_id: Type.Integer(), reason: Type.Union([Type.Literal('held'), Type.Literal('booked')]) }), {
      description: 'every seat that stopped the request, and why',
    }),
  ),
  seat_ids: Type.Optional(Type.Array(Type.Integer(), { description: 'release: the seats you do not hold' })),
});

/** Several seats at once: all or nothing, at most MAX_SEATS_PER_USER, no duplicates. */
export const SeatsBody = (maxSeats: number) =>
  Type.Object({
    show_id: Id('Showtime id'),
    seat_ids: Type.Array(Id(), { minItems: 1, maxItems: maxSeats, uniqueItems: true, description: `1 to ${maxSeats} seat ids` }),
  });
export type SeatsBody = Static<ReturnType<typeof SeatsBody>>;

export const ReleaseBody = Type.Object({ seat_id: Id('Physical seat id'), show_id: Id('Showtime id') });
export type ReleaseBody = Static<typeof ReleaseBody>;
export const DetailReply = Type.Object({ detail: Type.String() });

export const HoldSeatsReply = Type.Object({
  detail: Type.String(),
  seats: Type.Array(Type.Object({ seat_id: Type.Integer(), locked_until: Time })),
});

export const BookSeatsReply = Type.Object({
  detail: Type.String(),
  reference: Type.String({ description: 'one booking reference for the whole group' }),
  bookings: Type.Array(Type.Object({ booking_id: Type.Integer(), seat_id: Type.Integer(), price: Money })),
  total: Money,
});
