import type { Money, SeatKind } from '../api/types.ts';
import type { PriceTable } from './ordersApi.ts';

export type TicketOption = { code: string; name: string; price: Money };

/** The ticket types one may choose for a seat of this kind, with their prices, cheapest last as the price table lists them. */
export function ticketOptions(table: PriceTable, kind: SeatKind): TicketOption[] {
  return table.prices.filter((p) => p.seat_kind === kind).map((p) => ({ code: p.ticket_type.code, name: p.ticket_type.name, price: p.price }));
}

/** Adult when it is on offer, else the first type listed. */
export function defaultTicketType(options: readonly TicketOption[]): string | undefined {
  return (options.find((o) => o.code === 'ADULT') ?? options[0])?.code;
}

/**
 * The Idempotency-Key for paying this selection: the key of the attempt
 * before when nothing changed (a retry after a lost answer must not start a
 * second order), a new one for a new selection (the same key with another
 * body is refused).
 */
export function attemptKey(previous: { key: string; body: string } | null, body: string, newKey: () => string): { key: string; body: string } {
  return previous !== null && previous.body === body ? previous : { key: newKey(), body };
}
