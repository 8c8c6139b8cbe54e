import { Type, type Static } from 'typebox';

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
