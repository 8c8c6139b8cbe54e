/** The public API's shapes, as docs/api.md and /openapi.json describe them. */

export type Money = { amount: number; currency: string };

export type Page<T> = { items: T[]; next_cursor: string | null };

export type User = { id: number; username: string; is_staff: boolean };

export type Venue = { id: number; name: string; city: string; time_zone: string; default_price: Money };

/** An age rating as the venue's country labels it ("12A", "15") and the minimum age it stands for. */
export type Rating = { label: string; min_age: number };

export type Movie = { id: number; title: string; duration_minutes: number; rating: Rating | null };

/** The cheapest and dearest ticket on sale online; null when nothing is. */
export type PriceRange = { min: Money; max: Money } | null;

export type SeatStatus = 'available' | 'held' | 'booked';
export type SeatKind = 'standard' | 'premium' | 'wheelchair';

export type Showtime = {
  id: number;
  starts_at: string;
  ends_at: string;
  status: 'scheduled' | 'cancelled';
  movie: { id: number; title: string; duration_minutes: number; rating: Rating | null };
  hall: { id: number; name: string };
  venue: { id: number; name: string; city: string; time_zone: string };
  price: Money;
  premium_price: Money;
  seats: { available: number; held: number; booked: number };
  /** In the public listings (GET /api/showtimes, GET /api/showtimes/{id}); not in staff replies. */
  price_range?: PriceRange;
};

export type LayoutSeat = {
  id: number;
  row: string;
  number: number;
  status: SeatStatus;
  locked_by: number | null;
  locked_until: string | null;
  kind: SeatKind;
  price: Money;
  x: number;
  y: number;
};

export type Layout = {
  show_id: number;
  hall_name: string;
  venue_name: string;
  movie_title: string;
  starts_at: string;
  price_range: PriceRange;
  seats: LayoutSeat[];
};

export type HoldReply = { detail: string; locked_until: string };
export type ReleaseReply = { detail: string };
export type BookSeatReply = { detail: string; booking_id: number; reference: string; price: Money };
export type BookSeatsReply = {
  detail: string;
  reference: string;
  bookings: { booking_id: number; seat_id: number; price: Money }[];
  total: Money;
};

export type MyBooking = {
  booking_id: number;
  reference: string;
  booked_at: string;
  price: Money;
  seat: { id: number; row: string; number: number; kind: SeatKind };
  show: {
    id: number;
    starts_at: string;
    status: 'scheduled' | 'cancelled';
    movie: { id: number; title: string };
    hall: { id: number; name: string };
    venue: { id: number; name: string; city: string };
  };
};

export type RowSpec = {
  row: string;
  seats: number;
  kind?: SeatKind;
  gaps_after?: number[];
  seat_kinds?: Record<string, SeatKind>;
};

export type Hall = {
  id: number;
  venue_id: number;
  name: string;
  seat_count: number;
  rows: RowSpec[];
  default_price: Money | null;
  cleaning_minutes: number;
};

export type Report = {
  showtime: Showtime;
  seats: { sold: number; held: number; available: number };
  revenue: Money;
  bookings_per_hour: { hour: string; bookings: number; revenue: Money }[];
};

/** Seat events on /api/shows/{id}/events. */
export type SeatEvent = { seat_id: number; status: SeatStatus; locked_until: string | null };
export type SnapshotEvent = { show_id: number; seats: SeatEvent[] };
