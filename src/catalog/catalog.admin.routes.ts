import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.ts';
import { currentUser, requireStaff } from '../accounts/index.ts';
import { errorReplies } from '../http/route-helpers.ts';
import { Type } from 'typebox';
import type { ShowtimeSeats } from './catalog.ports.ts';
import {
  CancelReply,
  Hall,
  HallBody,
  HallPatch,
  IdParams,
  Movie,
  MovieBody,
  MoviePatch,
  Showtime,
  ShowtimeBody,
  ShowtimePatch,
  ShowtimeReport,
  Venue,
  VenueBody,
  VenuePatch,
} from './catalog.schemas.ts';
import * as catalog from './catalog.service.ts';
import * as staffOps from './catalog.staff.service.ts';

const actor = (request: FastifyRequest): catalog.Actor => ({ userId: currentUser(request).id });

/**
 * Staff catalog endpoints (SPEC §6). `showtimeSeats` is the booking domain's
 * (app.ts passes it in): the only way a staff change locks or writes show_seats.
 */
export async function catalogAdminRoutes(
  app: FastifyInstance,
  { db, reads, showtimeSeats: seats, maxSeatsPerHall }: { db: Database; reads: () => Database; showtimeSeats: ShowtimeSeats; maxSeatsPerHall: number },
): Promise<void> {
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
    async (request, reply) => reply.code(201).send(await catalog.createHall(db, request.body, actor(request), maxSeatsPerHall)),
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
    async (request, reply) => reply.code(201).send(await catalog.createShowtime(db, seats, request.body, actor(request))),
  );

  // ── staff changes: PATCH, DELETE, cancel, report ─────────────────────────
  const deleted = { 204: Type.Null({ description: 'Deleted, with everything under it.' }) };

  api.patch(
    '/api/admin/venues/:id',
    {
      schema: { ...staff, summary: 'Change a venue (name, city, time zone, default price)', params: IdParams, body: VenuePatch, response: { 200: Venue, ...failures } },
      onRequest: requireStaff,
    },
    async (request) => staffOps.updateVenue(db, request.params.id, request.body, actor(request)),
  );

  api.patch(
    '/api/admin/halls/:id',
    {
      schema: {
        ...staff,
        summary: 'Change a hall; new rows replace its seats (409 once any seat of the hall is booked)',
        params: IdParams,
        body: HallPatch,
        response: { 200: Hall, ...failures },
      },
      onRequest: requireStaff,
    },
    async (request) => staffOps.updateHall(db, seats, request.params.id, request.body, actor(request), maxSeatsPerHall),
  );

  api.patch(
    '/api/admin/movies/:id',
    {
      schema: {
        ...staff,
        summary: 'Change a movie; a new duration moves the end of its showtimes that have not started',
        params: IdParams,
        body: MoviePatch,
        response: { 200: Movie, ...failures },
      },
      onRequest: requireStaff,
    },
    async (request) => staffOps.updateMovie(db, request.params.id, request.body, actor(request)),
  );

  api.patch(
    '/api/admin/showtimes/:id',
    {
      schema: {
        ...staff,
        summary: 'Change a showtime; its time, hall and movie only while no seat is booked, prices at any time',
        params: IdParams,
        body: ShowtimePatch,
        response: { 200: Showtime, ...failures },
      },
      onRequest: requireStaff,
    },
    async (request) => staffOps.updateShowtime(db, seats, request.params.id, request.body, actor(request)),
  );

  for (const [entity, remove, summary] of [
    ['venues', staffOps.deleteVenue, 'Delete a venue with its halls, seats and showtimes'],
    ['halls', staffOps.deleteHall, 'Delete a hall with its seats and showtimes'],
    ['movies', staffOps.deleteMovie, 'Delete a movie with its showtimes'],
    ['showtimes', staffOps.deleteShowtime, 'Delete a showtime'],
  ] as const) {
    api.delete(
      `/api/admin/${entity}/:id`,
      {
        schema: {
          ...staff,
          summary: `${summary} (409 once anything under it is booked, cancelled shows included)`,
          params: IdParams,
          response: { ...deleted, ...errorReplies(400, 401, 403, 404, 409) },
        },
        onRequest: requireStaff,
      },
      async (request, reply) => {
        await remove(db, seats, request.params.id, actor(request));
        return reply.code(204).send(null);
      },
    );
  }

  api.post(
    '/api/admin/showtimes/:id/cancel',
    {
      schema: {
        ...staff,
        summary: 'Cancel a showtime: holds are released, sales stop, and the reply lists the bookings to refund',
        params: IdParams,
        response: { 200: CancelReply, ...errorReplies(400, 401, 403, 404, 409) },
      },
      onRequest: requireStaff,
    },
    async (request) => staffOps.cancelShowtime(db, seats, request.params.id, actor(request)),
  );

  api.get(
    '/api/admin/showtimes/:id/report',
    {
      schema: {
        ...staff,
        summary: 'Sold, held and available seats, revenue, and bookings per hour of one showtime',
        params: IdParams,
        response: { 200: ShowtimeReport, ...errorReplies(400, 401, 403, 404) },
      },
      onRequest: requireStaff,
    },
    // A report may be a moment behind (a replica within its lag bound).
    async (request) => staffOps.getShowtimeReport(reads(), request.params.id),
  );
}
