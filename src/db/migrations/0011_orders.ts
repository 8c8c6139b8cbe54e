import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, checkout (src/orders/README.md, docs/checkout.md): orders that own
 * held seats while the payment runs, the payments' webhook events (each acted
 * on once), idempotency keys, the built-in test provider's payments, and the
 * venue setting `payment_required` that turns direct booking off.
 *
 * Seats stay the design's: `held` by their ShowSeat row during the payment,
 * and a Booking row (unique on showtime + seat) only when it succeeded, with
 * the order and the ticket type it was sold as.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE venues ADD COLUMN payment_required boolean NOT NULL DEFAULT false`.execute(db);

  await sql`
    CREATE TABLE orders (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      reference text NOT NULL CONSTRAINT orders_reference_key UNIQUE,
      user_id integer NOT NULL REFERENCES users (id),
      -- A showtime staff may delete has no bookings (the catalog refuses otherwise): its unpaid orders go with it.
      showtime_id integer NOT NULL REFERENCES showtimes (id) ON DELETE CASCADE,
      status text NOT NULL CONSTRAINT orders_status_known CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'expired', 'refunded')),
      currency char(3) NOT NULL,
      subtotal_amount integer NOT NULL CHECK (subtotal_amount >= 0),
      discount_amount integer NOT NULL CHECK (discount_amount >= 0),
      fee_amount integer NOT NULL CHECK (fee_amount >= 0),
      tax_amount integer NOT NULL CHECK (tax_amount >= 0),
      total_amount integer NOT NULL CHECK (total_amount >= 0),
      tax_mode text NOT NULL CHECK (tax_mode IN ('inclusive', 'exclusive')),
      tax_basis_points integer NOT NULL,
      voucher_id integer REFERENCES vouchers (id),
      payment_method text NOT NULL CONSTRAINT orders_payment_method_known CHECK (payment_method IN ('card', 'box_office', 'free')),
      payment_provider text CONSTRAINT orders_payment_provider_known CHECK (payment_provider IN ('test', 'stripe')),
      payment_id text,
      payment_client_secret text,
      payment_status text,
      payment_error text,
      -- The decision to refund is written with the order's last state; the refund call follows the commit.
      refund_due boolean NOT NULL DEFAULT false,
      refund_id text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      paid_at timestamptz,
      closed_at timestamptz,
      CONSTRAINT orders_payment_key UNIQUE (payment_provider, payment_id),
      CONSTRAINT orders_card_has_provider CHECK ((payment_method = 'card') = (payment_provider IS NOT NULL)),
      CONSTRAINT orders_paid_at CHECK ((status = 'paid') = (paid_at IS NOT NULL) OR status = 'refunded')
    )`.execute(db);
  await sql`CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX orders_showtime_idx ON orders (showtime_id)`.execute(db);
  await sql`CREATE INDEX orders_pending_idx ON orders (expires_at) WHERE status = 'pending_payment'`.execute(db);
  await sql`CREATE INDEX orders_refund_due_idx ON orders (id) WHERE refund_due`.execute(db);

  await sql`
    CREATE TABLE order_lines (
      order_id integer NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
      showtime_id integer NOT NULL,
      -- The seat as sold, like a receipt: staff may give a hall a new seat map while an order is unpaid.
      seat_id integer NOT NULL,
      seat_row text NOT NULL,
      seat_number integer NOT NULL,
      seat_kind text NOT NULL,
      ticket_type_id integer NOT NULL REFERENCES ticket_types (id),
      price_amount integer NOT NULL CHECK (price_amount >= 0),
      discount_amount integer NOT NULL CHECK (discount_amount >= 0),
      fee_amount integer NOT NULL CHECK (fee_amount >= 0),
      tax_amount integer NOT NULL CHECK (tax_amount >= 0),
      total_amount integer NOT NULL CHECK (total_amount >= 0),
      PRIMARY KEY (order_id, seat_id)
    )`.execute(db);
  await sql`CREATE INDEX order_lines_seat_idx ON order_lines (showtime_id, seat_id)`.execute(db);

  await sql`ALTER TABLE bookings ADD COLUMN order_id integer REFERENCES orders (id), ADD COLUMN ticket_type_id integer REFERENCES ticket_types (id)`.execute(db);
  await sql`CREATE INDEX bookings_order_idx ON bookings (order_id) WHERE order_id IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE payment_events (
      provider text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      payment_id text,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, event_id)
    )`.execute(db);

  await sql`
    CREATE TABLE idempotency_keys (
      user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      key text NOT NULL,
      fingerprint text NOT NULL,
      state text NOT NULL CHECK (state IN ('running', 'done')),
      status_code integer,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      running_until timestamptz,
      PRIMARY KEY (user_id, key)
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`.execute(db);

  // The built-in test provider's side (src/orders/payments/test-provider.ts): what a real provider keeps at home.
  await sql`
    CREATE TABLE test_provider_payments (
      id text PRIMARY KEY,
      idempotency_key text NOT NULL CONSTRAINT test_provider_payments_idempotency_key UNIQUE,
      client_secret text NOT NULL,
      amount integer NOT NULL,
      currency char(3) NOT NULL,
      status text NOT NULL,
      last_error text,
      card_outcome text,
      succeeds_at timestamptz,
      refund_id text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await replaceInBookBatch(db, forward);
}

/**
 * `booking_book_batch` (migration 0004) learns one refusal: a showtime of a
 * venue with payment_required is booked only through a paid order. Read
 * where the function reads the show, before the locks and again under them.
 * The function's text is edited as PostgreSQL keeps it; each edit must match.
 */
const PAYMENT_REQUIRED = `(SELECT v.payment_required FROM halls h JOIN venues v ON v.id = h.venue_id WHERE h.id = st.hall_id)`;
const forward: [string, string, number][] = [
  ['SELECT st.status, st.starts_at <= now() AS started, count(ss.id) AS found,', `SELECT st.status, st.starts_at <= now() AS started, ${PAYMENT_REQUIRED} AS payment_required, count(ss.id) AS found,`, 1],
  [
    'SELECT status, starts_at <= now() AS started, trim(currency) AS currency, price_amount, premium_price_amount\n            INTO v_state FROM showtimes WHERE id = v_show_id;',
    `SELECT st.status, st.starts_at <= now() AS started, trim(st.currency) AS currency, st.price_amount, st.premium_price_amount, ${PAYMENT_REQUIRED} AS payment_required\n            INTO v_state FROM showtimes st WHERE st.id = v_show_id;`,
    1,
  ],
  [
    "IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;",
    "IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;\n        IF v_show.payment_required THEN v_answers[i] := json_build_object('error', 'payment_required'); CONTINUE; END IF;",
    2,
  ],
];

async function replaceInBookBatch(db: Kysely<unknown>, edits: [string, string, number][]): Promise<void> {
  const { rows } = await sql<{ def: string }>`
    SELECT pg_get_functiondef('booking_book_batch(integer[], integer[], integer[], integer[], text[], integer)'::regprocedure) AS def`.execute(db);
  let def = rows[0]?.def ?? '';
  for (const [from, to, times] of edits) {
    const found = def.split(from).length - 1;
    if (found !== times) {
      throw new Error(`migration 0011: expected ${times} × ${JSON.stringify(from.slice(0, 60))} in booking_book_batch, found ${found}`);
    }
    def = def.split(from).join(to);
  }
  await sql.raw(def).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceInBookBatch(
    db,
    forward.map(([from, to, times]) => [to, from, times]),
  );
  await sql`DROP TABLE test_provider_payments`.execute(db);
  await sql`DROP TABLE idempotency_keys`.execute(db);
  await sql`DROP TABLE payment_events`.execute(db);
  await sql`ALTER TABLE bookings DROP COLUMN ticket_type_id, DROP COLUMN order_id`.execute(db);
  await sql`DROP TABLE order_lines`.execute(db);
  await sql`DROP TABLE orders`.execute(db);
  await sql`ALTER TABLE venues DROP COLUMN payment_required`.execute(db);
}
