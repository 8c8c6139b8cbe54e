import { describe, expect, it } from 'vitest';
import { countViews, earliestHold, isFree, lostHoldsText } from '../../web/src/show/seats.ts';

describe('the seat map’s pure parts (web/src/show/seats.ts)', () => {
  it('when views are counted, then every view has its number, zero included', () => {
    expect(countViews(new Map([[1, 'available'], [2, 'mine'], [3, 'available'], [4, 'booked']]))).toEqual({ available: 2, held: 0, booked: 1, mine: 1 });
  });

  it('when some holds are granted, then the earliest is the countdown’s end; seats not yet granted do not count', () => {
    const granted = new Map([[1, 5_000], [2, 3_000]]);
    expect(earliestHold([{ id: 1 }, { id: 2 }, { id: 3 }], granted)).toBe(3_000);
    expect(earliestHold([{ id: 3 }], granted)).toBeUndefined();
  });

  it('when a held seat’s hold has run out, then it is free to hold; a live hold or a booking is not', () => {
    const now = Date.parse('2026-12-07T01:00:00Z');
    expect(isFree({ status: 'available', locked_until: null }, now)).toBe(true);
    expect(isFree({ status: 'held', locked_until: '2026-12-07T00:59:59Z' }, now)).toBe(true);
    expect(isFree({ status: 'held', locked_until: '2026-12-07T01:00:01Z' }, now)).toBe(false);
    expect(isFree({ status: 'booked', locked_until: null }, now)).toBe(false);
  });

  it('when holds end unasked, then one sentence names them all, in the singular for one', () => {
    expect(lostHoldsText([{ row: 'A', number: 2 }])).toBe('Your hold on Row A, seat 2 ended, so that seat was released.');
    expect(lostHoldsText([{ row: 'A', number: 2 }, { row: 'B', number: 3 }])).toBe('Your hold on Row A, seat 2; Row B, seat 3 ended, so those seats were released.');
  });
});
