import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { currentUser, requireStaff } from '../accounts/index.ts';
import type { Database } from '../db/database.ts';
import { errorReplies, IdParams } from '../http/route-helpers.ts';
import * as cards from './price-cards.service.ts';
import * as quotes from './quote.service.ts';
import * as vouchers from './vouchers.service.ts';
import {
  PriceCard,
  PriceCardBody,
  PriceCardList,
  PriceCardPatch,
  PriceCardsQuery,
  Quote,
  QuoteBody,
  ShowtimeCardBody,
  ShowtimePrices,
  TicketType,
  TicketTypeBody,
  TicketTypeList,
  TicketTypePatch,
  VenuePricing,
  Voucher,
  VoucherBody,
  VoucherList,
  VoucherPatch,
} from './pricing.schemas.ts';
import * as pricing from './pricing.service.ts';

const actor = (request: FastifyRequest) => ({ userId: currentUser(request).id });

/** Ticket types and price cards (src/pricing/README.md): what the public sees of them, and the staff routes that manage them. */
export async function pricingRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const staff = { tags: ['staff'], security: [{ bearer: [] }] };

  api.get(
    '/api/ticket-types',
    { schema: { tags: ['pricing'], summary: 'Ticket types on sale online, by id', response: { 200: TicketTypeList } } },
    async () => pricing.listTicketTypes(db, 'public'),
  );

  api.get(
    '/api/admin/ticket-types',
    { schema: { ...staff, summary: 'Every ticket type, retired and staff-only ones included', response: { 200: TicketTypeList, ...errorReplies(401, 403) } }, onRequest: requireStaff },
    async () => pricing.listTicketTypes(db, 'staff'),
  );

  api.post(
    '/api/admin/ticket-types',
    {
      schema: { ...staff, summary: 'Create a ticket type', body: TicketTypeBody, response: { 201: TicketType, ...errorReplies(400, 401, 403, 409) } },
      onRequest: requireStaff,
    },
    async (request, reply) => reply.code(201).send(await pricing.createTicketType(db, request.body, actor(request))),
  );

  api.patch(
    '/api/admin/ticket-types/:id',
    {
      schema: {
        ...staff,
        summary: 'Change a ticket type (not its code); active: false retires it',
        params: IdParams,
        body: TicketTypePatch,
        response: { 200: TicketType, ...errorReplies(400, 401, 403, 404) },
      },
      onRequest: requireStaff,
    },
    async (request) => pricing.updateTicketType(db, request.params.id, request.body, actor(request)),
  );

  api.get(
    '/api/showtimes/:id/prices',
    {
      schema: {
        tags: ['pricing'],
        summary: "What the showtime's seats cost, by ticket type on sale online and seat kind of its hall, with the range",
        params: IdParams,
        response: { 200: ShowtimePrices, ...errorReplies(400, 404) },
      },
    },
    async (request) => cards.showtimePrices(db, request.params.id),
  );

  api.get(
    '/api/admin/price-cards',
    { schema: { ...staff, summary: "A venue's price cards", querystring: PriceCardsQuery, response: { 200: PriceCardList, ...errorReplies(400, 401, 403) } }, onRequest: requireStaff },
    async (request) => cards.listPriceCards(db, request.query.venue_id),
  );

  api.post(
    '/api/admin/price-cards',
    {
      schema: { ...staff, summary: 'Create a price card', body: PriceCardBody, response: { 201: PriceCard, ...errorReplies(400, 401, 403, 404, 409) } },
      onRequest: requireStaff,
    },
    async (request, reply) => reply.code(201).send(await cards.createPriceCard(db, request.body, actor(request))),
  );

  api.patch(
    '/api/admin/price-cards/:id',
    {
      schema: {
        ...staff,
        summary: "Rename a price card, make it the default, or replace its prices (bookings keep what they paid)",
        params: IdParams,
        body: PriceCardPatch,
        response: { 200: PriceCard, ...errorReplies(400, 401, 403, 404, 409) },
      },
      onRequest: requireStaff,
    },
    async (request) => cards.updatePriceCard(db, request.params.id, request.body, actor(request)),
  );

  api.delete(
    '/api/admin/price-cards/:id',
    {
      schema: { ...staff, summary: 'Delete a price card no showtime uses', params: IdParams, response: { 204: Type.Null({ description: 'Deleted.' }), ...errorReplies(400, 401, 403, 404, 409) } },
      onRequest: requireStaff,
    },
    async (request, reply) => {
      await cards.deletePriceCard(db, request.params.id, actor(request));
      return reply.code(204).send(null);
    },
  );

  api.put(
    '/api/admin/showtimes/:id/price-card',
    {
      schema: {
        ...staff,
        summary: 'Give a showtime its own price card, or null for its hall\'s or venue\'s default',
        params: IdParams,
        body: ShowtimeCardBody,
        response: { 200: ShowtimePrices, ...errorReplies(400, 401, 403, 404) },
      },
      onRequest: requireStaff,
    },
    async (request) => cards.setShowtimePriceCard(db, request.params.id, request.body.price_card_id, actor(request)),
  );

  api.get(
    '/api/admin/venues/:id/pricing',
    { schema: { ...staff, summary: "A venue's booking fee and tax", params: IdParams, response: { 200: VenuePricing, ...errorReplies(400, 401, 403, 404) } }, onRequest: requireStaff },
    async (request) => quotes.getVenuePricing(db, request.params.id),
  );

  api.put(
    '/api/admin/venues/:id/pricing',
    {
      schema: {
        ...staff,
        summary: "Set a venue's booking fee (null: none) and tax; what was paid stays paid",
        params: IdParams,
        body: VenuePricing,
        response: { 200: VenuePricing, ...errorReplies(400, 401, 403, 404) },
      },
      onRequest: requireStaff,
    },
    async (request) => quotes.setVenuePricing(db, request.params.id, request.body, actor(request)),
  );

  api.post(
    '/api/quote',
    {
      schema: {
        tags: ['pricing'],
        summary: 'What tickets of one showtime would cost, line by line, with the booking fee and tax (nothing is held)',
        body: QuoteBody,
        response: { 200: Quote, ...errorReplies(400, 404, 409) },
      },
    },
    async (request) => quotes.quote(db, request.body),
  );

  api.get(
    '/api/admin/vouchers',
    { schema: { ...staff, summary: 'Every voucher, with its uses', response: { 200: VoucherList, ...errorReplies(401, 403) } }, onRequest: requireStaff },
    async () => vouchers.listVouchers(db),
  );

  api.post(
    '/api/admin/vouchers',
    { schema: { ...staff, summary: 'Create a voucher or promo code', body: VoucherBody, response: { 201: Voucher, ...errorReplies(400, 401, 403, 404, 409) } }, onRequest: requireStaff },
    async (request, reply) => reply.code(201).send(await vouchers.createVoucher(db, request.body, actor(request))),
  );

  api.patch(
    '/api/admin/vouchers/:id',
    {
      schema: { ...staff, summary: "Change a voucher's description, validity, uses or active flag", params: IdParams, body: VoucherPatch, response: { 200: Voucher, ...errorReplies(400, 401, 403, 404) } },
      onRequest: requireStaff,
    },
    async (request) => vouchers.updateVoucher(db, request.params.id, request.body, actor(request)),
  );
}
