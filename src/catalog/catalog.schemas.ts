import { Type, type Static } from 'typebox';
import { Id } from '../http/route-helpers.ts';

const Name = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const VenueBody = Type.Object({
  name: Name(200),
  city: Name(200),
  time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone name; default UTC' })),
});
export type VenueBody = Static<typeof VenueBody>;
export const Venue = Type.Object({ id: Type.Integer(), name: Type.String(), city: Type.String(), time_zone: Type.String() });
export type Venue = Static<typeof Venue>;

export const RowSpec = Type.Object({
  row: Type.String({ pattern: '^[A-Za-z0-9]{1,8}$', description: '1–8 letters or digits, e.g. "A"' }),
  seats: Type.Integer({ minimum: 1, maximum: 500 }),
});
export const HallBody = Type.Object({
  venue_id: Id(),
  name: Name(200),
  rows: Type.Array(RowSpec, { minItems: 1, maxItems: 200 }),
});
export type HallBody = Static<typeof HallBody>;
export const Hall = Type.Object({
  id: Type.Integer(),
  venue_id: Type.Integer(),
  name: Type.String(),
  seat_count: Type.Integer(),
  rows: Type.Array(Type.Object({ row: Type.String(), seats: Type.Integer() })),
});
export type Hall = Static<typeof Hall>;

export const MovieBody = Type.Object({
  title: Name(300),
  duration_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
});
export type MovieBody = Static<typeof MovieBody>;
export const Movie = Type.Object({ id: Type.Integer(), title: Type.String(), duration_minutes: Type.Integer() });
export type Movie = Static<typeof Movie>;

export const ShowtimeBody = Type.Object({
  hall_id: Id(),
  movie_id: Id(),
  starts_at: Type.String({ format: 'date-time', description: 'ISO 8601 with a time zone, e.g. 2026-12-01T18:30:00Z' }),
});
export type ShowtimeBody = Static<typeof ShowtimeBody>;
export const Showtime = Type.Object({
  id: Type.Integer(),
  hall_id: Type.Integer(),
  movie_id: Type.Integer(),
  starts_at: Type.String({ format: 'date-time' }),
  ends_at: Type.String({ format: 'date-time' }),
  seat_count: Type.Integer(),
});
export type Showtime = Static<typeof Showtime>;
