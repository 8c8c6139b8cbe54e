import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorReplies } from '../http/route-helpers.ts';
import { notFound } from '../shared/errors.ts';
import { bookingErrors } from './booking.errors.ts';
import { ShowParams } from './booking.schemas.ts';
import type { LayoutCache } from './layout-cache.ts';
import type { HubMessage, SeatEvent, SeatEventHub } from './seat-events.ts';

/** Events a viewer may fall behind by before we drop it; EventSource reconnects and gets a fresh snapshot. */
const MAX_PENDING_EVENTS = 500;

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
async function watchShow(cache: LayoutCache, hub: SeatEventHub, showId: number, send: (message: Outgoing) => void): Promise<() => void> {
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
export async function seatEventRoutes(app: FastifyInstance, { hub, cache }: { hub: SeatEventHub; cache: LayoutCache }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const open = new Set<() => void>();
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
      schema: {
        tags: ['booking'],
        summary: 'Live seat changes of a showtime (Server-Sent Events: snapshot, then seat events)',
        security: [{}, { bearer: [] }],
        params: ShowParams,
        response: {
          200: {
            description:
              'text/event-stream. `event: snapshot` `{show_id, seats: [{seat_id, status, locked_until}]}` on connect (and after any reconnect), then `event: seat` `{seat_id, status, locked_until}` per change, and `event: show` `{show_id, status}` when staff cancel or change the showtime (read it again). Never a user id.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorReplies(400, 404),
        },
      },
    },
    async (request, reply) => {
      const showId = request.params.show_id;
      await readSnapshot(cache, showId); // 404 before the stream opens; cached, so the snapshot below is free
      reply.sse.keepAlive();
      let nextId = 1;
      let pending = 0;
      const close = (): void => reply.sse.close();
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
          .send({ id: String(id), event: message.event, data: message.data, ...(id === 1 ? { retry: 2_000 } : {}) })
          .catch(() => close())
          .finally(() => pending--);
      };
      const unsubscribe = await watchShow(cache, hub, showId, send);
      open.add(close);
      reply.sse.onClose(() => {
        unsubscribe();
        open.delete(close);
      });
    },
  );
}
