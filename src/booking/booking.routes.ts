import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { currentUser, requireUser } from '../accounts/index.ts';
import { errorReplies, rateLimitPerMinute } from '../http/route-helpers.ts';
import { money } from '../shared/money.ts';
import { bookingReplies } from './booking.errors.ts';
import {
  BookReply,
  BookSeatsReply,
  ConflictReply,
  DetailReply,
  HoldReply,
  HoldSeatsReply,
  LayoutReply,
  MyBookingsQuery,
  MyBookingsReply,
  ReleaseBody,
  SeatBody,
  SeatsBody,
  ShowParams,
} from './booking.schemas.ts';
import * as booking from './booking.service.ts';
import type { BookingSettings } from './booking.service.ts';
import { bookingErrors } from './booking.errors.ts';
import type { Encoded, LayoutCache } from './layout-cache.ts';
import type { SeatPublisher } from './seat-events.ts';
import { notFound } from '../shared/errors.ts';

/**
 * Sends prebuilt layout bytes: 304 when the client has this version
 * (If-None-Match), else the bytes in the encoding the cache chose. `no-cache`:
 * a client may keep it but must ask again, since seats change any moment.
 */
function sendCached(request: FastifyRequest, reply: FastifyReply, layout: Encoded) {
  reply.header('etag', layout.etag).header('cache-control', 'no-cache').header('vary', 'Accept-Encoding, Authorization, Cookie');
  const presented = request.headers['if-none-match'];
  if (presented !== undefined && presented.split(',').some((tag) => tag.trim().replace(/^W\//, '') === layout.etag)) {
    return reply.code(304).send();
  }
  if (layout.encoding !== 'identity') {
    reply.header('content-encoding', layout.encoding);
  }
  return reply.type('application/json; charset=utf-8').send(layout.body);
}

/** Seat counts the routes report once the service call returned, i.e. after the commit (STYLE §6). */
export type SeatMetrics = { seatsHeld(count: number): void; seatsBooked(count: number): void; seatWriteBatch(kind: 'hold' | 'book', size: number): void };

/** The design's three endpoints (SPEC §5), group holds and bookings, release, my bookings (SPEC §6). */
export async function bookingRoutes(
  app: FastifyInstance,
  { db, config, metrics, cache, publisher }: { db: Database; config: Config; metrics: SeatMetrics; cache: LayoutCache; publisher: SeatPublisher },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  // What a hold or booking committed reaches this process's layout cache at once, and the others by NOTIFY after commit.
  const settings: BookingSettings = {
    ...config,
    onSeatChanges: (showId, events) => {
      cache.apply(showId, events);
      publisher.publish(showId, events);
    },
    knownConflicts: (showId, userId, seatIds, write) => cache.knownConflicts(showId, userId, seatIds, write),
  };
  const writer = booking.createSeatWriter(db, settings, (kind, size) => metrics.seatWriteBatch(kind, size));
  // A seat write's answer is a few hundred bytes: not worth a compressor's onSend on the hottest routes.
  const seatWrite = {
    onRequest: requireUser,
    compress: false,
    config: rateLimitPerMinute(config.rateLimits.seatWritesPerMinute, 'user'),
  } as const;

  api.get(
    '/api/hall-layout/:show_id/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Seat states of one showtime; public',
        // Anonymous or authenticated: a holder sees `locked_by` on their own holds.
        security: [{}, { bearer: [] }],
        params: ShowParams,
        response: { 200: LayoutReply, ...errorReplies(400, 404) },
      },
    },
    async (request, reply) => {
      const layout = await cache.layout(request.params.show_id, request.user?.id ?? null, request.headers['accept-encoding']);
      if (layout === undefined) {
        throw notFound(bookingErrors.showNotFound);
      }
      return sendCached(request, reply, layout);
    },
  );

  api.post(
    '/api/hold-seat/',
    {
      schema: {
        tags: ['booking'],
        summary: `Hold a seat for ${config.holdTtlSeconds} s`,
        security: [{ bearer: [] }],
        body: SeatBody,
        response: { 200: HoldReply, 409: ConflictReply, ...errorReplies(400, 401, 403, 404, 429) },
      },
      ...seatWrite,
    },
    async (request) => {
      const user = currentUser(request);
      booking.assertActingForSelf(user.id, request.body.user_id);
      const { seats, newlyHeld } = await booking.holdSeats(writer, { userId: user.id, showId: request.body.show_id, seatIds: [request.body.seat_id] });
      metrics.seatsHeld(newlyHeld);
      return { detail: bookingReplies.held, locked_until: seats[0]?.locked_until.toISOString() ?? '' };
    },
  );

  api.post(
    '/api/book-seat/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Book a seat that is available or held by you',
        security: [{ bearer: [] }],
        body: SeatBody,
        response: { 200: BookReply, 201: BookReply, 409: ConflictReply, ...errorReplies(400, 401, 403, 404, 429) },
      },
      ...seatWrite,
    },
    async (request, reply) => {
      const user = currentUser(request);
      booking.assertActingForSelf(user.id, request.body.user_id);
      const result = await booking.bookSeats(writer, { userId: user.id, showId: request.body.show_id, seatIds: [request.body.seat_id] });
      metrics.seatsBooked(result.newlyBooked);
      return reply.code(result.created ? 201 : 200).send({
        detail: bookingReplies.booked,
        booking_id: result.bookings[0]?.id ?? 0,
        reference: result.bookings[0]?.reference ?? '',
        price: result.total,
      });
    },
  );

  const seatsBody = SeatsBody(config.maxSeatsPerUser);

  api.post(
    '/api/hold-seats/',
    {
      schema: {
        tags: ['booking'],
        summary: `Hold several seats for ${config.holdTtlSeconds} s, all or none`,
        security: [{ bearer: [] }],
        body: seatsBody,
        response: { 200: HoldSeatsReply, 409: ConflictReply, ...errorReplies(400, 401, 404, 429) },
      },
      ...seatWrite,
    },
    async (request) => {
      const user = currentUser(request);
      const { seats, newlyHeld } = await booking.holdSeats(writer, { userId: user.id, showId: request.body.show_id, seatIds: request.body.seat_ids });
      metrics.seatsHeld(newlyHeld);
      return { detail: bookingReplies.heldMany, seats: seats.map((seat) => ({ seat_id: seat.seat_id, locked_until: seat.locked_until.toISOString() })) };
    },
  );

  api.post(
    '/api/book-seats/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Book several seats (available or held by you) under one reference, all or none',
        security: [{ bearer: [] }],
        body: seatsBody,
        response: { 200: BookSeatsReply, 201: BookSeatsReply, 409: ConflictReply, ...errorReplies(400, 401, 404, 429) },
      },
      ...seatWrite,
    },
    async (request, reply) => {
      const user = currentUser(request);
      const result = await booking.bookSeats(writer, { userId: user.id, showId: request.body.show_id, seatIds: request.body.seat_ids });
      metrics.seatsBooked(result.newlyBooked);
      return reply.code(result.created ? 201 : 200).send({
        detail: bookingReplies.booked,
        reference: result.reference,
        bookings: result.bookings.map((b) => ({ booking_id: b.id, seat_id: b.seat_id, price: money(b.price_amount, b.currency) })),
        total: result.total,
      });
    },
  );

  api.post(
    '/api/release-seat/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Give back a seat you hold',
        security: [{ bearer: [] }],
        body: ReleaseBody,
        response: { 200: DetailReply, 409: ConflictReply, ...errorReplies(400, 401, 404, 429) },
      },
      ...seatWrite,
    },
    async (request) => {
      await booking.releaseSeats(db, { userId: currentUser(request).id, showId: request.body.show_id, seatIds: [request.body.seat_id] }, cache.apply);
      return { detail: bookingReplies.released };
    },
  );

  api.post(
    '/api/release-seats/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Give back several seats you hold, all or none',
        security: [{ bearer: [] }],
        body: seatsBody,
        response: { 200: DetailReply, 409: ConflictReply, ...errorReplies(400, 401, 404, 429) },
      },
      ...seatWrite,
    },
    async (request) => {
      await booking.releaseSeats(db, { userId: currentUser(request).id, showId: request.body.show_id, seatIds: request.body.seat_ids }, cache.apply);
      return { detail: bookingReplies.releasedMany };
    },
  );

  api.get(
    '/api/my-bookings/',
    {
      schema: {
        tags: ['booking'],
        summary: 'Your bookings, newest first, with the price paid',
        security: [{ bearer: [] }],
        querystring: MyBookingsQuery,
        response: { 200: MyBookingsReply, ...errorReplies(400, 401) },
      },
      onRequest: requireUser,
    },
    async (request) => booking.listMyBookings(db, currentUser(request).id, request.query),
  );
}
