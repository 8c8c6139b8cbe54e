import { sql, type Transaction } from 'kysely';
import type { DB, SeatKind } from '../db/schema.ts';
import { conflict } from '../shared/errors.ts';
import { bookingErrors } from './booking.errors.ts';
import { ascendingUnique, holdIsLive, lockSeats } from './booking.service.ts';
import { releasedEvent, seatEventOf, type SeatEvent, type SeatChangeTuple } from './seat-events.ts';

/**
 * The seats of a checkout (src/orders): claiming the held seats for an order,
 * booking them when it is paid, giving them back when it ends unpaid. Every
 * function runs in the caller's transaction and takes the design's locks in
 * the order of README.md, "Locking rules": the (show, user) advisory lock, the
 * ShowSeat rows `FOR UPDATE` in ascending seat id, then the show read after
 * them. The orders domain locks its order row before calling any of these
 * (order → seats, never the other way round).
 *
 * These are ordinary transactions: the announce trigger sends their seat
 * events on commit. Each also returns them, for this process's layout cache.
 */

export type OrderSeat = { seat_id: number; row: string; number: number; kind: SeatKind };
export type ClaimedSeats = { seats: OrderSeat[]; lockedUntil: Date; events: SeatEvent[] };

/** A pending order, not yet past its payment window, that has one of these seats (other than `exceptOrderId`). */
async function liveOrderOwning(trx: Transaction<DB>, showId: number, seatIds: readonly number[], exceptOrderId: number | null) {
  const { rows } = await sql<{ id: number; reference: string; seat_id: number }>`
    SELECT o.id, o.reference, ol.seat_id
      FROM order_lines ol JOIN orders o ON o.id = ol.order_id
     WHERE ol.showtime_id = ${showId} AND ol.seat_id = ANY (${[...seatIds]}::int[])
       AND o.status = 'pending_payment' AND o.expires_at > now()
       ${exceptOrderId === null ? sql`` : sql`AND o.id <> ${exceptOrderId}`}`.execute(trx);
  return rows;
}

/**
 * Claims seats the caller holds for a new order: each must be held live by
 * them and in no other live order of theirs (only one order can own a held
 * seat). Their hold is extended, once, to the payment window, never past the
 * showtime's start: the only way a hold is ever extended, since a seat in a
 * live order cannot be claimed again and a re-hold never extends.
 */
export async function claimHeldSeats(
  trx: Transaction<DB>,
  request: { showId: number; userId: number; seatIds: readonly number[]; windowSeconds: number },
): Promise<ClaimedSeats> {
  const { seats, show } = await lockSeats(trx, request);
  if (show.status === 'cancelled') {
    throw conflict(bookingErrors.showCancelled, undefined, 'cancelled');
  }
  if (show.started) {
    throw conflict(bookingErrors.salesClosed, undefined, 'sales_closed');
  }
  const notHeld = seats.filter((s) => !holdIsLive(s) || s.locked_by_id !== request.userId).map((s) => s.seat_id);
  if (notHeld.length > 0) {
    throw conflict(bookingErrors.notHeldForOrder(notHeld), { seat_ids: notHeld }, 'not_held');
  }
  const owned = await liveOrderOwning(trx, request.showId, ascendingUnique(request.seatIds), null);
  if (owned[0] !== undefined) {
    throw conflict(bookingErrors.inAnotherOrder(owned[0].reference), { seat_ids: owned.map((o) => o.seat_id) }, 'in_checkout');
  }
  const { rows } = await sql<OrderSeat & { locked_until: Date; event: SeatChangeTuple }>`
    UPDATE show_seats ss
       SET locked_until = date_trunc('milliseconds', least(now() + make_interval(secs => ${request.windowSeconds}), st.starts_at)),
           version = ss.version + 1
      FROM showtimes st, seats s
     WHERE ss.id = ANY (${seats.map((s) => s.id)}::int[]) AND st.id = ss.showtime_id AND s.id = ss.seat_id
    RETURNING ss.seat_id, s."row", s.number, s.kind, ss.locked_until,
              json_build_array(ss.seat_id, 'held', to_char(ss.locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ss.version, ss.locked_by_id) AS event`.execute(trx);
  const sorted = rows.sort((a, b) => a.seat_id - b.seat_id);
  return {
    seats: sorted.map(({ seat_id, row, number, kind }) => ({ seat_id, row, number, kind })),
    lockedUntil: sorted[0]?.locked_until ?? new Date(),
    events: sorted.map((r) => seatEventOf(r.event)),
  };
}

export type OrderBookingLine = { seatId: number; ticketTypeId: number; amount: number };
export type OrderBookingOutcome =
  | { booked: true; events: SeatEvent[] }
  /** Nothing was written: the show was cancelled, or these seats went to someone else. */
  | { booked: false; reason: 'cancelled' | 'taken'; seatIds: number[] };

/**
 * Books a paid order's seats, all or none: in one transaction the ShowSeat
 * rows are locked `FOR UPDATE` in ascending seat id, then each must be free:
 * booked by nobody (or already by this order: a repeated confirmation books
 * nothing twice), and not held live by someone else nor in another live
 * order. A hold that expired counts as free, so a payment that succeeded late
 * still gets its seats when nobody took them. The Booking rows carry the
 * price paid for each line, the order and the ticket type.
 */
export async function bookOrderSeats(
  trx: Transaction<DB>,
  order: { id: number; showId: number; userId: number; reference: string; currency: string; lines: readonly OrderBookingLine[] },
): Promise<OrderBookingOutcome> {
  const seatIds = ascendingUnique(order.lines.map((l) => l.seatId));
  const { seats, show } = await lockSeats(trx, { showId: order.showId, userId: order.userId, seatIds });
  const booked = await trx.selectFrom('bookings').select(['seat_id', 'order_id']).where('showtime_id', '=', order.showId).where('seat_id', 'in', seatIds).execute();
  if (booked.length === seatIds.length && booked.every((b) => b.order_id === order.id)) {
    return { booked: true, events: [] };
  }
  if (show.status === 'cancelled') {
    return { booked: false, reason: 'cancelled', seatIds };
  }
  const inOtherOrders = new Set((await liveOrderOwning(trx, order.showId, seatIds, order.id)).map((o) => o.seat_id));
  const taken = seats
    .filter((s) => s.status === 'booked' || (holdIsLive(s) && (s.locked_by_id !== order.userId || inOtherOrders.has(s.seat_id))))
    .map((s) => s.seat_id);
  if (taken.length > 0) {
    return { booked: false, reason: 'taken', seatIds: taken };
  }
  const { rows } = await sql<{ event: SeatChangeTuple }>`
    WITH lines AS (
      SELECT * FROM unnest(${order.lines.map((l) => l.seatId)}::int[], ${order.lines.map((l) => l.ticketTypeId)}::int[], ${order.lines.map((l) => l.amount)}::int[])
             AS l(seat_id, ticket_type_id, amount)
    ), booking AS (
      INSERT INTO bookings (showtime_id, seat_id, user_id, price_amount, currency, reference, order_id, ticket_type_id)
      SELECT ${order.showId}, l.seat_id, ${order.userId}, l.amount, ${order.currency}, ${order.reference}, ${order.id}, l.ticket_type_id FROM lines l
      RETURNING seat_id
    )
    UPDATE show_seats ss
       SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now(), version = ss.version + 1
      FROM booking
     WHERE ss.showtime_id = ${order.showId} AND ss.seat_id = booking.seat_id
    RETURNING json_build_array(ss.seat_id, 'booked', NULL, ss.version, NULL) AS event`.execute(trx);
  return { booked: true, events: rows.map((r) => seatEventOf(r.event)) };
}

/**
 * Gives back the seats of an order that ended unpaid (cancelled, expired):
 * those still held by its user, live or expired, and in no other live order
 * of theirs. A seat someone else holds or booked meanwhile is left alone.
 */
export async function releaseOrderSeats(
  trx: Transaction<DB>,
  order: { id: number; showId: number; userId: number; seatIds: readonly number[] },
): Promise<SeatEvent[]> {
  const seatIds = ascendingUnique(order.seatIds);
  const { seats } = await lockSeats(trx, { showId: order.showId, userId: order.userId, seatIds });
  const inOtherOrders = new Set((await liveOrderOwning(trx, order.showId, seatIds, order.id)).map((o) => o.seat_id));
  const mine = seats.filter((s) => s.status === 'held' && s.locked_by_id === order.userId && !inOtherOrders.has(s.seat_id)).map((s) => s.id);
  if (mine.length === 0) {
    return [];
  }
  const released = await trx
    .updateTable('show_seats')
    .set({ status: 'available', locked_by_id: null, locked_until: null })
    .where('id', 'in', mine)
    .returning(['seat_id', 'version'])
    .execute();
  return released.map(releasedEvent);
}
