import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api/client.ts';
import { keepKeyAfter, orderFilterPath, parseOrderFilter, seatsSummary } from '../../web/src/staff/orderDesk.ts';

describe('the staff order desk’s pure parts (web/src/staff/orderDesk.ts)', () => {
  it('when a search is put in the URL and read back, then it is the same search; unknown or malformed values are dropped', () => {
    const filter = { reference: 'k7q2 m9xd', status: 'paid' as const, showId: 12 };
    const path = orderFilterPath(filter);
    expect(path).toBe('/staff/orders?reference=k7q2+m9xd&status=paid&show=12');
    expect(parseOrderFilter(path.slice(path.indexOf('?')))).toEqual(filter);
    expect(orderFilterPath({ reference: '  ', status: null, showId: null })).toBe('/staff/orders');
    expect(parseOrderFilter('?status=lost&show=0&reference=%20AB%20')).toEqual({ reference: 'AB', status: null, showId: null });
  });

  it('when an order has seats in several rows, then the table shows them grouped by row, in line order', () => {
    const line = (row: string, number: number) => ({ seat: { row, number } });
    expect(seatsSummary([line('A', 1), line('A', 2), line('C', 7)])).toBe('Row A: 1, 2; Row C: 7');
    expect(seatsSummary([])).toBe('');
  });

  it('when Mark paid got no answer or a server failure, then its key is kept for the retry; after a refusal, the next press is a new attempt', () => {
    expect(keepKeyAfter(new ApiError(0, 'Could not reach Boxoffice; check your connection and try again.'))).toBe(true);
    expect(keepKeyAfter(new ApiError(503, 'down'))).toBe(true);
    expect(keepKeyAfter(new TypeError('boom'))).toBe(true);
    expect(keepKeyAfter(new ApiError(409, 'This order is no longer awaiting payment (it is expired).'))).toBe(false);
    expect(keepKeyAfter(new ApiError(422, 'different body'))).toBe(false);
  });
});
