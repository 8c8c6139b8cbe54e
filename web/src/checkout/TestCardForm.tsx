import { useState, type FormEvent } from 'react';
import type { Money } from '../api/types.ts';
import { formatMoney } from '../format.ts';
import type { CheckoutConfig } from './ordersApi.ts';

type Props = { cards: CheckoutConfig['test_cards']; total: Money; busy: boolean; onPay: (cardNumber: string) => void };

/** Groups of four, as printed on a card. */
export const spacedCardNumber = (digits: string) => digits.replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');

/**
 * The card form of Boxoffice's built-in test provider (PAYMENT_PROVIDER=test):
 * no money moves anywhere, and the card number chosen decides the outcome.
 * It says so, and lists the test cards.
 */
export function TestCardForm({ cards, total, busy, onPay }: Props) {
  const [number, setNumber] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (number.replace(/\D/g, '').length > 0) {
      onPay(number);
    }
  };
  return (
    <div className="test-provider">
      <p className="test-provider-badge">
        <strong>Test payment provider.</strong> No real card is charged and no money moves: the card number decides what happens.
      </p>
      <form className="payment-form" onSubmit={submit}>
        <label htmlFor="card-number">Card number</label>
        <input
          id="card-number"
          inputMode="numeric"
          autoComplete="cc-number"
          value={number}
          onChange={(event) => setNumber(event.target.value)}
          placeholder="4242 4242 4242 4242"
          required
        />
        <button type="submit" className="button button--primary button--block" disabled={busy} aria-busy={busy}>
          {busy ? 'Paying…' : `Pay ${formatMoney(total)}`}
        </button>
      </form>
      <h3 className="test-cards-heading">Test cards</h3>
      <ul className="test-cards">
        {cards.map((card) => (
          <li key={card.number}>
            <button
              type="button"
              className="link-button test-card-number"
              onClick={() => setNumber(spacedCardNumber(card.number))}
              aria-label={`Use test card ${spacedCardNumber(card.number)}: ${card.description}`}
            >
              {spacedCardNumber(card.number)}
            </button>
            <span>{card.description}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
