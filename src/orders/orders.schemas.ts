import { Type, type Static } from 'typebox';
import { Id, Nullable } from '../http/route-helpers.ts';
import { Money } from '../shared/money.ts';

const TicketCode = Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,19}$', description: 'A ticket type code, e.g. "ADULT"' });

export const CreateOrderBody = Type.Object(
  {
    show_id: Id('The showtime'),
    tickets: Type.Array(Type.Object({ seat_id: Id('A seat you hold on this showtime'), ticket_type: TicketCode }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 100,
      description: 'One ticket per held seat',
    }),
    voucher: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'A voucher or promo code' })),
    payment_method: Type.Optional(
      Type.Union([Type.Literal('card'), Type.Literal('box_office')], { description: '"card" (default) through the payment provider; "box_office" for staff sales paid at the till' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

export const OrderStatus = Type.Union([
  Type.Literal('pending_payment'),
  Type.Literal('paid'),
  Type.Literal('cancelled'),
  Type.Literal('expired'),
  Type.Literal('refunded'),
]);

const Named = Type.Object({ id: Type.Integer(), name: Type.String() });

export const Order = Type.Object(
  {
    id: Type.Integer(),
    reference: Type.String({ description: 'Also the reference of its bookings; read out at the box office' }),
    status: OrderStatus,
    show: Type.Object({
      id: Type.Integer(),
      starts_at: Type.String({ format: 'date-time' }),
      movie: Type.Object({ id: Type.Integer(), title: Type.String() }),
      hall: Named,
      venue: Type.Object({ id: Type.Integer(), name: Type.String(), city: Type.String() }),
    }),
    lines: Type.Array(
      Type.Object({
        seat: Type.Object({ id: Type.Integer(), row: Type.String(), number: Type.Integer(), kind: Type.String() }),
        ticket_type: Type.Object({ code: Type.String(), name: Type.String() }),
        price: Money,
        discount: Money,
        fee: Money,
        tax: Money,
        total: Money,
        booking_id: Nullable(Type.Integer()),
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
    expires_at: Type.String({ format: 'date-time', description: 'The end of the payment window: the seats are held until then' }),
    created_at: Type.String({ format: 'date-time' }),
    paid_at: Nullable(Type.String({ format: 'date-time' })),
    payment: Type.Object({
      method: Type.Union([Type.Literal('card'), Type.Literal('box_office'), Type.Literal('free')]),
      provider: Nullable(Type.Union([Type.Literal('test'), Type.Literal('stripe')])),
      status: Nullable(Type.String({ description: 'requires_payment, requires_action, processing, succeeded, canceled or refunded' })),
      id: Nullable(Type.String()),
      client_secret: Nullable(Type.String({ description: 'For the payment form; only to the owner, only while pending_payment' })),
      last_error: Nullable(Type.String()),
    }),
  },
);
export type Order = Static<typeof Order>;

export const OrderList = Type.Object({ items: Type.Array(Order), next_cursor: Nullable(Type.String()) });

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const StaffOrderQuery = Type.Object(
  {
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'An order or booking reference (case and spaces ignored)' })),
    show_id: Type.Optional(Id()),
    status: Type.Optional(OrderStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const CheckoutConfig = Type.Object({
  provider: Type.Union([Type.Literal('test'), Type.Literal('stripe')]),
  publishable_key: Nullable(Type.String()),
  payment_window_seconds: Type.Integer(),
  test_cards: Type.Array(Type.Object({ number: Type.String(), outcome: Type.String(), description: Type.String() })),
});

export const PaymentParams = Type.Object({ payment_id: Type.String({ minLength: 1, maxLength: 100 }) });
export const ProviderParams = Type.Object({ provider: Type.String({ minLength: 1, maxLength: 20 }) });

export const TestConfirmBody = Type.Object(
  {
    client_secret: Type.String({ minLength: 1, maxLength: 200 }),
    card_number: Type.String({ minLength: 12, maxLength: 30, pattern: '^[0-9 -]+$', description: 'One of the test cards (GET /api/checkout/config)' }),
  },
  { additionalProperties: false },
);
export const TestAuthenticateBody = Type.Object(
  { client_secret: Type.String({ minLength: 1, maxLength: 200 }), approve: Type.Boolean() },
  { additionalProperties: false },
);
export const TestPaymentReply = Type.Object({ status: Type.String(), message: Nullable(Type.String()) });
