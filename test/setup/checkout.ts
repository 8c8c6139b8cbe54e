import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import type { TestUser } from './factories.ts';
import { msUntil } from './poll.ts';

/** Holds seats through the API (200 asserted). */
export async function holdSeats(app: TestApp, user: TestUser, showId: number, seatIds: readonly number[]): Promise<void> {
  const reply = await app.http.post('/api/hold-seats/', { show_id: showId, seat_ids: seatIds }, { token: user.token });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
}

export type OrderBody = { show_id: number; tickets: { seat_id: number; ticket_type: string }[]; voucher?: string; payment_method?: string };

/** POST /api/orders with a fresh Idempotency-Key unless one is given. */
export function startOrder(app: TestApp, user: TestUser, body: OrderBody, key: string = randomUUID()) {
  return app.http.post('/api/orders', body, { token: user.token, headers: { 'idempotency-key': key } });
}

/** Holds the seats and starts a card checkout for them, as Adult tickets unless told (201 asserted). */
export async function checkout(app: TestApp, user: TestUser, showId: number, seatIds: readonly number[], extra: Partial<OrderBody> = {}) {
  await holdSeats(app, user, showId, seatIds);
  const reply = await startOrder(app, user, { show_id: showId, tickets: seatIds.map((seat_id) => ({ seat_id, ticket_type: 'ADULT' })), ...extra });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

/** Pays an order with one of the test provider's cards, as the browser does. */
export function payWithCard(app: TestApp, order: { payment: { id: string | null; client_secret: string | null } }, card: string) {
  return app.http.post(`/api/test-provider/payments/${order.payment.id}/confirm`, { client_secret: order.payment.client_secret, card_number: card });
}

export const cards = {
  succeeds: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  authentication: '4000 0025 0000 3155',
  late: '4000 0000 0000 0259',
  twice: '4000 0000 0000 0077',
  outOfOrder: '4000 0000 0000 0085',
} as const;

/** Waits until the order's status is `status` (webhooks arrive asynchronously). */
export async function orderReaches(app: TestApp, user: TestUser, orderId: number, status: string) {
  let last: any;
  await msUntil(async () => {
    last = (await app.http.get(`/api/orders/${orderId}`, { token: user.token })).body;
    return last?.status;
  }, status, 15_000);
  return last;
}
