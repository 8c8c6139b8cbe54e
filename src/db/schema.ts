import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Database tables as Kysely sees them; the migrations are the source of truth. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type SeatStatus = 'available' | 'held' | 'booked';
export type SeatKind = 'standard' | 'premium' | 'wheelchair';
export type ShowtimeStatus = 'scheduled' | 'cancelled';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  is_staff: Generated<boolean>;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface VenuesTable {
  id: Generated<number>;
  name: string;
  city: string;
  time_zone: Generated<string>;
  currency: Generated<string>;
  default_price_amount: Generated<number>;
}

export interface HallsTable {
  id: Generated<number>;
  venue_id: number;
  name: string;
  default_price_amount: number | null;
  cleaning_minutes: Generated<number>;
}

export interface SeatsTable {
  id: Generated<number>;
  hall_id: number;
  row: string;
  number: number;
  kind: Generated<SeatKind>;
  x: number;
  y: number;
}

export interface MoviesTable {
  id: Generated<number>;
  title: string;
  duration_minutes: number;
  /** The age rating as the operator's country labels it, and the minimum age it stands for: both or neither (migration 0012). */
  rating_label: string | null;
  rating_min_age: number | null;
}

export interface ShowtimesTable {
  id: Generated<number>;
  hall_id: number;
  movie_id: number;
  starts_at: Timestamp;
  ends_at: Timestamp;
  status: Generated<ShowtimeStatus>;
  currency: string;
  price_amount: number;
  premium_price_amount: number;
  blocked_until: Timestamp;
  created_at: CreatedAt;
}

export interface ShowSeatsTable {
  id: Generated<number>;
  showtime_id: number;
  seat_id: number;
  status: SeatStatus;
  locked_by_id: number | null;
  locked_until: Timestamp | null;
  booked_at: Timestamp | null;
  /** Bumped by a trigger on every update (migration 0003); int8, read as a number. */
  version: Generated<number>;
}

export interface BookingsTable {
  id: Generated<number>;
  showtime_id: number;
  seat_id: number;
  user_id: number;
  created_at: CreatedAt;
  price_amount: number;
  currency: string;
  reference: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  user_id: number | null;
  action: string;
  entity: string;
  entity_id: number | null;
  details: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
}

/** Failed logins per window (migration 0005); see src/accounts/login-limits.ts. */
export interface LoginFailuresTable {
  scope: 'address' | 'username';
  subject: string;
  failures: number;
  window_ends_at: Timestamp;
}

/** Who a ticket is for and where it may be sold (migration 0007); see src/pricing/README.md. */
export interface TicketTypesTable {
  id: Generated<number>;
  code: string;
  name: string;
  sold_online: Generated<boolean>;
  sold_at_box_office: Generated<boolean>;
  min_per_order: number | null;
  max_per_order: number | null;
  staff_only: Generated<boolean>;
  active: Generated<boolean>;
  /** Not sold for films whose minimum age is above this (migration 0012); null: any film. */
  max_film_min_age: number | null;
  created_at: CreatedAt;
}

/** A price per ticket type and seat kind (migration 0008); see src/pricing/README.md. */
export interface PriceCardsTable {
  id: Generated<number>;
  venue_id: number;
  hall_id: number | null;
  name: string;
  currency: string;
  is_default: Generated<boolean>;
  created_at: CreatedAt;
}

export interface PriceCardPricesTable {
  price_card_id: number;
  ticket_type_id: number;
  seat_kind: 'standard' | 'premium' | 'wheelchair';
  amount: number;
}

export interface ShowtimePriceCardsTable {
  showtime_id: number;
  price_card_id: number;
}

/** A venue's booking fee and tax (migration 0009); no row: neither. */
export interface VenuePricingTable {
  venue_id: number;
  fee_per: 'ticket' | 'order' | null;
  fee_kind: 'fixed' | 'percent' | null;
  fee_value: number | null;
  tax_basis_points: number;
  tax_mode: 'inclusive' | 'exclusive';
  tax_on_fee: boolean;
}

/** Vouchers and promo codes (migration 0010); see src/pricing/README.md. */
export interface VouchersTable {
  id: Generated<number>;
  code: string;
  description: Generated<string>;
  per: 'ticket' | 'order';
  kind: 'fixed' | 'percent';
  value: number;
  currency: string | null;
  venue_id: number | null;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  showtime_ids: number[] | null;
  movie_ids: number[] | null;
  ticket_types: string[] | null;
  seat_kinds: string[] | null;
  max_uses: number | null;
  uses: Generated<number>;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  venues: VenuesTable;
  halls: HallsTable;
  seats: SeatsTable;
  movies: MoviesTable;
  showtimes: ShowtimesTable;
  show_seats: ShowSeatsTable;
  bookings: BookingsTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  ticket_types: TicketTypesTable;
  price_cards: PriceCardsTable;
  price_card_prices: PriceCardPricesTable;
  showtime_price_cards: ShowtimePriceCardsTable;
  venue_pricing: VenuePricingTable;
  vouchers: VouchersTable;
}

export type UserRow = Selectable<UsersTable>;
export type ShowSeatRow = Selectable<ShowSeatsTable>;
export type ShowtimeRow = Selectable<ShowtimesTable>;
export type NewBooking = Insertable<BookingsTable>;
