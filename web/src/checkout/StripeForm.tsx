import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Stripe, StripeElements } from '@stripe/stripe-js';
import type { Money } from '../api/types.ts';
import { formatMoney } from '../format.ts';

type Props = { publishableKey: string; clientSecret: string; total: Money; onSubmitted: () => void; onError: (text: string) => void };

/**
 * Stripe's Payment Element, for a server whose checkout is Stripe
 * (publishable_key set). Stripe.js is loaded only here, from Stripe, when
 * this form is shown: the test provider never loads it. The card never
 * touches Boxoffice; the server learns the outcome from Stripe (webhook or
 * check-payment), and the page polls the order.
 */
export function StripeForm({ publishableKey, clientSecret, total, onSubmitted, onError }: Props) {
  const mount = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState<{ stripe: Stripe; elements: StripeElements } | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    let unmount: (() => void) | undefined;
    import('@stripe/stripe-js')
      .then(({ loadStripe }) => loadStripe(publishableKey))
      .then((stripe) => {
        if (cancelled || stripe === null || mount.current === null) {
          if (stripe === null) {
            setLoadError('The card form could not be loaded; check your connection and reload the page.');
          }
          return;
        }
        const elements = stripe.elements({ clientSecret });
        const element = elements.create('payment');
        element.mount(mount.current);
        unmount = () => element.destroy();
        setReady({ stripe, elements });
      })
      .catch(() => !cancelled && setLoadError('The card form could not be loaded; check your connection and reload the page.'));
    return () => {
      cancelled = true;
      unmount?.();
    };
  }, [publishableKey, clientSecret]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (ready === null || busy) {
      return;
    }
    setBusy(true);
    const { error } = await ready.stripe.confirmPayment({
      elements: ready.elements,
      confirmParams: { return_url: window.location.href },
      redirect: 'if_required',
    });
    setBusy(false);
    if (error === undefined) {
      onSubmitted();
    } else {
      onError(error.message ?? 'The payment did not go through; please try again or use another card.');
    }
  };

  return (
    <form className="payment-form" onSubmit={(event) => void submit(event)}>
      {loadError !== null && <p className="field-error">{loadError}</p>}
      <div ref={mount} className="stripe-element" />
      <button type="submit" className="button button--primary button--block" disabled={ready === null || busy} aria-busy={busy}>
        {busy ? 'Paying…' : `Pay ${formatMoney(total)}`}
      </button>
    </form>
  );
}
