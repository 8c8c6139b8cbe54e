import { Type, type Static } from 'typebox';
import { Id } from '../http/route-helpers.ts';

export const ShowParams = Type.Object({ show_id: Id('Showtime id') });
export type ShowParams = Static<typeof ShowParams>;

export const SeatBody = Type.Object({
  user_id: Type.Optional(Id('Optional; when given it must be your own user id')),
  seat_id: Id('Physical seat id, as in the layout'),
  show_id: Id('Showtime id'),
});
export type SeatBody = Static<typeof SeatBody>;

const Time = Type.String({ format: 'date-time' });

export const LayoutReply = Type.Object({
  show_id: Type.Integer(),
  hall_name: Type.String(),
  venue_name: Type.String(),
  movie_title: Type.String(),
  starts_at: Time,
  seats: Type.Array(
    Type.Object({
      id: Type.Integer(),
      row: Type.String(),
      number: Type.Integer(),
      status: Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('booked')]),
      locked_by: Type.Union([Type.Integer(), Type.Null()]),
      locked_until: Type.Union([Time, Type.Null()]),
    }),
  ),
});

export const HoldReply = Type.Object({ detail: Type.String(), locked_until: Time });
export const BookReply = Type.Object({ detail: Type.String(), booking_id: Type.Integer() });

export const ConflictReply = Type.Object({
  detail: Type.String(),
  conflicts: Type.Optional(
    Type.Array(Type.Object({ seat_id: Type.Integer(), reason: Type.Union([Type.Literal('held'), Type.Literal('booked')]) })),
  ),
});
