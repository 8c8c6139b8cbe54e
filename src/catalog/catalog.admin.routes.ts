import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.ts';
import { currentUser, requireStaff } from '../accounts/index.ts';
import { errorReplies } from '../http/route-helpers.ts';
import { Hall, HallBody, Movie, MovieBody, Showtime, ShowtimeBody, Venue, VenueBody } from './catalog.schemas.ts';
import * as catalog from './catalog.service.ts';

const actor = (request: FastifyRequest): catalog.Actor => ({ userId: currentUser(request).id });

/** Staff catalog endpoints (SPEC §6). */
export async function catalogAdminRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const staff = { tags: ['staff'], security: [{ bearer: [] }] };
  const failures = errorReplies(400, 401, 403, 404, 409);

  api.post(
    '/api/admin/venues',
    { schema: { ...staff, summary: 'Create a venue', body: VenueBody, response: { 201: Venue, ...failures } }, onRequest: requireStaff },
    async (request, reply) => reply.code(201).send(await catalog.createVenue(db, request.body, actor(request))),
  );

  api.post(
    '/api/admin/halls',
    {
      schema: { ...staff, summary: 'Create a hall and its seats from rows', body: HallBody, response: { 201: Hall, ...failures } },
      onRequest: requireStaff,
    },
    async (request, reply) => reply.code(201).send(await catalog.createHall(db, request.body, actor(request))),
  );

  api.post(
    '/api/admin/movies',
    { schema: { ...staff, summary: 'Create a movie', body: MovieBody, response: { 201: Movie, ...failures } }, onRequest: requireStaff },
    async (request, reply) => reply.code(201).send(await catalog.createMovie(db, request.body, actor(request))),
  );

  api.post(
    '/api/admin/showtimes',
    {
      schema: {
        ...staff,
        summary: 'Schedule a showtime (its seats are created with it)',
        body: ShowtimeBody,
        response: { 201: Showtime, ...failures },
      },
      onRequest: requireStaff,
    },
    async (request, reply) => reply.code(201).send(await catalog.createShowtime(db, request.body, actor(request))),
  );
}
