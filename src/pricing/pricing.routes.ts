import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { currentUser, requireStaff } from '../accounts/index.ts';
import type { Database } from '../db/database.ts';
import { errorReplies, Id } from '../http/route-helpers.ts';
import { TicketType, TicketTypeBody, TicketTypeList, TicketTypePatch } from './pricing.schemas.ts';
import * as pricing from './pricing.service.ts';

const actor = (request: FastifyRequest) => ({ userId: currentUser(request).id });
const IdParams = Type.Object({ id: Id() });

/** Ticket types (src/pricing/README.md): the public list, and the staff routes that manage them. */
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
}
