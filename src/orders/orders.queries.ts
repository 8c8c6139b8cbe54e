import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Insertable, Selectable } from 'kysely';
import type { DB, OrderLinesTable, OrdersTable, OrderStatus } from '../db/schema.ts';

/** All SQL of the orders domain; seat rows are booking's (src/booking/order-seats.ts). */

/** An order as this domain reads it (every column but closed_at), the currency trimmed. */
export type OrderRow = Omit<Selectable<OrdersTable>, 'closed_at'>;

const orderColumns = [
  'id', 'reference', 'user_id', 'showtime_id', 'status', 'currency', 'subtotal_amount', 'discount_amount', 'fee_amount', 'tax_amount',
  'total_amount', 'tax_mode', 'tax_basis_points', 'voucher_id', 'payment_method', 'payment_provider', 'payment_id', 'payment_client_secret',
  'payment_status', 'payment_error', 'refund_due', 'refund_id', 'expires_at', 'created_at', 'paid_at',
] as const;

const trimmed = (row: OrderRow): OrderRow => ({ ...row, currency: row.currency.trim() });

/** The order row `FOR UPDATE`: taken before any seat lock (order → seats). */
export async function lockOrder(trx: Transaction<DB>, id: number): Promise<OrderRow | undefined> {
  const row = await trx.selectFrom('orders').select(orderColumns).where('id', '=', id).forUpdate().executeTakeFirst();
  return row === undefined ? undefined : trimmed(row);
}

export async function findOrder(db: Database, id: number): Promise<OrderRow | undefined> {
  const row = await db.selectFrom('orders').select(orderColumns).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : trimmed(row);
}

/** Orders by id, in the order of `ids`. */
export async function findOrders(db: Database, ids: readonly number[]): Promise<OrderRow[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = new Map((await db.selectFrom('orders').select(orderColumns).where('id', 'in', [...ids]).execute()).map((row) => [row.id, trimmed(row)]));
  return ids.flatMap((id) => rows.get(id) ?? []);
}

export async function findOrderByPayment(db: Database, provider: string, paymentId: string): Promise<OrderRow | undefined> {
  const row = await db
    .selectFrom('orders')
    .select(orderColumns)
    .where('payment_provider', '=', provider as 'test' | 'stripe')
    .where('payment_id', '=', paymentId)
    .executeTakeFirst();
  return row === undefined ? undefined : trimmed(row);
}

export type NewOrder = Omit<OrderRow, 'id' | 'created_at' | 'paid_at' | 'refund_due' | 'refund_id' | 'payment_id' | 'payment_client_secret' | 'payment_status' | 'payment_error'>;

export async function insertOrder(trx: Transaction<DB>, order: NewOrder): Promise<OrderRow> {
  const row = await trx.insertInto('orders').values(order).returning(orderColumns).executeTakeFirstOrThrow();
  return trimmed(row);
}

export type NewOrderLine = Insertable<OrderLinesTable>;

export async function insertOrderLines(trx: Transaction<DB>, lines: readonly NewOrderLine[]): Promise<void> {
  await trx.insertInto('order_lines').values([...lines]).execute();
}

/** One order's lines, by seat, each with its booking once paid. */
export function selectOrderLines(db: Database, orderId: number) {
  return selectLinesOfOrders(db, [orderId]);
}

/** The lines of several orders (a page of them), by order and seat. */
export function selectLinesOfOrders(db: Database, orderIds: readonly number[]) {
  return db
    .selectFrom('order_lines as ol')
    .innerJoin('ticket_types as tt', 'tt.id', 'ol.ticket_type_id')
    .leftJoin('bookings as b', (join) => join.onRef('b.showtime_id', '=', 'ol.showtime_id').onRef('b.seat_id', '=', 'ol.seat_id').onRef('b.order_id', '=', 'ol.order_id'))
    .select([
      'ol.order_id', 'ol.seat_id', 'ol.seat_row', 'ol.seat_number', 'ol.seat_kind', 'ol.ticket_type_id', 'tt.code', 'tt.name',
      'ol.price_amount', 'ol.discount_amount', 'ol.fee_amount', 'ol.tax_amount', 'ol.total_amount', 'b.id as booking_id',
    ])
    .where('ol.order_id', 'in', orderIds.length === 0 ? [0] : [...orderIds])
    .orderBy('ol.order_id')
    .orderBy('ol.seat_id')
    .execute();
}

export function findOrderShows(db: Database, showIds: readonly number[]) {
  return db
    .selectFrom('showtimes as st')
    .innerJoin('movies as m', 'm.id', 'st.movie_id')
    .innerJoin('halls as h', 'h.id', 'st.hall_id')
    .innerJoin('venues as v', 'v.id', 'h.venue_id')
    .select(['st.id', 'st.starts_at', 'm.id as movie_id', 'm.title', 'h.id as hall_id', 'h.name as hall_name', 'v.id as venue_id', 'v.name as venue_name', 'v.city'])
    .where('st.id', 'in', showIds.length === 0 ? [0] : [...showIds])
    .execute();
}

export function findVoucherViews(db: Database, ids: readonly number[]) {
  return db.selectFrom('vouchers').select(['id', 'code', 'description']).where('id', 'in', ids.length === 0 ? [0] : [...ids]).execute();
}

export function ticketTypeIds(db: Database, codes: readonly string[]) {
  return db.selectFrom('ticket_types').select(['id', 'code', 'staff_only']).where('code', 'in', [...codes]).execute();
}

/**
 * Counts one use of a voucher, only while it has uses left: a conditional
 * update, so concurrent checkouts never redeem it past max_uses (each waits
 * for the row and re-checks).
 */
export async function takeVoucherUse(trx: Transaction<DB>, voucher: { code: string } | { id: number }): Promise<number | undefined> {
  const row = await trx
    .updateTable('vouchers')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where((eb) => ('id' in voucher ? eb('id', '=', voucher.id) : eb('code', '=', voucher.code)))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/** Gives back the use an order took, when it ends unpaid or refunded. */
export async function returnVoucherUse(trx: Transaction<DB>, voucherId: number): Promise<void> {
  await trx
    .updateTable('vouchers')
    .set((eb) => ({ uses: eb('uses', '-', 1) }))
    .where('id', '=', voucherId)
    .where('uses', '>', 0)
    .execute();
}

export async function updateOrder(
  trx: Transaction<DB> | Database,
  id: number,
  fields: Partial<Pick<OrderRow, 'status' | 'payment_id' | 'payment_client_secret' | 'payment_status' | 'payment_error' | 'refund_due' | 'refund_id'>> & {
    paid?: true;
    closed?: true;
  },
): Promise<void> {
  const { paid, closed, ...rest } = fields;
  await trx
    .updateTable('orders')
    .set({
      ...rest,
      ...(paid === true ? { paid_at: sql<Date>`now()` } : {}),
      ...(closed === true ? { closed_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Records a webhook event; false when it was seen before (its effects are already committed). */
export async function recordPaymentEvent(trx: Transaction<DB>, event: { provider: string; id: string; type: string; paymentId: string | null }): Promise<boolean> {
  const row = await trx
    .insertInto('payment_events')
    .values({ provider: event.provider, event_id: event.id, type: event.type, payment_id: event.paymentId })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Orders still awaiting payment whose window has passed: the sweep's work. */
export async function selectLapsedOrders(db: Database, limit: number): Promise<OrderRow[]> {
  const rows = await db
    .selectFrom('orders')
    .select(orderColumns)
    .where('status', '=', 'pending_payment')
    .where('expires_at', '<=', sql<Date>`now()`)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map(trimmed);
}

export function selectRefundsDue(db: Database, limit: number) {
  return db.selectFrom('orders').select('id').where('refund_due', '=', true).orderBy('id').limit(limit).execute();
}

export type OrderFilter = { userId?: number; reference?: string; showId?: number; status?: OrderStatus; beforeId?: number; limit: number };

/** Order ids, newest first, matching the filter; a reference matches the order's or any of its bookings'. */
export async function selectOrderIds(db: Database, filter: OrderFilter): Promise<number[]> {
  let query = db.selectFrom('orders as o').select('o.id').orderBy('o.id', 'desc').limit(filter.limit);
  if (filter.userId !== undefined) {
    query = query.where('o.user_id', '=', filter.userId);
  }
  if (filter.reference !== undefined) {
    const reference = filter.reference;
    query = query.where((eb) =>
      eb.or([eb('o.reference', '=', reference), eb.exists(eb.selectFrom('bookings as b').select('b.id').whereRef('b.order_id', '=', 'o.id').where('b.reference', '=', reference))]),
    );
  }
  if (filter.showId !== undefined) {
    query = query.where('o.showtime_id', '=', filter.showId);
  }
  if (filter.status !== undefined) {
    query = query.where('o.status', '=', filter.status);
  }
  if (filter.beforeId !== undefined) {
    query = query.where('o.id', '<', filter.beforeId);
  }
  return (await query.execute()).map((r) => r.id);
}
