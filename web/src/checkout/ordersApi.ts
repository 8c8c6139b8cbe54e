import { api, call } from '../api/client.ts';
import type { Body, Reply } from '../api/types.ts';

/** The checkout's endpoints (docs/checkout.md), typed from the server's OpenAPI document. */

export type PriceTable = Reply<'/api/showtimes/{id}/prices', 'get'>;
export type QuoteBody = Body<'/api/quote', 'post'>;
export type Quote = Reply<'/api/quote', 'post'>;
export type Order = Reply<'/api/orders/{id}', 'get'>;
export type OrderStatus = Order['status'];
export type OrderBody = Body<'/api/orders', 'post'>;
export type CheckoutConfig = Reply<'/api/checkout/config', 'get'>;
/** The test provider's answer to a card or to the authentication step. */
export type TestPaymentReply = Reply<'/api/test-provider/payments/{payment_id}/confirm', 'post'>;

const byId = (id: number) => ({ params: { path: { id } } });

export const loadPrices = (showId: number) => call(api.GET('/api/showtimes/{id}/prices', byId(showId)));

export const quote = (body: QuoteBody) => call(api.POST('/api/quote', { body }));

export const loadCheckoutConfig = () => call(api.GET('/api/checkout/config'));

/** Starts the checkout; the same key with the same body is the same order (a retry after a lost answer). */
export const createOrder = (body: OrderBody, idempotencyKey: string) =>
  call(api.POST('/api/orders', { body, params: { header: { 'idempotency-key': idempotencyKey } } }));

export const loadOrder = (orderId: number) => call(api.GET('/api/orders/{id}', byId(orderId)));

/** Gives the seats back and cancels the payment (main takes no Idempotency-Key here: cancelling twice is cancelled). */
export const cancelOrder = (orderId: number) => call(api.POST('/api/orders/{id}/cancel', byId(orderId)));

/** Asks the server to ask the provider now (what a webhook would trigger). */
export const checkPayment = (orderId: number) => call(api.POST('/api/orders/{id}/check-payment', byId(orderId)));

export const confirmTestPayment = (paymentId: string, clientSecret: string, cardNumber: string) =>
  call(
    api.POST('/api/test-provider/payments/{payment_id}/confirm', {
      params: { path: { payment_id: paymentId } },
      body: { client_secret: clientSecret, card_number: cardNumber },
    }),
  );

export const authenticateTestPayment = (paymentId: string, clientSecret: string, approve: boolean) =>
  call(
    api.POST('/api/test-provider/payments/{payment_id}/authenticate', {
      params: { path: { payment_id: paymentId } },
      body: { client_secret: clientSecret, approve },
    }),
  );
