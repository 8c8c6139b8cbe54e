import { ApiError, api, call } from '../api/client.ts';
import type { Order, OrderStatus } from '../checkout/ordersApi.ts';

/** The staff's order desk (docs/checkout.md): find orders, read one, settle a box-office sale. */


export const orderStatuses: readonly OrderStatus[] = ['pending_payment', 'paid', 'cancelled', 'expired', 'refunded'];

export const statusLabel: Record<OrderStatus, string> = {
  pending_payment: 'Awaiting payment',
  paid: 'Paid',
  cancelled: 'Cancelled',
  expired: 'Expired',
  refunded: 'Refunded',
};

export const methodLabel: Record<Order['payment']['method'], string> = { card: 'Card', box_office: 'Box office', free: 'Free' };

/** The search as the URL has it (/staff/orders?reference=…&status=…&show=…), so a reload or a shared link shows the same list. */
export type OrderFilter = { reference: string; status: OrderStatus | null; showId: number | null };

export function parseOrderFilter(search: string): OrderFilter {
  const query = new URLSearchParams(search);
  const status = query.get('status');
  const show = query.get('show');
  return {
    reference: (query.get('reference') ?? '').trim(),
    status: orderStatuses.find((s) => s === status) ?? null,
    showId: show !== null && /^[1-9]\d{0,9}$/.test(show) ? Number(show) : null,
  };
}

export function orderFilterPath(filter: OrderFilter): string {
  const query = new URLSearchParams();
  if (filter.reference.trim() !== '') {
    query.set('reference', filter.reference.trim());
  }
  if (filter.status !== null) {
    query.set('status', filter.status);
  }
  if (filter.showId !== null) {
    query.set('show', String(filter.showId));
  }
  const text = query.toString();
  return text === '' ? '/staff/orders' : `/staff/orders?${text}`;
}

/** One page of orders, newest first; the API ignores case and spaces in the reference. */
export const findOrders = (filter: OrderFilter, cursor: string | null) =>
  call(
    api.GET('/api/admin/orders', {
      params: {
        query: {
          limit: 20,
          ...(filter.reference === '' ? {} : { reference: filter.reference }),
          ...(filter.status === null ? {} : { status: filter.status }),
          ...(filter.showId === null ? {} : { show_id: filter.showId }),
          ...(cursor === null ? {} : { cursor }),
        },
      },
    }),
  );

/** A box-office sale paid at the till; the same key replays the first answer, so a retry cannot book twice. */
export const markPaid = (orderId: number, idempotencyKey: string) =>
  call(api.POST('/api/admin/orders/{id}/mark-paid', { params: { path: { id: orderId }, header: { 'idempotency-key': idempotencyKey } } }));

/**
 * Whether the next press of "Mark paid" must reuse this attempt's key: yes
 * when its answer never came (no connection) or the server failed on its side
 * (it keeps nothing then), so the retry is the same press; no after a
 * definite answer, which the server keeps for the key and would only replay.
 */
export const keepKeyAfter = (error: unknown): boolean => !(error instanceof ApiError) || error.status === 0 || error.status >= 500;

/** Staff may settle only what the till takes: a box-office order still awaiting payment. */
export const settlesAtTill = (order: Order): boolean => order.payment.method === 'box_office' && order.status === 'pending_payment';

/** An order's seats in a row of a table: "Row A: 1, 2; Row C: 7", rows and seats in the order the lines give them. */
export function seatsSummary(lines: readonly { seat: { row: string; number: number } }[]): string {
  const rows = new Map<string, number[]>();
  for (const { seat } of lines) {
    const seats = rows.get(seat.row) ?? [];
    seats.push(seat.number);
    rows.set(seat.row, seats);
  }
  return [...rows].map(([row, numbers]) => `Row ${row}: ${numbers.join(', ')}`).join('; ');
}
