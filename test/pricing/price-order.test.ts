import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceOrder, type Amount, type OrderPricing, type TicketLine } from '../../src/pricing/price-order.ts';

const lines = (...prices: number[]): TicketLine[] => prices.map((unitPrice, i) => ({ key: i + 1, unitPrice, voucherApplies: true }));
const percent = (basisPoints: number): Amount => ({ kind: 'percent', basisPoints });
const fixed = (minor: number): Amount => ({ kind: 'fixed', minor });
const pick = (order: ReturnType<typeof priceOrder>, field: 'discount' | 'fee' | 'tax' | 'total') => order.lines.map((l) => l[field]);

describe('priceOrder: worked examples (src/pricing/README.md)', () => {
  it('when nothing is added or taken off, then the total is the sum of the prices', () => {
    expect(priceOrder({ lines: lines(1250, 1650) })).toMatchObject({ subtotal: 2900, discount: 0, fee: 0, tax: 0, total: 2900 });
  });

  it('when tax is exclusive at 19 %, then it is added on top, rounded half up (12.50 → 2.375 → 2.38)', () => {
    expect(priceOrder({ lines: lines(1000), tax: { basisPoints: 1900, mode: 'exclusive', onFee: false } })).toMatchObject({ tax: 190, total: 1190 });
    expect(priceOrder({ lines: lines(1250), tax: { basisPoints: 1900, mode: 'exclusive', onFee: false } })).toMatchObject({ tax: 238, total: 1488 });
  });

  it('when tax is inclusive at 7 %, then it is contained in the price: 12.50 holds 0.82', () => {
    expect(priceOrder({ lines: lines(1250), tax: { basisPoints: 700, mode: 'inclusive', onFee: false } })).toMatchObject({ tax: 82, total: 1250 });
  });

  it('when inclusive tax is spread over three equal tickets, then it is computed once on the order (4.79, not 3 × 1.60) and the extra cents go to the first lines', () => {
    const order = priceOrder({ lines: lines(1000, 1000, 1000), tax: { basisPoints: 1900, mode: 'inclusive', onFee: false } });
    expect(order.tax).toBe(479);
    expect(pick(order, 'tax')).toEqual([160, 160, 159]);
    expect(order.total).toBe(3000);
  });

  it('when a 10 % voucher per ticket and 15 % of 12.50 are taken off, then 1.25 and 1.875 → 1.88', () => {
    expect(pick(priceOrder({ lines: lines(1250), voucher: { per: 'ticket', amount: percent(1000) } }), 'discount')).toEqual([125]);
    expect(pick(priceOrder({ lines: lines(1250), voucher: { per: 'ticket', amount: percent(1500) } }), 'discount')).toEqual([188]);
  });

  it('when 5.00 off the order is spread over 10.00, 5.00 and 15.00, then by the largest remainder: 1.67, 0.83, 2.50', () => {
    const order = priceOrder({ lines: lines(1000, 500, 1500), voucher: { per: 'order', amount: fixed(500) } });
    expect(pick(order, 'discount')).toEqual([167, 83, 250]);
    expect(order).toMatchObject({ discount: 500, total: 2500 });
  });

  it('when a voucher is worth more than the tickets, then the order is free: no fee, no tax, total 0', () => {
    const order = priceOrder({
      lines: lines(1000, 1500),
      voucher: { per: 'order', amount: fixed(5000) },
      fee: { per: 'order', amount: fixed(150) },
      tax: { basisPoints: 1900, mode: 'exclusive', onFee: true },
    });
    expect(order).toMatchObject({ subtotal: 2500, discount: 2500, fee: 0, tax: 0, total: 0 });
  });

  it('when the fee is taxed (or not) at an exclusive 10 %, then the tax covers it (or not)', () => {
    const withFee = (onFee: boolean) => priceOrder({ lines: lines(1000, 1000), fee: { per: 'ticket', amount: fixed(100) }, tax: { basisPoints: 1000, mode: 'exclusive', onFee } });
    expect(withFee(true)).toMatchObject({ fee: 200, tax: 220, total: 2420 });
    expect(pick(withFee(true), 'tax')).toEqual([110, 110]);
    expect(withFee(false)).toMatchObject({ fee: 200, tax: 200, total: 2400 });
  });

  it('when the fee is 5 % per ticket after a 10 % voucher, then it is 5 % of 11.25: 0.5625 → 0.56', () => {
    const order = priceOrder({ lines: lines(1250), voucher: { per: 'ticket', amount: percent(1000) }, fee: { per: 'ticket', amount: percent(500) } });
    expect(order.lines[0]).toMatchObject({ price: 1250, discount: 125, fee: 56, total: 1181 });
  });

  it('when the voucher applies only to the child ticket, then only that one is discounted, and the free ticket carries no fee', () => {
    const order = priceOrder({
      lines: [
        { key: 'adult', unitPrice: 1250, voucherApplies: false },
        { key: 'child', unitPrice: 850, voucherApplies: true },
      ],
      voucher: { per: 'ticket', amount: percent(10_000) },
      fee: { per: 'ticket', amount: fixed(50) },
    });
    expect(order.lines).toEqual([
      { key: 'adult', price: 1250, discount: 0, fee: 50, tax: 0, total: 1300 },
      { key: 'child', price: 850, discount: 850, fee: 0, tax: 0, total: 0 },
    ]);
  });

  it('when an amount is negative, fractional, too large, or a rate above 100 %, then it is refused with a sentence naming it', () => {
    expect(() => priceOrder({ lines: lines(-1) })).toThrow('the price of line 1 must be a whole number of minor units');
    expect(() => priceOrder({ lines: lines(12.5) })).toThrow('the price of line 1');
    expect(() => priceOrder({ lines: lines(100_000_001) })).toThrow('from 0 to 100000000');
    expect(() => priceOrder({ lines: lines(1000), voucher: { per: 'ticket', amount: percent(10_001) } })).toThrow('the voucher must be from 0 to 10,000 basis points');
    expect(() => priceOrder({ lines: lines(1000), tax: { basisPoints: -1, mode: 'exclusive', onFee: false } })).toThrow('the tax rate');
  });
});

// Properties checked against a computation of their own, not against the
// function's sums (the order's fields are sums of its lines by construction).
const amountArb = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }).map(percent),
  fc.integer({ min: 0, max: 20_000 }).map(fixed),
);
const orderArb: fc.Arbitrary<OrderPricing> = fc.record(
  {
    lines: fc.array(
      fc.record({ key: fc.nat(), unitPrice: fc.integer({ min: 0, max: 100_000 }), voucherApplies: fc.boolean() }),
      { minLength: 1, maxLength: 12 },
    ),
    voucher: fc.record({ per: fc.constantFrom('ticket' as const, 'order' as const), amount: amountArb }),
    fee: fc.record({ per: fc.constantFrom('ticket' as const, 'order' as const), amount: amountArb }),
    tax: fc.record({ basisPoints: fc.integer({ min: 0, max: 10_000 }), mode: fc.constantFrom('inclusive' as const, 'exclusive' as const), onFee: fc.boolean() }),
  },
  { requiredKeys: ['lines'] },
);
const roundHalfUp = (numerator: bigint, denominator: bigint) => (2n * numerator + denominator) / (2n * denominator);

describe('priceOrder: properties of 5,000 generated orders', () => {
  it('when any order is priced, then every line is consistent, nothing goes below 0, and free tickets carry no fee', () => {
    fc.assert(
      fc.property(orderArb, (input) => {
        const order = priceOrder(input);
        const exclusive = input.tax?.mode === 'exclusive';
        for (const line of order.lines) {
          expect(line.discount).toBeGreaterThanOrEqual(0);
          expect(line.discount).toBeLessThanOrEqual(line.price);
          expect(line.tax).toBeGreaterThanOrEqual(0);
          if (line.price - line.discount === 0) {
            expect(line.fee).toBe(0);
          }
          expect(line.total).toBe(line.price - line.discount + line.fee + (exclusive ? line.tax : 0));
        }
        expect(order.total).toBe(order.subtotal - order.discount + order.fee + (exclusive ? order.tax : 0));
        if (input.tax?.mode === 'inclusive') {
          expect(order.tax).toBeLessThanOrEqual(order.total);
        }
      }),
      { numRuns: 5_000, seed: 20261206 },
    );
  });

  it('when any order is priced, then its discount and its tax are the ones computed once on the order, rounded half up', () => {
    fc.assert(
      fc.property(orderArb, (input) => {
        const order = priceOrder(input);
        const eligible = input.lines.filter((l) => input.voucher !== undefined && l.voucherApplies === true).reduce((a, l) => a + l.unitPrice, 0);
        if (input.voucher?.per === 'order') {
          const amount = input.voucher.amount;
          const whole = amount.kind === 'fixed' ? amount.minor : Number(roundHalfUp(BigInt(eligible) * BigInt(amount.basisPoints), 10_000n));
          expect(order.discount).toBe(Math.min(whole, eligible));
        }
        if (input.tax !== undefined) {
          const taxable = BigInt(order.subtotal - order.discount + (input.tax.onFee ? order.fee : 0));
          const rate = BigInt(input.tax.basisPoints);
          const expected = input.tax.mode === 'exclusive' ? roundHalfUp(taxable * rate, 10_000n) : taxable - roundHalfUp(taxable * 10_000n, 10_000n + rate);
          expect(order.tax).toBe(Number(expected));
        }
      }),
      { numRuns: 5_000, seed: 20261207 },
    );
  });

  it("when an order amount is spread over the lines, then each line's share is within one minor unit of its exact proportional share", () => {
    fc.assert(
      fc.property(orderArb, (input) => {
        const order = priceOrder(input);
        if (input.tax === undefined) {
          return;
        }
        const taxable = order.lines.map((l) => l.price - l.discount + (input.tax!.onFee ? l.fee : 0));
        const sum = taxable.reduce((a, b) => a + b, 0);
        order.lines.forEach((line, i) => {
          const exact = sum === 0 ? 0 : (order.tax * taxable[i]!) / sum;
          expect(Math.abs(line.tax - exact)).toBeLessThan(1);
        });
      }),
      { numRuns: 5_000, seed: 20261208 },
    );
  });
});
