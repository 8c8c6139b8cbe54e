import { Type, type Static } from 'typebox';
import { Id, Nullable } from '../http/route-helpers.ts';
import { Money } from '../shared/money.ts';

const PerOrder = Type.Integer({ minimum: 1, maximum: 100 });

const fields = {
  code: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$', description: 'Upper-case letters, digits and _, 2–20 long, e.g. "CHILD"; unique' }),
  name: Type.String({ minLength: 1, maxLength: 60, description: 'What the moviegoer reads, e.g. "Child (under 12)"' }),
  sold_online: Type.Boolean({ description: 'Offered in the web app and the public API; default true' }),
  sold_at_box_office: Type.Boolean({ description: 'Offered to cashiers; default true. At least one of the two.' }),
  min_per_order: Nullable(PerOrder),
  max_per_order: Nullable(PerOrder),
  staff_only: Type.Boolean({ description: 'Only staff may sell it (e.g. complimentary tickets); default false' }),
  active: Type.Boolean({ description: 'Retired types are kept for the bookings that used them, and no longer sold; default true' }),
  max_film_min_age: Nullable(
    Type.Integer({
      minimum: 0,
      maximum: 21,
      description: "Not sold for films whose rating's min_age is above this, e.g. 12 for Child; null (the default): any film. Unrated films are never refused.",
    }),
  ),
};

export const TicketTypeBody = Type.Object(
  {
    code: fields.code,
    name: fields.name,
    sold_online: Type.Optional(fields.sold_online),
    sold_at_box_office: Type.Optional(fields.sold_at_box_office),
    min_per_order: Type.Optional(fields.min_per_order),
    max_per_order: Type.Optional(fields.max_per_order),
    staff_only: Type.Optional(fields.staff_only),
    max_film_min_age: Type.Optional(fields.max_film_min_age),
  },
  { additionalProperties: false },
);
export type TicketTypeBody = Static<typeof TicketTypeBody>;

/** Any subset of the fields but the code (bookings and price cards name a type by it); unknown fields refused. */
export const TicketTypePatch = Type.Partial(
  Type.Object({
    name: fields.name,
    sold_online: fields.sold_online,
    sold_at_box_office: fields.sold_at_box_office,
    min_per_order: fields.min_per_order,
    max_per_order: fields.max_per_order,
    staff_only: fields.staff_only,
    active: fields.active,
    max_film_min_age: fields.max_film_min_age,
  }),
  { additionalProperties: false, description: 'Only the fields to change; at least one.' },
);
export type TicketTypePatch = Static<typeof TicketTypePatch>;

export const TicketType = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  sold_online: Type.Boolean(),
  sold_at_box_office: Type.Boolean(),
  min_per_order: Nullable(Type.Integer()),
  max_per_order: Nullable(Type.Integer()),
  staff_only: Type.Boolean(),
  active: Type.Boolean(),
  max_film_min_age: Nullable(Type.Integer()),
});
export type TicketType = Static<typeof TicketType>;

export const TicketTypeList = Type.Object({ items: Type.Array(TicketType) });

// ── price cards ─────────────────────────────────────────────────────────────

export const SeatKind = Type.Union([Type.Literal('standard'), Type.Literal('premium'), Type.Literal('wheelchair')]);
export type SeatKind = Static<typeof SeatKind>;

const CardPrice = Type.Object(
  {
    ticket_type: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$', description: 'A ticket type code other than ADULT (Adult prices are the showtime\'s price and premium_price)' }),
    seat_kind: SeatKind,
    price: Money,
  },
  { additionalProperties: false },
);
const CardPrices = Type.Array(CardPrice, { maxItems: 300, description: 'One price per ticket type and seat kind; a type without a price for a kind is not sold for it' });

export const PriceCardBody = Type.Object(
  {
    venue_id: Id('The venue whose card this is'),
    hall_id: Type.Optional(Nullable(Id('Set to make it (the default of) one hall of the venue'))),
    name: Type.String({ minLength: 1, maxLength: 60, description: 'Unique within the venue, e.g. "Matinee"' }),
    default: Type.Optional(Type.Boolean({ description: "The card of every showtime of the venue (or of the hall) that has no card of its own; replaces the previous default" })),
    prices: CardPrices,
  },
  { additionalProperties: false },
);
export type PriceCardBody = Static<typeof PriceCardBody>;

export const PriceCardPatch = Type.Partial(
  Type.Object({ name: PriceCardBody.properties.name, default: Type.Boolean(), prices: CardPrices }),
  { additionalProperties: false, description: 'Only the fields to change; prices replace all of the card\'s prices.' },
);
export type PriceCardPatch = Static<typeof PriceCardPatch>;

const PricedRow = Type.Object({ ticket_type: Type.String(), seat_kind: SeatKind, price: Money });
export const PriceCard = Type.Object({
  id: Type.Integer(),
  venue_id: Type.Integer(),
  hall_id: Nullable(Type.Integer()),
  name: Type.String(),
  default: Type.Boolean(),
  prices: Type.Array(PricedRow),
});
export type PriceCard = Static<typeof PriceCard>;
export const PriceCardList = Type.Object({ items: Type.Array(PriceCard) });
export const PriceCardsQuery = Type.Object({ venue_id: Id('Cards of this venue') }, { additionalProperties: false });

export const ShowtimeCardBody = Type.Object(
  { price_card_id: Nullable(Id('A card of the showtime\'s venue (and hall, if the card is a hall\'s); null to use the hall\'s or venue\'s default')) },
  { additionalProperties: false },
);

/** What a showtime's seats cost, by ticket type and seat kind. */
export const ShowtimePrices = Type.Object({
  showtime_id: Type.Integer(),
  price_card: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  prices: Type.Array(Type.Object({ ticket_type: Type.Object({ code: Type.String(), name: Type.String() }), seat_kind: SeatKind, price: Money })),
  range: Nullable(Type.Object({ min: Money, max: Money })),
});
export type ShowtimePrices = Static<typeof ShowtimePrices>;

// ── a venue's fee and tax ───────────────────────────────────────────────────

const BasisPoints = (description: string) => Type.Integer({ minimum: 0, maximum: 10_000, description: `${description}, in basis points: 1 = 0.01 %, 1,900 = 19 %` });

export const FeeAmount = Type.Union([
  Type.Object({ percent_basis_points: BasisPoints('A share of what the ticket (or order) costs after discounts') }, { additionalProperties: false }),
  Type.Object({ fixed: Money }, { additionalProperties: false }),
]);

export const VenuePricing = Type.Object(
  {
    booking_fee: Nullable(
      Type.Object(
        { per: Type.Union([Type.Literal('ticket'), Type.Literal('order')], { description: 'On each paid ticket, or once on a paid order' }), amount: FeeAmount },
        { additionalProperties: false },
      ),
    ),
    tax: Type.Object(
      {
        rate_basis_points: BasisPoints('The tax rate'),
        mode: Type.Union([Type.Literal('inclusive'), Type.Literal('exclusive')], { description: 'inclusive: prices contain the tax; exclusive: it is added' }),
        on_fee: Type.Boolean({ description: 'Whether the booking fee is taxed' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type VenuePricing = Static<typeof VenuePricing>;

// ── a quote ────────────────────────────────────────────────────────────────

export const VoucherCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$', description: 'A voucher or promo code (not case-sensitive), e.g. "SPRING10"' });

export const QuoteBody = Type.Object(
  {
    show_id: Id('The showtime'),
    voucher: Type.Optional(VoucherCode),
    tickets: Type.Array(
      Type.Object({ seat_id: Id('A seat of the showtime'), ticket_type: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$', description: 'A ticket type code, e.g. "CHILD"' }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);
export type QuoteBody = Static<typeof QuoteBody>;

export const Quote = Type.Object({
  show_id: Type.Integer(),
  currency: Type.String(),
  lines: Type.Array(
    Type.Object({
      seat_id: Type.Integer(),
      ticket_type: Type.String(),
      seat_kind: SeatKind,
      price: Money,
      discount: Money,
      fee: Money,
      tax: Money,
      total: Money,
    }),
  ),
  subtotal: Money,
  discount: Money,
  fee: Money,
  tax: Money,
  total: Money,
  tax_mode: Type.Union([Type.Literal('inclusive'), Type.Literal('exclusive')]),
  tax_rate_basis_points: Type.Integer(),
  voucher: Nullable(Type.Object({ code: Type.String(), description: Type.String() })),
});
export type Quote = Static<typeof Quote>;

// ── vouchers ───────────────────────────────────────────────────────────────

const Instant = (description: string) => Nullable(Type.String({ format: 'date-time', description }));
const voucherLimits = {
  description: Type.String({ maxLength: 200, description: 'What staff and moviegoers read, e.g. "Spring offer: 10 % off"' }),
  valid_from: Instant('Redeemable from this instant; null: at once'),
  valid_until: Instant('Redeemable before this instant; null: no end'),
  max_uses: Nullable(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Orders it may be used on, in all; null: no limit' })),
};

export const VoucherBody = Type.Object(
  {
    code: Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{2,31}$', description: 'Upper-case letters, digits, _ and -, 3–32 long; unique' }),
    per: Type.Union([Type.Literal('ticket'), Type.Literal('order')], { description: 'Off each ticket it applies to, or once off those tickets together' }),
    amount: FeeAmount,
    venue_id: Type.Optional(Nullable(Id('Only at this venue; null: every venue'))),
    showtime_ids: Type.Optional(Nullable(Type.Array(Id(), { minItems: 1, maxItems: 1000, description: 'Only for these showtimes' }))),
    movie_ids: Type.Optional(Nullable(Type.Array(Id(), { minItems: 1, maxItems: 1000, description: 'Only for these movies' }))),
    ticket_types: Type.Optional(Nullable(Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$' }), { minItems: 1, maxItems: 50, description: 'Only for tickets of these types' }))),
    seat_kinds: Type.Optional(Nullable(Type.Array(SeatKind, { minItems: 1, maxItems: 3, description: 'Only for seats of these kinds' }))),
    description: Type.Optional(voucherLimits.description),
    valid_from: Type.Optional(voucherLimits.valid_from),
    valid_until: Type.Optional(voucherLimits.valid_until),
    max_uses: Type.Optional(voucherLimits.max_uses),
  },
  { additionalProperties: false },
);
export type VoucherBody = Static<typeof VoucherBody>;

export const VoucherPatch = Type.Partial(
  Type.Object({ ...voucherLimits, active: Type.Boolean({ description: 'false: no longer redeemable' }) }),
  { additionalProperties: false, description: 'Only the fields to change; at least one. What a voucher takes off and where it applies cannot change.' },
);
export type VoucherPatch = Static<typeof VoucherPatch>;

export const Voucher = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  description: Type.String(),
  per: Type.Union([Type.Literal('ticket'), Type.Literal('order')]),
  amount: FeeAmount,
  venue_id: Nullable(Type.Integer()),
  showtime_ids: Nullable(Type.Array(Type.Integer())),
  movie_ids: Nullable(Type.Array(Type.Integer())),
  ticket_types: Nullable(Type.Array(Type.String())),
  seat_kinds: Nullable(Type.Array(SeatKind)),
  valid_from: Nullable(Type.String()),
  valid_until: Nullable(Type.String()),
  max_uses: Nullable(Type.Integer()),
  uses: Type.Integer(),
  active: Type.Boolean(),
});
export type Voucher = Static<typeof Voucher>;
export const VoucherList = Type.Object({ items: Type.Array(Voucher) });
