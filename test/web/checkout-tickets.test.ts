import { describe, expect, it } from 'vitest';
import { attemptKey, defaultTicketType, ticketOptions } from '../../web/src/checkout/tickets.ts';
import type { PriceTable } from '../../web/src/checkout/ordersApi.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const table: PriceTable = {
  showtime_id: 1,
  price_card: { id: 1, name: 'Standard' },
  prices: [
    { ticket_type: { code: 'ADULT', name: 'Adult' }, seat_kind: 'standard', price: eur(1250) },
    { ticket_type: { code: 'ADULT', name: 'Adult' }, seat_kind: 'premium', price: eur(1650) },
    { ticket_type: { code: 'CHILD', name: 'Child' }, seat_kind: 'standard', price: eur(800) },
  ],
  range: { min: eur(800), max: eur(1650) },
};

describe('the checkout’s ticket choice (web/src/checkout/tickets.ts)', () => {
  it('when a seat is premium, then only the types priced for premium seats are offered, at their premium price', () => {
    expect(ticketOptions(table, 'premium')).toEqual([{ code: 'ADULT', name: 'Adult', price: eur(1650) }]);
    expect(ticketOptions(table, 'standard').map((o) => o.code)).toEqual(['ADULT', 'CHILD']);
    expect(ticketOptions(table, 'wheelchair')).toEqual([]);
  });

  it('when Adult is on offer, then it is the default; else the first type listed; none when nothing is', () => {
    expect(defaultTicketType(ticketOptions(table, 'standard'))).toBe('ADULT');
    expect(defaultTicketType([{ code: 'CHILD', name: 'Child', price: eur(800) }])).toBe('CHILD');
    expect(defaultTicketType([])).toBeUndefined();
  });

  it('when Pay is pressed again for the same selection, then the key is kept; for another selection, a new one', () => {
    let n = 0;
    const newKey = () => `key-${++n}`;
    const first = attemptKey(null, '{"a":1}', newKey);
    expect(first).toEqual({ key: 'key-1', body: '{"a":1}' });
    expect(attemptKey(first, '{"a":1}', newKey)).toBe(first);
    expect(attemptKey(first, '{"a":2}', newKey)).toEqual({ key: 'key-2', body: '{"a":2}' });
  });
});
