import { api, call } from '../api/client.ts';
import type { Body, Money, Reply, SeatKind } from '../api/types.ts';

/*
 * The checkout's endpoints (docs/checkout.md). The order endpoints are not in
 * the server's OpenAPI document yet (they are being built on main): until
 * they are, their shapes are written here from the contract, and this is the
 * one file to switch to the generated types when they land.
 */

export type PriceTable = Reply<'/api/showtimes/{id}/prices', 'get'>;
export type QuoteBody = Body<'/api/quote', 'post'>;
export type Quote = Reply<'/api/quote', 'post'>;

export type PaymentStatus = 'requires_payment' | 'requires_action' | 'processing' | 'succeeded' | 'canceled' | 'refunded';
export type OrderStatus = 'pending_payment' | 'paid' | 'cancelled' | 'expired' | 'refunded';

export type Order = {
  id: number;
  reference: string;
  status: OrderStatus;
  show: {
    id: number;
    starts_at: string;
    movie: { id: number; title: string };
    hall: { id: number; name: string };
    venue: { id: number; name: string; city: string };
  };
  lines: {
    seat: { id: number; row: string; number: number; kind: SeatKind };
    ticket_type: { code: string; name: string };
    price: Money;
    discount: Money;
    fee: Money;
    tax: Money;
    total: Money;
    booking_id: number | null;
  }[];
  subtotal: Money;
  discount: Money;
  fee: Money;
  tax: Money;
  total: Money;
  tax_mode: 'inclusive' | 'exclusive';
  tax_rate_basis_points: number;
  voucher: { code: string; description: string } | null;
  expires_at: string;
  created_at: string;
  paid_at: string | null;
  payment: {
    method: 'card' | 'box_office' | 'free';
    provider: 'test' | 'stripe' | null;
    status: PaymentStatus | null;
    id: string | null;
    client_secret: string | null;
    last_error: string | null;
  };
};

export type CheckoutConfig = {
  provider: 'test' | 'stripe';
  publishable_key: string | null;
  payment_window_seconds: number;
  test_cards: { number: string; outcome: string; description: string }[];
};

export type OrderBody = { show_id: number; tickets: { seat_id: number; ticket_type: string }[]; voucher?: string };

/** The test provider's answer to a card or to the authentication step. */
export type TestPaymentReply = { status: string; message: string };

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** A JSON request to an endpoint the generated types do not know yet; answers as `call` does. */
async function send<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return response.ok ? { data: parsed as T, response } : { error: parsed, response };
}

export const loadPrices = (showId: number) => call(api.GET('/api/showtimes/{id}/prices', { params: { path: { id: showId } } }));

export const quote = (body: QuoteBody) => call(api.POST('/api/quote', { body }));

export const loadCheckoutConfig = () => call(send<CheckoutConfig>('GET', '/api/checkout/config'));

/** Starts the checkout; the same key with the same body is the same order (a retry after a lost answer). */
export const createOrder = (body: OrderBody, idempotencyKey: string) =>
  call(send<Order>('POST', '/api/orders', body, { 'idempotency-key': idempotencyKey }));

export const loadOrder = (orderId: number) => call(send<Order>('GET', `/api/orders/${orderId}`));

export const cancelOrder = (orderId: number, idempotencyKey: string) =>
  call(send<Order>('POST', `/api/orders/${orderId}/cancel`, undefined, { 'idempotency-key': idempotencyKey }));

export const checkPayment = (orderId: number, idempotencyKey: string) =>
  call(send<Order>('POST', `/api/orders/${orderId}/check-payment`, undefined, { 'idempotency-key': idempotencyKey }));

export const confirmTestPayment = (paymentId: string, clientSecret: string, cardNumber: string, idempotencyKey: string) =>
  call(
    send<TestPaymentReply>(
      'POST',
      `/api/test-provider/payments/${encodeURIComponent(paymentId)}/confirm`,
      { client_secret: clientSecret, card_number: cardNumber },
      { 'idempotency-key': idempotencyKey },
    ),
  );

export const authenticateTestPayment = (paymentId: string, clientSecret: string, approve: boolean, idempotencyKey: string) =>
  call(
    send<TestPaymentReply>(
      'POST',
      `/api/test-provider/payments/${encodeURIComponent(paymentId)}/authenticate`,
      { client_secret: clientSecret, approve },
      { 'idempotency-key': idempotencyKey },
    ),
  );
