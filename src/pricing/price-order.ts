/**
 * What an order costs: ticket lines at their price-card prices, a voucher,
 * the booking fee and tax, in integer minor units (README.md, "Rounding").
 * A pure function of its input: the checkout resolves which price, voucher
 * and fee apply (dates, showtimes, ticket types, uses left) and passes the
 * result here, so every total is computed one way, on the server.
 */

/** A share of 10,000: 1 basis point is 0.01 %, 1,900 is 19 %. */
export type BasisPoints = number;

export type Amount = { kind: 'percent'; basisPoints: BasisPoints } | { kind: 'fixed'; minor: number };

export type TicketLine = {
  /** The caller's key for the line (e.g. the seat id), returned with it. */
  key: string | number;
  /** The price card's price for this ticket type and seat kind, in minor units (tax included when tax is inclusive). */
  unitPrice: number;
  /** Whether the order's voucher applies to this ticket (its ticket type, seat kind, showtime, movie and dates allow it). */
  voucherApplies?: boolean;
};

export type Voucher = {
  /** Off each ticket it applies to, or off the sum of those tickets once. */
  per: 'ticket' | 'order';
  amount: Amount;
};

export type BookingFee = {
  /** On each paid ticket, or once on a paid order. Free tickets (0 after discounts) carry no fee. */
  per: 'ticket' | 'order';
  amount: Amount;
};

export type Tax = {
  basisPoints: BasisPoints;
  /** Inclusive: prices and fees contain the tax; exclusive: it is added on top. */
  mode: 'inclusive' | 'exclusive';
  /** Whether the booking fee is taxed too. */
  onFee: boolean;
};

export type OrderPricing = {
  lines: readonly TicketLine[];
  voucher?: Voucher;
  fee?: BookingFee;
  tax?: Tax;
};

export type PricedLine = {
  key: string | number;
  price: number;
  discount: number;
  fee: number;
  /** The tax in this line: contained in price − discount + fee (inclusive), or added to it (exclusive). */
  tax: number;
  /** What this ticket costs: price − discount + fee, plus tax when tax is exclusive. */
  total: number;
};

export type PricedOrder = {
  lines: PricedLine[];
  subtotal: number;
  discount: number;
  fee: number;
  tax: number;
  total: number;
};

/** Money values are integers of at most this many minor units (a million euros is 10^8 cents). */
export const MAX_MINOR_UNITS = 100_000_000;
const WHOLE = 10_000n;

function checkMinor(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_MINOR_UNITS) {
    throw new RangeError(`${what} must be a whole number of minor units from 0 to ${MAX_MINOR_UNITS}, got ${value}.`);
  }
}

function checkAmount(amount: Amount, what: string): void {
  if (amount.kind === 'fixed') {
    checkMinor(amount.minor, what);
  } else if (!Number.isSafeInteger(amount.basisPoints) || amount.basisPoints < 0 || amount.basisPoints > 10_000) {
    throw new RangeError(`${what} must be from 0 to 10,000 basis points (0–100 %), got ${amount.basisPoints}.`);
  }
}

/** round(numerator / denominator), halves away from zero, for numerator ≥ 0 and denominator > 0. */
function divideRounded(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** `basisPoints` of `value`, rounded half up. */
function percentOf(value: bigint, basisPoints: BasisPoints): bigint {
  return divideRounded(value * BigInt(basisPoints), WHOLE);
}

/**
 * Splits `total` over `weights` in proportion (largest remainder): each gets
 * the floor of its exact share, and the minor units left go one each to the
 * largest fractional parts, earlier lines first on a tie. The shares add up to
 * `total` exactly; a zero weight gets nothing.
 */
function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n || total === 0n) {
    return weights.map(() => 0n);
  }
  const shares = weights.map((w) => (total * w) / sum);
  let left = total - shares.reduce((a, b) => a + b, 0n);
  const byRemainder = weights
    .map((w, i) => ({ i, remainder: (total * w) % sum }))
    .filter(({ i }) => weights[i]! > 0n)
    .sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1));
  for (const { i } of byRemainder) {
    if (left === 0n) {
      break;
    }
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares;
}

/** A per-ticket amount on each weight, or an order amount on their sum spread over them; never more than a weight. */
function applyAmount(amount: Amount, per: 'ticket' | 'order', weights: readonly bigint[]): bigint[] {
  if (per === 'ticket') {
    return weights.map((w) => (w === 0n ? 0n : amount.kind === 'percent' ? percentOf(w, amount.basisPoints) : BigInt(amount.minor)));
  }
  const sum = weights.reduce((a, b) => a + b, 0n);
  const whole = amount.kind === 'percent' ? percentOf(sum, amount.basisPoints) : sum === 0n ? 0n : BigInt(amount.minor);
  return allocate(whole, weights);
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Prices an order. In this order, each step on what the one before left:
 * 1. the voucher comes off the tickets it applies to (never below 0);
 * 2. the booking fee goes on the tickets still to be paid for;
 * 3. the tax is computed once on the order's taxable amount and spread over
 *    the lines (README.md, "Rounding"), so lines and total always agree.
 */
export function priceOrder({ lines, voucher, fee, tax }: OrderPricing): PricedOrder {
  lines.forEach((line, i) => checkMinor(line.unitPrice, `the price of line ${i + 1}`));
  if (voucher !== undefined) {
    checkAmount(voucher.amount, 'the voucher');
  }
  if (fee !== undefined) {
    checkAmount(fee.amount, 'the booking fee');
  }
  if (tax !== undefined) {
    checkAmount({ kind: 'percent', basisPoints: tax.basisPoints }, 'the tax rate');
  }
  const prices = lines.map((line) => BigInt(line.unitPrice));

  const eligible = prices.map((price, i) => (voucher !== undefined && lines[i]!.voucherApplies === true ? price : 0n));
  const discounts = voucher === undefined ? prices.map(() => 0n) : applyAmount(voucher.amount, voucher.per, eligible).map((d, i) => min(d, eligible[i]!));
  const nets = prices.map((price, i) => price - discounts[i]!);

  const fees = fee === undefined ? nets.map(() => 0n) : applyAmount(fee.amount, fee.per, nets);

  const taxable = nets.map((net, i) => net + (tax?.onFee === true ? fees[i]! : 0n));
  const taxableTotal = taxable.reduce((a, b) => a + b, 0n);
  let taxTotal = 0n;
  if (tax !== undefined) {
    taxTotal =
      tax.mode === 'exclusive'
        ? percentOf(taxableTotal, tax.basisPoints)
        : taxableTotal - divideRounded(taxableTotal * WHOLE, WHOLE + BigInt(tax.basisPoints));
  }
  const taxes = allocate(taxTotal, taxable);
  const added = tax?.mode === 'exclusive';

  const priced = lines.map((line, i) => {
    const total = nets[i]! + fees[i]! + (added ? taxes[i]! : 0n);
    return { key: line.key, price: Number(prices[i]), discount: Number(discounts[i]), fee: Number(fees[i]), tax: Number(taxes[i]), total: Number(total) };
  });
  const sum = (field: 'price' | 'discount' | 'fee' | 'tax' | 'total') => priced.reduce((a, line) => a + line[field], 0);
  return { lines: priced, subtotal: sum('price'), discount: sum('discount'), fee: sum('fee'), tax: sum('tax'), total: sum('total') };
}
