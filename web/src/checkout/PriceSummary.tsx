import type { Money } from '../api/types.ts';
import { formatMoney } from '../format.ts';

type Totals = {
  subtotal: Money;
  discount: Money;
  fee: Money;
  tax: Money;
  total: Money;
  tax_mode: 'inclusive' | 'exclusive';
  tax_rate_basis_points: number;
  voucher: { code: string; description: string } | null;
};

const percent = (basisPoints: number) => `${(basisPoints / 100).toLocaleString('en-GB', { maximumFractionDigits: 2 })}%`;

/** Subtotal, voucher discount, booking fee, tax and total, as the server priced them. */
export function PriceSummary({ totals }: { totals: Totals }) {
  const inclusive = totals.tax_mode === 'inclusive';
  return (
    <dl className="price-summary">
      <div>
        <dt>Tickets</dt>
        <dd>{formatMoney(totals.subtotal)}</dd>
      </div>
      {totals.discount.amount > 0 && (
        <div>
          <dt>Voucher {totals.voucher?.code}</dt>
          <dd>−{formatMoney(totals.discount)}</dd>
        </div>
      )}
      <div>
        <dt>Booking fee</dt>
        <dd>{formatMoney(totals.fee)}</dd>
      </div>
      <div>
        <dt>{inclusive ? `Tax included (${percent(totals.tax_rate_basis_points)})` : `Tax (${percent(totals.tax_rate_basis_points)})`}</dt>
        <dd>{formatMoney(totals.tax)}</dd>
      </div>
      <div className="price-summary-total">
        <dt>Total</dt>
        <dd>{formatMoney(totals.total)}</dd>
      </div>
    </dl>
  );
}
