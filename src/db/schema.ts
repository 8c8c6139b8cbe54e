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
  /** Direct booking is off: only a paid order books (migration 0011). */
  payment_required: Generated<boolean>;
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
  /** The paid order it came from (migration 0011); null for a direct booking (SPEC §5). */
  order_id: number | null;
  /** What it was sold as; null for a direct booking (Adult at the showtime's price). */
  ticket_type_id: number | null;
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

export type OrderStatus = 'pending_payment' | 'paid' | 'cancelled' | 'expired' | 'refunded';
export type PaymentMethod = 'card' | 'box_office' | 'free';

/** Checkout (migration 0011); see src/orders/README.md. */
export interface OrdersTable {
  id: Generated<number>;
  reference: string;
  user_id: number;
  showtime_id: number;
  status: OrderStatus;
  currency: string;
  subtotal_amount: number;
  discount_amount: number;
  fee_amount: number;
  tax_amount: number;
  total_amount: number;
  tax_mode: 'inclusive' | 'exclusive';
  tax_basis_points: number;
  voucher_id: number | null;
  payment_method: PaymentMethod;
  payment_provider: 'test' | 'stripe' | null;
  payment_id: string | null;
  payment_client_secret: string | null;
  payment_status: string | null;
  payment_error: string | null;
  refund_due: Generated<boolean>;
  refund_id: string | null;
  expires_at: Timestamp;
  created_at: CreatedAt;
  paid_at: Timestamp | null;
  closed_at: Timestamp | null;
}

export interface OrderLinesTable {
  order_id: number;
  showtime_id: number;
  seat_id: number;
  seat_row: string;
  seat_number: number;
  seat_kind: SeatKind;
  ticket_type_id: number;
  price_amount: number;
  discount_amount: number;
  fee_amount: number;
  tax_amount: number;
  total_amount: number;
}

export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  payment_id: string | null;
  received_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  user_id: number;
  key: string;
  fingerprint: string;
  state: 'running' | 'done';
  status_code: number | null;
  response: unknown;
  created_at: CreatedAt;
  running_until: Timestamp | null;
}

export interface TestProviderPaymentsTable {
  id: string;
  idempotency_key: string;
  client_secret: string;
  amount: number;
  currency: string;
  status: string;
  last_error: string | null;
  card_outcome: string | null;
  succeeds_at: Timestamp | null;
  refund_id: string | null;
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
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  payment_events: PaymentEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  test_provider_payments: TestProviderPaymentsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ShowSeatRow = Selectable<ShowSeatsTable>;
export type ShowtimeRow = Selectable<ShowtimesTable>;
export type NewBooking = Insertable<BookingsTable>;
