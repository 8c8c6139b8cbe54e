import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * `boxoffice check`: the invariants no interleaving may break, verified in
 * SQL against the data as it is. Each names what it counts; a count above
 * zero is a violation. Every fault test ends by running it.
 */
const invariants = [
  {
    name: 'booked seats without exactly one booking',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM show_seats ss
       WHERE ss.status = 'booked'
         AND (SELECT count(*) FROM bookings b WHERE b.showtime_id = ss.showtime_id AND b.seat_id = ss.seat_id) <> 1`,
  },
  {
    name: 'bookings whose seat is not booked',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM bookings b
        LEFT JOIN show_seats ss ON ss.showtime_id = b.showtime_id AND ss.seat_id = b.seat_id
       WHERE ss.status IS DISTINCT FROM 'booked'`,
  },
  {
    name: 'held seats without a holder or an expiry',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM show_seats WHERE status = 'held' AND (locked_by_id IS NULL OR locked_until IS NULL)`,
  },
  {
    name: 'seats sold twice (bookings per showtime and seat above one)',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM (SELECT 1 FROM bookings GROUP BY showtime_id, seat_id HAVING count(*) > 1) AS twice`,
  },
  {
    name: 'paid orders not booked in full at what they charged',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM orders o
       WHERE o.status = 'paid'
         AND ((SELECT count(*) FROM bookings b WHERE b.order_id = o.id) <> (SELECT count(*) FROM order_lines ol WHERE ol.order_id = o.id)
              OR (SELECT coalesce(sum(b.price_amount), 0) FROM bookings b WHERE b.order_id = o.id) <> o.total_amount)`,
  },
  {
    name: 'bookings of an order that is not paid',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM bookings b JOIN orders o ON o.id = b.order_id WHERE o.status <> 'paid'`,
  },
  {
    name: 'order totals that are not the sum of their lines',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM orders o
       WHERE o.total_amount <> (SELECT coalesce(sum(ol.total_amount), 0) FROM order_lines ol WHERE ol.order_id = o.id)`,
  },
  {
    name: 'vouchers used more often than their orders hold them',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM vouchers v
       WHERE v.uses <> (SELECT count(*) FROM orders o WHERE o.voucher_id = v.id AND o.status IN ('pending_payment', 'paid'))`,
  },
  {
    name: 'scheduled showtimes overlapping in one hall',
    query: sql<{ count: number }>`
      SELECT count(*) AS count FROM showtimes a JOIN showtimes b
        ON a.hall_id = b.hall_id AND a.id < b.id AND a.status = 'scheduled' AND b.status = 'scheduled'
       AND tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until)`,
  },
] as const;

export type InvariantReport = { name: string; violations: number }[];

export async function checkInvariants(db: Database): Promise<InvariantReport> {
  const report: InvariantReport = [];
  for (const invariant of invariants) {
    const { rows } = await invariant.query.execute(db);
    report.push({ name: invariant.name, violations: Number(rows[0]?.count ?? 0) });
  }
  return report;
}
