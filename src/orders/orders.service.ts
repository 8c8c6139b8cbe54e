import type { Logger } from 'pino';
import { bookOrderSeats, claimHeldSeats, newBookingReference, releaseOrderSeats, type SeatEvent } from '../booking/index.ts';
import type { Database } from '../db/database.ts';
import { quote } from '../pricing/index.ts';
import { decodeCursor, isIdKey, toPage } from '../shared/cursor.ts';
import { AppError, badRequest, conflict, forbidden, notFound, RetryLaterError } from '../shared/errors.ts';
import { money } from '../shared/money.ts';
import { ordersErrors } from './orders.errors.ts';
import * as queries from './orders.queries.ts';
import type { OrderRow } from './orders.queries.ts';
import type { CreateOrderBody, Order } from './orders.schemas.ts';
import { WebhookSignatureError, type PaymentProvider, type ProviderPayment } from './payments/provider.ts';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checkout (README.md here): an order owns seats its buyer holds while the
 * payment runs, and books them when the provider says the money is there.
 * Every decision about an order is taken with its row locked `FOR UPDATE`,
 * before any seat lock; the provider is called outside every transaction.
 */
export type OrdersContext = {
  db: Database;
  provider: PaymentProvider;
  paymentWindowSeconds: number;
  log: Logger;
  /** Seat changes this process committed, for its layout cache (the trigger's NOTIFY tells everyone). */
  onSeatChanges: (showId: number, events: readonly SeatEvent[]) => void;
  /** Counted after commit (metrics). */
  onOutcome?: (outcome: 'paid' | 'late_paid' | 'refunded' | 'expired' | 'cancelled') => void;
};

export type Viewer = { id: number; is_staff: boolean };

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/** Orders as their owner or staff see them: three queries for any number of them (a page of a list). */
async function orderViews(db: Database, orders: readonly OrderRow[], viewer: Viewer): Promise<Order[]> {
  const [lines, shows, vouchers] = await Promise.all([
    queries.selectLinesOfOrders(db, orders.map((o) => o.id)),
    queries.findOrderShows(db, [...new Set(orders.map((o) => o.showtime_id))]),
    queries.findVoucherViews(db, orders.flatMap((o) => (o.voucher_id === null ? [] : [o.voucher_id]))),
  ]);
  const linesOf = Map.groupBy(lines, (line) => line.order_id);
  const showOf = new Map(shows.map((show) => [show.id, show]));
  const voucherOf = new Map(vouchers.map(({ id, code, description }) => [id, { code, description }]));
  return orders.map((order) => toView(order, linesOf.get(order.id) ?? [], showOf.get(order.showtime_id), order.voucher_id === null ? undefined : voucherOf.get(order.voucher_id), viewer));
}

type LineRow = Awaited<ReturnType<typeof queries.selectLinesOfOrders>>[number];
type ShowRow = Awaited<ReturnType<typeof queries.findOrderShows>>[number];

function toView(order: OrderRow, lines: readonly LineRow[], show: ShowRow | undefined, voucher: { code: string; description: string } | undefined, viewer: Viewer): Order {
  const m = (amount: number) => money(amount, order.currency);
  const pending = order.status === 'pending_payment';
  return {
    id: order.id,
    reference: order.reference,
    status: order.status,
    show: {
      id: order.showtime_id,
      starts_at: show?.starts_at.toISOString() ?? order.expires_at.toISOString(),
      movie: { id: show?.movie_id ?? 0, title: show?.title ?? '' },
      hall: { id: show?.hall_id ?? 0, name: show?.hall_name ?? '' },
      venue: { id: show?.venue_id ?? 0, name: show?.venue_name ?? '', city: show?.city ?? '' },
    },
    lines: lines.map((line) => ({
      seat: { id: line.seat_id, row: line.seat_row, number: line.seat_number, kind: line.seat_kind },
      ticket_type: { code: line.code, name: line.name },
      price: m(line.price_amount),
      discount: m(line.discount_amount),
      fee: m(line.fee_amount),
      tax: m(line.tax_amount),
      total: m(line.total_amount),
      booking_id: line.booking_id,
    })),
    subtotal: m(order.subtotal_amount),
    discount: m(order.discount_amount),
    fee: m(order.fee_amount),
    tax: m(order.tax_amount),
    total: m(order.total_amount),
    tax_mode: order.tax_mode,
    tax_rate_basis_points: order.tax_basis_points,
    voucher: voucher ?? null,
    expires_at: order.expires_at.toISOString(),
    created_at: order.created_at.toISOString(),
    paid_at: iso(order.paid_at),
    payment: {
      method: order.payment_method,
      provider: order.payment_provider,
      status: order.status === 'refunded' && !order.refund_due ? 'refunded' : order.payment_status,
      id: order.payment_id,
      client_secret: pending && viewer.id === order.user_id ? order.payment_client_secret : null,
      last_error: order.payment_error,
    },
  };
}

async function visibleOrder(db: Database, id: number, viewer: Viewer): Promise<OrderRow> {
  const order = await queries.findOrder(db, id);
  // Someone else's order is not found, rather than forbidden: ids are not secrets, but existence need not leak.
  if (order === undefined || (order.user_id !== viewer.id && !viewer.is_staff)) {
    throw notFound(ordersErrors.orderNotFound);
  }
  return order;
}

export async function getOrder(ctx: OrdersContext, id: number, viewer: Viewer): Promise<Order> {
  const [view] = await orderViews(ctx.db, [await visibleOrder(ctx.db, id, viewer)], viewer);
  return view!;
}

/**
 * Starts a checkout: in one transaction, claims the held seats (their hold
 * extended once to the payment window), prices the tickets as POST
 * /api/quote does, takes a use of the voucher, and writes the order and its
 * lines. A free order is booked in the same transaction. A card order then
 * gets its payment at the provider, outside the transaction; if the provider
 * cannot be reached, the order stays open and `check-payment` tries again.
 */
export async function createOrder(ctx: OrdersContext, viewer: Viewer, body: CreateOrderBody): Promise<Order> {
  const method = body.payment_method ?? 'card';
  if (method === 'box_office' && !viewer.is_staff) {
    throw forbidden(ordersErrors.boxOfficeStaffOnly);
  }
  const seatIds = body.tickets.map((t) => t.seat_id);
  const { order, events } = await ctx.db.transaction().execute(async (trx) => {
    const claimed = await claimHeldSeats(trx, { showId: body.show_id, userId: viewer.id, seatIds, windowSeconds: ctx.paymentWindowSeconds });
    const priced = await quote(trx, { show_id: body.show_id, tickets: body.tickets, ...(body.voucher === undefined ? {} : { voucher: body.voucher }) }, method === 'box_office' ? 'box_office' : 'online');
    const voucherId = priced.voucher === null ? null : await queries.takeVoucherUse(trx, { code: priced.voucher.code });
    if (priced.voucher !== null && voucherId === undefined) {
      throw conflict(ordersErrors.voucherUsedUp, undefined, 'voucher_used_up');
    }
    const types = new Map((await queries.ticketTypeIds(trx, priced.lines.map((l) => l.ticket_type))).map((t) => [t.code, t.id]));
    const seatOf = new Map(claimed.seats.map((s) => [s.seat_id, s]));
    const free = priced.total.amount === 0;
    const order = await queries.insertOrder(trx, {
      reference: newBookingReference(),
      user_id: viewer.id,
      showtime_id: body.show_id,
      status: 'pending_payment',
      currency: priced.currency,
      subtotal_amount: priced.subtotal.amount,
      discount_amount: priced.discount.amount,
      fee_amount: priced.fee.amount,
      tax_amount: priced.tax.amount,
      total_amount: priced.total.amount,
      tax_mode: priced.tax_mode,
      tax_basis_points: priced.tax_rate_basis_points,
      voucher_id: voucherId ?? null,
      payment_method: free ? 'free' : method,
      payment_provider: free || method === 'box_office' ? null : ctx.provider.name,
      expires_at: claimed.lockedUntil,
    });
    const lines = priced.lines.map((line) => {
      const seat = seatOf.get(line.seat_id)!;
      return {
        order_id: order.id,
        showtime_id: body.show_id,
        seat_id: line.seat_id,
        seat_row: seat.row,
        seat_number: seat.number,
        seat_kind: seat.kind,
        ticket_type_id: types.get(line.ticket_type)!,
        price_amount: line.price.amount,
        discount_amount: line.discount.amount,
        fee_amount: line.fee.amount,
        tax_amount: line.tax.amount,
        total_amount: line.total.amount,
      };
    });
    await queries.insertOrderLines(trx, lines);
    if (!free) {
      return { order, events: claimed.events };
    }
    // Nothing to pay (a 100 % voucher, complimentary tickets): booked at once, no provider.
    const outcome = await bookOrderSeats(trx, bookingOf(order, lines));
    if (!outcome.booked) {
      throw new Error('seats claimed under their locks could not be booked in the same transaction');
    }
    await queries.updateOrder(trx, order.id, { status: 'paid', paid: true, closed: true });
    return { order: { ...order, status: 'paid' as const }, events: outcome.events };
  });
  ctx.onSeatChanges(body.show_id, events);
  if (order.payment_method === 'card') {
    await startPayment(ctx, order);
  }
  return getOrder(ctx, order.id, viewer);
}

const bookingOf = (order: OrderRow, lines: readonly { seat_id: number; ticket_type_id: number; total_amount: number }[]) => ({
  id: order.id,
  showId: order.showtime_id,
  userId: order.user_id,
  reference: order.reference,
  currency: order.currency,
  lines: lines.map((l) => ({ seatId: l.seat_id, ticketTypeId: l.ticket_type_id, amount: l.total_amount })),
});

/** Creates the order's payment at the provider (idempotent per order), and keeps what the browser needs. */
async function startPayment(ctx: OrdersContext, order: OrderRow): Promise<void> {
  try {
    const payment = await ctx.provider.createPayment({
      orderId: order.id,
      reference: order.reference,
      amount: order.total_amount,
      currency: order.currency,
      idempotencyKey: `boxoffice-order-${order.id}-payment`,
      description: `Boxoffice order ${order.reference}`,
    });
    await queries.updateOrder(ctx.db, order.id, {
      payment_id: payment.id,
      payment_client_secret: payment.clientSecret,
      payment_status: payment.status,
      payment_error: payment.lastError,
    });
  } catch (error) {
    ctx.log.warn({ err: error, orderId: order.id }, 'creating the payment at the provider failed; the order stays open');
    await queries.updateOrder(ctx.db, order.id, { payment_error: ordersErrors.providerUnavailable });
  }
}

export type Settled = 'duplicate' | 'unchanged' | 'paid' | 'refunded';

/**
 * Acts on what the provider says of an order's payment, once per webhook
 * event (recorded in payment_events in this same transaction, so a replayed
 * event finds it and changes nothing). A success books the seats if they are
 * still free or still the order's, even after the window passed; otherwise
 * the order is marked refunded with the refund due, and the refund is sent
 * after the commit (and again by the sweep until the provider took it).
 */
export async function settlePayment(
  ctx: OrdersContext,
  orderId: number,
  payment: ProviderPayment,
  event?: { provider: string; id: string; type: string; paymentId: string | null },
): Promise<Settled> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    if (event !== undefined && !(await queries.recordPaymentEvent(trx, event))) {
      return { settled: 'duplicate' as const, events: [] as SeatEvent[], order: undefined };
    }
    const order = await queries.lockOrder(trx, orderId);
    if (order === undefined || order.payment_id !== payment.id || order.status === 'paid' || order.status === 'refunded') {
      return { settled: 'unchanged' as const, events: [], order };
    }
    if (payment.status !== 'succeeded') {
      await queries.updateOrder(trx, order.id, { payment_status: payment.status, payment_error: payment.lastError });
      return { settled: 'unchanged' as const, events: [], order };
    }
    const lines = await queries.selectOrderLines(trx, order.id);
    // An order that was closed unpaid gave its voucher use back: a late payment needs it again.
    const reopened = order.status !== 'pending_payment';
    const voucherBack = !reopened || order.voucher_id === null || (await queries.takeVoucherUse(trx, { id: order.voucher_id })) !== undefined;
    const outcome = voucherBack ? await bookOrderSeats(trx, bookingOf(order, lines)) : ({ booked: false, reason: 'voucher_used_up', seatIds: [] } as const);
    if (outcome.booked) {
      await queries.updateOrder(trx, order.id, { status: 'paid', payment_status: 'succeeded', payment_error: null, paid: true, closed: true });
      return { settled: 'paid' as const, events: outcome.events, order, late: reopened || order.expires_at.getTime() <= Date.now() };
    }
    // Paid, but the seats went to someone else (or the show was cancelled): the money goes back.
    const released = !reopened ? await releaseOrderSeats(trx, { id: order.id, showId: order.showtime_id, userId: order.user_id, seatIds: lines.map((l) => l.seat_id) }) : [];
    if (order.voucher_id !== null && !reopened) {
      await queries.returnVoucherUse(trx, order.voucher_id);
    }
    await queries.updateOrder(trx, order.id, { status: 'refunded', payment_status: 'succeeded', refund_due: true, closed: true });
    ctx.log.warn({ orderId: order.id, reference: order.reference, reason: outcome.reason, seats: outcome.seatIds }, 'a payment succeeded for seats that are gone; refunding it');
    return { settled: 'refunded' as const, events: released, order };
  });
  if (result.order !== undefined && result.events.length > 0) {
    ctx.onSeatChanges(result.order.showtime_id, result.events);
  }
  if (result.settled === 'paid') {
    ctx.onOutcome?.('late' in result && result.late === true ? 'late_paid' : 'paid');
  }
  if (result.settled === 'refunded') {
    await issueRefund(ctx, orderId);
  }
  return result.settled;
}

/** Sends a due refund (idempotent per order at the provider); left due for the sweep when the provider is away. */
async function issueRefund(ctx: OrdersContext, orderId: number): Promise<void> {
  const order = await queries.findOrder(ctx.db, orderId);
  if (order === undefined || !order.refund_due || order.payment_id === null) {
    return;
  }
  try {
    const refund = await ctx.provider.refundPayment(order.payment_id, `boxoffice-order-${order.id}-refund`);
    await queries.updateOrder(ctx.db, order.id, { refund_due: false, refund_id: refund.id, payment_status: 'refunded' });
    ctx.onOutcome?.('refunded');
    ctx.log.warn({ orderId: order.id, reference: order.reference, refundId: refund.id, amount: order.total_amount }, 'refunded a late payment');
  } catch (error) {
    ctx.log.error({ err: error, orderId: order.id }, 'refunding a late payment failed; the orders sweep will try again');
  }
}

/** Asks the provider about an order now (what a webhook triggers); creates its payment if that never happened. */
export async function checkPayment(ctx: OrdersContext, id: number, viewer: Viewer): Promise<Order> {
  const order = await visibleOrder(ctx.db, id, viewer);
  if (order.status === 'pending_payment' && order.payment_method === 'card') {
    if (order.payment_id === null) {
      await startPayment(ctx, order);
    } else {
      await settlePayment(ctx, order.id, await retrieve(ctx, order.payment_id));
    }
  }
  return getOrder(ctx, id, viewer);
}

/**
 * A call to the provider on behalf of a request: when the provider cannot be
 * reached, the request is a 503 that says so and when to come back (a
 * webhook answered so is delivered again), never a 500. Nothing of ours
 * changed: every provider call comes before our transaction.
 */
async function atProvider<T>(call: () => Promise<T>, log: OrdersContext['log']): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError) {
      throw error;
    }
    log.warn({ err: error }, 'the payment provider did not answer');
    throw new RetryLaterError(503, ordersErrors.providerUnavailable, 5);
  }
}

const retrieve = (ctx: OrdersContext, paymentId: string): Promise<ProviderPayment> => atProvider(() => ctx.provider.retrievePayment(paymentId), ctx.log);

/**
 * Ends an order unpaid: its payment is cancelled at the provider first (one
 * that succeeded meanwhile is settled instead), then, with the order locked,
 * its seats are given back and its voucher use returned.
 */
async function closeUnpaid(ctx: OrdersContext, before: OrderRow, status: 'cancelled' | 'expired'): Promise<'closed' | 'paid' | 'in_flight' | 'not_pending'> {
  const id = before.id;
  if (before.status !== 'pending_payment') {
    return 'not_pending';
  }
  if (before.payment_id !== null) {
    const paymentId = before.payment_id;
    const payment = await atProvider(() => ctx.provider.cancelPayment(paymentId, `boxoffice-order-${id}-cancel`), ctx.log);
    if (payment.status === 'succeeded') {
      await settlePayment(ctx, id, payment);
      return 'paid';
    }
    if (payment.status === 'processing') {
      return 'in_flight';
    }
  }
  const result = await ctx.db.transaction().execute(async (trx) => {
    const order = await queries.lockOrder(trx, id);
    if (order === undefined || order.status !== 'pending_payment') {
      return undefined;
    }
    const lines = await queries.selectOrderLines(trx, id);
    const events = await releaseOrderSeats(trx, { id, showId: order.showtime_id, userId: order.user_id, seatIds: lines.map((l) => l.seat_id) });
    if (order.voucher_id !== null) {
      await queries.returnVoucherUse(trx, order.voucher_id);
    }
    await queries.updateOrder(trx, id, { status, payment_status: order.payment_id === null ? null : 'canceled', closed: true });
    return { order, events };
  });
  if (result === undefined) {
    return 'not_pending';
  }
  ctx.onSeatChanges(result.order.showtime_id, result.events);
  ctx.onOutcome?.(status);
  return 'closed';
}

export async function cancelOrder(ctx: OrdersContext, id: number, viewer: Viewer): Promise<Order> {
  const order = await visibleOrder(ctx.db, id, viewer);
  if (order.status === 'cancelled') {
    return getOrder(ctx, id, viewer);
  }
  const outcome = await closeUnpaid(ctx, order, 'cancelled');
  if (outcome === 'paid') {
    throw conflict(ordersErrors.alreadyPaid, undefined, 'paid');
  }
  if (outcome === 'in_flight') {
    throw conflict(ordersErrors.paymentInFlight, undefined, 'in_flight');
  }
  const now = await queries.findOrder(ctx.db, id);
  if (outcome === 'not_pending' && now !== undefined && now.status !== 'cancelled') {
    throw conflict(now.status === 'paid' ? ordersErrors.alreadyPaid : ordersErrors.notPending(now.status), undefined, 'not_pending');
  }
  return getOrder(ctx, id, viewer);
}

/** A cashier took the money for a box-office order (cash, or a terminal outside Boxoffice): its seats are booked. */
export async function markPaidAtBoxOffice(ctx: OrdersContext, id: number, staff: Viewer): Promise<Order> {
  const order = await visibleOrder(ctx.db, id, staff);
  if (order.payment_method !== 'box_office') {
    throw conflict(ordersErrors.notBoxOffice, undefined, 'not_box_office');
  }
  const events = await ctx.db.transaction().execute(async (trx) => {
    const locked = await queries.lockOrder(trx, id);
    if (locked === undefined || locked.status !== 'pending_payment') {
      throw conflict(ordersErrors.notPending(locked?.status ?? 'gone'), undefined, 'not_pending');
    }
    const lines = await queries.selectOrderLines(trx, id);
    const outcome = await bookOrderSeats(trx, bookingOf(locked, lines));
    if (!outcome.booked) {
      throw conflict(ordersErrors.seatsGone(outcome.seatIds), { seat_ids: outcome.seatIds }, 'taken');
    }
    await queries.updateOrder(trx, id, { status: 'paid', paid: true, closed: true });
    return outcome.events;
  });
  ctx.onSeatChanges(order.showtime_id, events);
  ctx.onOutcome?.('paid');
  return getOrder(ctx, id, staff);
}

export async function listOrders(ctx: OrdersContext, viewer: Viewer, filter: Omit<queries.OrderFilter, 'limit' | 'beforeId'> & { limit?: number | undefined; cursor?: string | undefined }) {
  const limit = filter.limit ?? 20;
  const before = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, isIdKey)[0];
  const ids = await queries.selectOrderIds(ctx.db, {
    ...filter,
    ...(filter.reference === undefined ? {} : { reference: filter.reference.replace(/\s/g, '').toUpperCase() }),
    ...(before === undefined ? {} : { beforeId: before }),
    limit: limit + 1,
  });
  const page = toPage(ids, limit, (last) => [last]);
  return { items: await orderViews(ctx.db, await queries.findOrders(ctx.db, page.items), viewer), next_cursor: page.next_cursor };
}

/**
 * A webhook delivery: the signature is checked on the raw body, then the
 * payment is read again from the provider (the event is only a trigger: its
 * body is never trusted for the payment's state), then settled with the
 * event recorded in the same transaction. A failure answers 5xx, so the
 * provider delivers again; nothing of it was committed.
 */
export async function receiveWebhook(ctx: OrdersContext, providerName: string, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<Settled | 'ignored'> {
  if (providerName !== ctx.provider.name) {
    throw notFound(ordersErrors.unknownProvider(providerName));
  }
  let event;
  try {
    event = ctx.provider.verifyWebhook(rawBody, headers);
  } catch (error) {
    if (error instanceof WebhookSignatureError) {
      throw badRequest(ordersErrors.badSignature);
    }
    throw error;
  }
  const recorded = { provider: ctx.provider.name, ...event };
  if (event.paymentId === null) {
    return 'ignored';
  }
  const order = await queries.findOrderByPayment(ctx.db, ctx.provider.name, event.paymentId);
  if (order === undefined) {
    // Not one of ours (an account shared with another shop), or its showtime was deleted with its unpaid
    // orders: never refund what we cannot tell is ours; say so, for a person to look at.
    ctx.log.error({ paymentId: event.paymentId, type: event.type }, 'a webhook names a payment no order here has; refund it by hand if it is ours');
    return 'ignored';
  }
  return settlePayment(ctx, order.id, await retrieve(ctx, event.paymentId), recorded);
}

/**
 * The orders' sweep (every SWEEP_INTERVAL_SECONDS, from any number of
 * processes): orders whose payment window passed are asked about at the
 * provider before their seats go back, by cancelling their payment there
 * (closeUnpaid): a payment that succeeded meanwhile is settled, one still
 * processing is left for the next pass, anything else is cancelled and the
 * order expired. Refunds still due are sent again.
 */
export async function sweepOrders(ctx: OrdersContext, limit = 100): Promise<{ expired: number; settled: number; refunds: number }> {
  const counts = { expired: 0, settled: 0, refunds: 0 };
  for (const lapsed of await queries.selectLapsedOrders(ctx.db, limit)) {
    try {
      const outcome = await closeUnpaid(ctx, lapsed, 'expired');
      if (outcome === 'closed') {
        counts.expired++;
      } else if (outcome === 'paid') {
        counts.settled++;
      }
    } catch (error) {
      ctx.log.warn({ err: error, orderId: lapsed.id }, 'sweeping a lapsed order failed; will retry');
    }
  }
  for (const due of await queries.selectRefundsDue(ctx.db, limit)) {
    await issueRefund(ctx, due.id);
    counts.refunds++;
  }
  return counts;
}

