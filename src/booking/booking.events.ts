import type { FastifyInstance } from 'fastify';
import type { SSEMessage } from '@fastify/sse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorReplies } from '../http/route-helpers.ts';
import type { Config } from '../config.ts';
import { AppError, notFound } from '../shared/errors.ts';
import { bookingErrors } from './booking.errors.ts';
import { ShowParams } from './booking.schemas.ts';
import type { LayoutCache } from './layout-cache.ts';
import type { HubMessage, SeatEvent, SeatEventHub } from './seat-events.ts';

/** Events a viewer may fall behind by before we drop it; EventSource reconnects and gets a fresh snapshot. */
const MAX_PENDING_EVENTS = 500;
/** EventSource waits this long before reconnecting (sent with the first event). */
const RETRY_MS = 2_000;
/**
 * A stream that reached its lifetime tells EventSource to come back after a
 * random delay up to this: together with the lifetime's own jitter, the
 * viewers of a busy show do not all reconnect (and read a snapshot) at once.
 */
const LIFETIME_RETRY_MAX_MS = 10_000;
/** A stream lives between this share of the configured lifetime and all of it. */
const LIFETIME_JITTER = 0.2;

type StreamLimits = Pick<Config, 'sseMaxStreams' | 'sseMaxStreamsPerClient' | 'sseMaxLifetimeSeconds'>;

/**
 * Open streams, per process and per client address. A stream costs memory
 * and a snapshot for as long as it is open, so an anonymous client may hold
 * only a few (429), and a process only as many as it can feed (503: another
 * process, or later). `take` counts a stream from before its snapshot is
 * read until its connection closes, whoever closes it.
 */
function createStreamSlots(limits: StreamLimits): { take(client: string): () => void; count(): number } {
  let total = 0;
  const perClient = new Map<string, number>();
  return {
    take(client) {
      const mine = perClient.get(client) ?? 0;
      if (mine >= limits.sseMaxStreamsPerClient) {
        throw new AppError(429, bookingErrors.tooManyStreams, undefined, 'streams_per_client');
      }
      if (total >= limits.sseMaxStreams) {
        throw new AppError(503, bookingErrors.streamsFull, undefined, 'streams_per_process');
      }
      total++;
      perClient.set(client, mine + 1);
      let released = false;
      return () => {
        if (released) {
          return;
        }
        released = true;
        total--;
        const left = (perClient.get(client) ?? 1) - 1;
        if (left === 0) {
          perClient.delete(client);
        } else {
          perClient.set(client, left);
        }
      };
    },
    count: () => total,
  };
}

/**
 * `data` is JSON text built once and shared by every viewer (the snapshot of
 * a version, one seat event); the SSE plugin's serializer passes text through.
 */
type Outgoing = { event: 'snapshot' | 'seat' | 'show'; data: string };

/** What a viewer sees of a seat change: no version, no user id. */
const publicSeatEvent = (event: SeatEvent): string =>
  JSON.stringify({ seat_id: event.seat_id, status: event.status, locked_until: event.locked_until });

async function readSnapshot(cache: LayoutCache, showId: number): Promise<string> {
  const snapshot = await cache.streamSnapshot(showId);
  if (snapshot === undefined) {
    throw notFound(bookingErrors.showNotFound);
  }
  return snapshot;
}

/**
 * Streams one show to one viewer: subscribe first, then read the snapshot,
 * send it, then the changes that arrived meanwhile and everything after.
 * Changes are "seat X is now S", applied in commit order, so one that is both
 * in the snapshot and in the buffer is harmless. A resync (the listener
 * reconnected) sends a fresh snapshot.
 */
async function watchShow(cache: LayoutCache, hub: SeatEventHub, showId: number, send: (message: Outgoing) => void, end: () => void): Promise<() => void> {
  let buffered: HubMessage[] | undefined = [];
  let resyncing = false;
  const resync = async (): Promise<void> => {
    if (resyncing) {
      return;
    }
    resyncing = true;
    try {
      send({ event: 'snapshot', data: await readSnapshot(cache, showId) });
    } finally {
      resyncing = false;
    }
  };
  const deliver = (message: HubMessage): void => {
    if (message.type === 'resync') {
      void resync().catch(() => undefined);
      return;
    }
    if (message.type === 'show') {
      // The showtime changed under the viewer (cancelled, moved, re-priced, new seats): say so, then the seats as they are now.
      send({ event: 'show', data: JSON.stringify({ show_id: showId, status: message.status }) });
      if (message.status === 'cancelled' || message.status === 'deleted') {
        // Nothing will change any more: that was the last event.
        end();
        return;
      }
      void resync().catch(() => undefined);
      return;
    }
    for (const event of message.events) {
      // Changes published after commit by different processes may arrive out of order: never send
      // one older than what this process already knows of the seat (and so may have sent).
      if (event.version >= (cache.versionOf(showId, event.seat_id) ?? 0)) {
        send({ event: 'seat', data: publicSeatEvent(event) });
      }
    }
  };
  const unsubscribe = hub.subscribe(showId, (message) => (buffered === undefined ? deliver(message) : buffered.push(message)));
  try {
    send({ event: 'snapshot', data: await readSnapshot(cache, showId) });
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const early = buffered;
  buffered = undefined;
  early.forEach(deliver);
  return unsubscribe;
}

/**
 * GET /api/shows/{show_id}/events: Server-Sent Events, public like the layout.
 * `snapshot` first (and again after any reconnect of ours), then one `seat`
 * event per change, from whichever server process made it.
 */
export async function seatEventRoutes(app: FastifyInstance, { hub, cache, config }: { hub: SeatEventHub; cache: LayoutCache; config: StreamLimits }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const open = new Set<() => void>();
  const slots = createStreamSlots(config);
  // Streams never end on their own; close them first so shutdown is not held up.
  app.addHook('preClose', async () => {
    for (const close of open) {
      close();
    }
  });

  api.get(
    '/api/shows/:show_id/events',
    {
      sse: { kind: 'only', heartbeat: true },
      // A compressor would hold events back until its buffer fills.
      compress: false,
      // Fastify's automatic HEAD would run this handler and stream forever; the HEAD route below answers instead.
      exposeHeadRoute: false,
      // The SSE plugin answers an Accept that refuses text/event-stream by itself, as {statusCode, error, message},
      // past the error handler: say it as every other error is said (SPEC §3).
      preSerialization: async (_request, reply, payload) => (reply.statusCode === 406 ? { detail: bookingErrors.streamOnly } : payload),
      schema: {
        tags: ['booking'],
        summary: 'Live seat changes of a showtime (Server-Sent Events: snapshot, then seat events)',
        security: [{}, { bearer: [] }],
        params: ShowParams,
        response: {
          200: {
            description:
              'text/event-stream. `event: snapshot` `{show_id, seats: [{seat_id, status, locked_until}]}` on connect (and after any reconnect), then `event: seat` `{seat_id, status, locked_until}` per change, and `event: show` `{show_id, status}` when staff cancel or change the showtime (read it again); after `cancelled` or `deleted` the stream ends. Streams end after SSE_MAX_LIFETIME_SECONDS (EventSource reconnects). Never a user id.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorReplies(400, 404, 406, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const showId = request.params.show_id;
      const release = slots.take(request.ip);
      let unsubscribe: () => void;
      try {
        await readSnapshot(cache, showId); // 404 before the stream opens; cached, so the snapshot below is free
        reply.sse.keepAlive();
      } catch (error) {
        release();
        throw error;
      }
      let nextId = 1;
      let pending = 0;
      const close = (): void => reply.sse.close();
      /** Ends the stream once what is queued has gone out; the client reconnects after `retryMs`. */
      const end = (retryMs: number): void => {
        if (reply.sse.isConnected) {
          // A block with only `retry:` dispatches no event (the plugin supports it; its types insist on data).
          reply.sse
            .send({ retry: retryMs } as unknown as SSEMessage)
            .catch(() => undefined)
            .finally(close);
        }
      };
      const send = (message: Outgoing): void => {
        if (!reply.sse.isConnected) {
          return;
        }
        if (pending >= MAX_PENDING_EVENTS) {
          request.log.warn({ showId }, 'event stream viewer fell too far behind; closing it (it will reconnect with a snapshot)');
          close();
          return;
        }
        pending++;
        // The first event also tells EventSource to reconnect after 2 s (it then gets a fresh snapshot).
        const id = nextId++;
        reply.sse
          .send({ id: String(id), event: message.event, data: message.data, ...(id === 1 ? { retry: RETRY_MS } : {}) })
          .catch(() => close())
          .finally(() => pending--);
      };
      // Once ended by a cancellation, EventSource may still come back: wait a minute (the web app closes it itself).
      const endShow = (): void => end(60_000);
      try {
        unsubscribe = await watchShow(cache, hub, showId, send, endShow);
      } catch (error) {
        release();
        throw error;
      }
      // No stream lives forever (a viewer's address may change hands, a process may be draining): end it and
      // let EventSource come back with a fresh snapshot, spread over time so a show's viewers do not return in one wave.
      const lifetimeMs = config.sseMaxLifetimeSeconds * 1_000 * (1 - LIFETIME_JITTER * Math.random());
      const lifetimeTimer = setTimeout(() => end(Math.round(RETRY_MS + Math.random() * (LIFETIME_RETRY_MAX_MS - RETRY_MS))), lifetimeMs);
      lifetimeTimer.unref();
      let finished = false;
      const finish = (): void => {
        if (!finished) {
          finished = true;
          clearTimeout(lifetimeTimer);
          unsubscribe();
          open.delete(close);
          release();
        }
      };
      open.add(close);
      reply.sse.onClose(finish);
      if (!reply.sse.isConnected) {
        // The client left while we were reading the snapshot, before onClose was registered.
        finish();
      }
    },
  );

  // HEAD answers like GET without a body, and at once: a HEAD must never wait for a stream.
  api.head(
    '/api/shows/:show_id/events',
    {
      schema: {
        hide: true,
        params: ShowParams,
      },
    },
    async (request, reply) => {
      await readSnapshot(cache, request.params.show_id);
      return reply.code(200).header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send();
    },
  );
}
