import { Type, type Static } from 'typebox';

/** Money as integer minor units plus an ISO 4217 code: 12.50 EUR is {amount: 1250, currency: "EUR"}. */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'minor units, e.g. cents' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'an ISO 4217 code such as "EUR"' }),
  },
  { additionalProperties: false },
);
export type Money = Static<typeof Money>;

export const money = (amount: number, currency: string): Money => ({ amount, currency: currency.trim() });
