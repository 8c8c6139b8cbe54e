import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage } from '../api/client.ts';
import { formatMoney, seatLabel } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { HoldCountdown } from '../show/HoldCountdown.tsx';
import { NoticeArea, type Notice } from '../show/NoticeArea.tsx';
import { ShowHeader } from '../show/ShowHeader.tsx';
import { Spinner, usePageTitle } from '../ui.tsx';
import {
  authenticateTestPayment,
  cancelOrder,
  checkPayment,
  confirmTestPayment,
  loadCheckoutConfig,
  type CheckoutConfig,
  type Order,
  type TestPaymentReply,
} from './ordersApi.ts';
import { PriceSummary } from './PriceSummary.tsx';
import { StripeForm } from './StripeForm.tsx';
import { TestCardForm } from './TestCardForm.tsx';
import { useOrder } from './useOrder.ts';

type Phase = 'form' | 'authenticate' | 'waiting';

/** The step a payment's own status calls for (on arriving at the page, or reloading it mid-payment). */
const serverPhase = (status: Order['payment']['status'] | undefined): Phase =>
  status === 'requires_action' ? 'authenticate' : status === 'processing' || status === 'succeeded' ? 'waiting' : 'form';

/** While waiting, the server is also asked to check with the provider this often (what a webhook would trigger). */
const CHECK_MS = 5_000;

/** Why an order that is no longer pending cannot be paid, and what to do. */
const closedText: Record<Exclude<Order['status'], 'pending_payment' | 'paid'>, string> = {
  expired: 'This checkout ran out of time and its seats were released; please choose your seats again.',
  cancelled: 'This order was cancelled and its seats were released; please choose your seats again.',
  refunded: 'The payment arrived after a seat had gone, so it was refunded in full; please choose your seats again.',
};

/**
 * Step three: pay for the order. The test provider's card form (with its 3-D
 * Secure step) or Stripe's Payment Element; then the order is read every
 * second until it is paid, and the confirmation follows. A declined card
 * leaves the order pending and the seats held: the form stays for another.
 */
export function PaymentPage({ orderId }: { orderId: number }) {
  usePageTitle('Payment');
  const { user, lost } = useSession();
  // Unset until this page has acted: then the payment's own status decides (a reload mid-payment).
  const [chosenPhase, setPhase] = useState<Phase | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const waitingRef = useRef(false);
  // While waiting, whether the payment has been seen under way: an order read just after a card was
  // accepted can still carry the previous card's decline, which is not news.
  const seenUnderway = useRef(false);
  const onRead = useCallback((fresh: Order) => {
    const status = fresh.payment.status;
    if (fresh.status === 'paid') {
      navigate(`/orders/${fresh.id}`, { replace: true });
    } else if (!waitingRef.current) {
      seenUnderway.current = false;
    } else if (status === 'processing' || status === 'succeeded') {
      seenUnderway.current = true;
    } else if (seenUnderway.current && fresh.status === 'pending_payment' && status === 'requires_payment' && fresh.payment.last_error !== null) {
      // Declined after all (the provider said so later): the form again, with its reason.
      seenUnderway.current = false;
      setPhase('form');
      setNotice({ tone: 'error', text: fresh.payment.last_error });
    }
  }, []);
  const phaseOf = (current: Order | null): Phase => chosenPhase ?? serverPhase(current?.payment.status);
  const { order, error, timeZone, reload, setOrder } = useOrder(orderId, (current) => phaseOf(current) === 'waiting', onRead);
  const phase = phaseOf(order);
  const polling = phase === 'waiting';
  useEffect(() => {
    waitingRef.current = polling;
  }, [polling]);
  const [config, setConfig] = useState<CheckoutConfig | null>(null);
  const [busy, setBusy] = useState(false);
  // The payment window closes on the server's clock; the order is read again then (and once a second
  // after, for the sweep to have marked it), so the page says so instead of offering a form that would be refused.
  const [timedOut, setTimedOut] = useState(false);
  const expiresAt = order === null ? undefined : Date.parse(order.expires_at);
  useEffect(() => {
    if (expiresAt === undefined || order?.status !== 'pending_payment') {
      return;
    }
    const timer = setTimeout(() => {
      setTimedOut(true);
      reload();
    }, Math.min(2 ** 31 - 1, Math.max(0, expiresAt - Date.now() + 1_000)));
    return () => clearTimeout(timer);
  }, [expiresAt, order?.status, reload]);

  useEffect(() => {
    if (user === null) {
      navigate(`/login?next=${encodeURIComponent(`/orders/${orderId}/pay`)}`, { replace: true });
    }
  }, [user, orderId]);

  useEffect(() => {
    loadCheckoutConfig().then(setConfig, (e: unknown) => setNotice({ tone: 'error', text: errorMessage(e) }));
  }, []);

  // Also ask the server to check with the provider now and then while waiting.
  useEffect(() => {
    if (phase !== 'waiting') {
      return;
    }
    const timer = setInterval(() => {
      checkPayment(orderId).then((fresh) => {
        setOrder(fresh);
        onRead(fresh);
      }, () => undefined);
    }, CHECK_MS);
    return () => clearInterval(timer);
  }, [phase, orderId, setOrder, onRead]);

  const handleReply = useCallback(
    (reply: TestPaymentReply) => {
      if (reply.status === 'succeeded' || reply.status === 'processing') {
        setNotice(null);
        setPhase('waiting');
        reload();
      } else if (reply.status === 'requires_action') {
        setNotice(null);
        setPhase('authenticate');
      } else {
        setPhase('form');
        setNotice({ tone: 'error', text: reply.message ?? 'The payment did not go through; please try another card.' });
        reload();
      }
    },
    [reload],
  );

  const failed = (e: unknown) => {
    if (e instanceof ApiError && e.status === 401) {
      lost();
      return;
    }
    setNotice({ tone: 'error', text: errorMessage(e) });
    reload();
  };

  const payWithCard = async (cardNumber: string) => {
    if (order === null || order.payment.id === null || order.payment.client_secret === null || busy) {
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      handleReply(await confirmTestPayment(order.payment.id, order.payment.client_secret, cardNumber));
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };

  const authenticate = async (approve: boolean) => {
    if (order === null || order.payment.id === null || order.payment.client_secret === null || busy) {
      return;
    }
    setBusy(true);
    try {
      handleReply(await authenticateTestPayment(order.payment.id, order.payment.client_secret, approve));
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    setBusy(true);
    try {
      await cancelOrder(orderId);
      navigate(order === null ? '/' : `/shows/${order.show.id}`);
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };

  if (order === null) {
    return (
      <div className="page">
        {error === null ? <Spinner label="Loading your order…" /> : <NoticeArea notice={{ tone: 'error', text: error }} />}
      </div>
    );
  }

  const venue = `${order.show.venue.name}, ${order.show.venue.city}`;
  const closed =
    order.status !== 'pending_payment' && order.status !== 'paid'
      ? closedText[order.status]
      : timedOut && order.status === 'pending_payment' && phase !== 'waiting'
        ? closedText.expired
        : null;
  return (
    <div className="page checkout-page">
      <ShowHeader title={order.show.movie.title} startsAt={order.show.starts_at} timeZone={timeZone} hall={order.show.hall.name} venue={venue} />
      <NoticeArea notice={closed === null ? notice : { tone: 'error', text: closed }} />
      <div className="checkout-layout">
        <section className="card" aria-labelledby="pay-heading">
          <h2 id="pay-heading">{phase === 'authenticate' ? 'Confirm the payment with your bank' : 'Pay by card'}</h2>
          {closed !== null ? (
            <Link to={`/shows/${order.show.id}`} className="button">
              Choose seats again
            </Link>
          ) : (
            <>
              <HoldCountdown until={Date.parse(order.expires_at)} action="pay" />
              {phase === 'waiting' ? (
                <Spinner label="Waiting for your bank to confirm the payment; this page moves on by itself." />
              ) : phase === 'authenticate' ? (
                <div className="authenticate">
                  <p className="test-provider-badge">
                    <strong>Test payment provider: 3-D Secure.</strong> Your bank would ask you to confirm here. Approve to pay, or reject to
                    decline the card.
                  </p>
                  <div className="authenticate-actions">
                    <button type="button" className="button button--primary" disabled={busy} onClick={() => void authenticate(true)}>
                      Approve payment
                    </button>
                    <button type="button" className="button" disabled={busy} onClick={() => void authenticate(false)}>
                      Reject
                    </button>
                  </div>
                </div>
              ) : config === null ? (
                <Spinner label="Loading the payment form…" />
              ) : config.provider === 'stripe' && config.publishable_key !== null && order.payment.client_secret !== null ? (
                <StripeForm
                  publishableKey={config.publishable_key}
                  clientSecret={order.payment.client_secret}
                  total={order.total}
                  onSubmitted={() => setPhase('waiting')}
                  onError={(text) => setNotice({ tone: 'error', text })}
                />
              ) : (
                <TestCardForm cards={config.test_cards} total={order.total} busy={busy} onPay={(card) => void payWithCard(card)} />
              )}
              {phase !== 'waiting' && (
                <button type="button" className="link-button cancel-order" disabled={busy} onClick={() => void cancel()}>
                  Cancel this order and release the seats
                </button>
              )}
            </>
          )}
        </section>
        <aside className="card summary-card" aria-labelledby="order-summary-heading">
          <h2 id="order-summary-heading">Order {order.reference}</h2>
          <ul className="summary-seats">
            {order.lines.map((line) => (
              <li key={line.seat.id}>
                <span className="summary-seat-name">
                  {seatLabel(line.seat)} · {line.ticket_type.name}
                </span>
                <span className="summary-seat-price">{formatMoney(line.price)}</span>
              </li>
            ))}
          </ul>
          <PriceSummary totals={order} />
        </aside>
      </div>
    </div>
  );
}
