import { Type, type Static } from 'typebox';
import { Id } from '../http/route-helpers.ts';
import { Money } from '../shared/money.ts';

const PerOrder = Type.Integer({ minimum: 1, maximum: 100 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const fields = {
  code: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$', description: 'Upper-case letters, digits and _, 2–20 long, e.g. "CHILD"; unique' }),
  name: Type.String({ minLength: 1, maxLength: 60, description: 'What the moviegoer reads, e.g. "Child (under 12)"' }),
  sold_online: Type.Boolean({ description: 'Offered in the web app and the public API; default true' }),
  sold_at_box_office: Type.Boolean({ description: 'Offered to cashiers; default true. At least one of the two.' }),
  min_per_order: Nullable(PerOrder),
  max_per_order: Nullable(PerOrder),
  staff_only: Type.Boolean({ description: 'Only staff may sell it (e.g. complimentary tickets); default false' }),
  active: Type.Boolean({ description: 'Retired types are kept for the bookings that used them, and no longer sold; default true' }),
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
