import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DB, SeatStatus } from '../db/schema.ts';

/**
 * Seat changes, announced to every server process through PostgreSQL
 * LISTEN/NOTIFY.
 *
 * Writers call `announceSeatChanges` inside the transaction that changes the
 * seats: PostgreSQL delivers a notification only when that transaction
 * commits, in commit order, so a rolled-back change never announces itself
 * and no process sees a change before it is real. Each process keeps one
 * listening connection (`startSeatEventHub`) and fans events out to the event
 * streams of its own viewers, by show.
 *
 * Events never carry a user id: a viewer learns whether a held seat is theirs
 * only from the hall layout, which checks who is asking.
 */

export const SEAT_EVENTS_CHANNEL = 'boxoffice_seat_events';

export type SeatEvent = { seat_id: number; status: SeatStatus; locked_until: string | null };

/**
 * On the wire: {"s": show id, "c": [[seat id, status, locked_until], …]}, well under NOTIFY's
 * 8000-byte limit per chunk; or {"s": show id, "x": status} when the showtime itself changed.
 */
type Payload = { s: number; c?: [number, SeatStatus, string | null][]; x?: ShowStatus };
export type ShowStatus = 'scheduled' | 'cancelled';
const SEATS_PER_NOTIFICATION = 100;

export async function announceSeatChanges(trx: Transaction<DB>, showId: number, events: readonly SeatEvent[]): Promise<void> {
  if (events.length > 0) {
    await announceSeatChangesQuery(showId, events).execute(trx);
  }
}

/** The statement announceSeatChanges runs (the benchmark sends it too). */
export function announceSeatChangesQuery(showId: number, events: readonly SeatEvent[]) {
  const payloads: string[] = [];
  for (let i = 0; i < events.length; i += SEATS_PER_NOTIFICATION) {
    const chunk = events.slice(i, i + SEATS_PER_NOTIFICATION);
    const payload: Payload = { s: showId, c: chunk.map((e) => [e.seat_id, e.status, e.locked_until]) };
    payloads.push(JSON.stringify(payload));
  }
  return sql`SELECT pg_notify(${SEAT_EVENTS_CHANNEL}, payload) FROM unnest(${sql.val(payloads)}::text[]) AS payload`;
}

/** The showtime itself changed (e.g. staff cancelled it): viewers are told, and read the seats again. */
export async function announceShowStatus(trx: Transaction<DB>, showId: number, status: ShowStatus): Promise<void> {
  const payload: Payload = { s: showId, x: status };
  await sql`SELECT pg_notify(${SEAT_EVENTS_CHANNEL}, ${JSON.stringify(payload)})`.execute(trx);
}

/** Groups released rows by show and announces them as available. */
export async function announceReleased(trx: Transaction<DB>, released: readonly { showtime_id: number; seat_id: number }[]): Promise<void> {
  const byShow = new Map<number, SeatEvent[]>();
  for (const row of released) {
    byShow.set(row.showtime_id, [...(byShow.get(row.showtime_id) ?? []), { seat_id: row.seat_id, status: 'available', locked_until: null }]);
  }
  for (const [showId, events] of byShow) {
    await announceSeatChanges(trx, showId, events);
  }
}

function parsePayload(text: string | undefined): { showId: number; message: HubMessage } | undefined {
  try {
    const payload = JSON.parse(text ?? '') as Payload;
    if (payload.x !== undefined) {
      return { showId: payload.s, message: { type: 'show', status: payload.x } };
    }
    const events = (payload.c ?? []).map(([seat_id, status, locked_until]) => ({ seat_id, status, locked_until }));
    return { showId: payload.s, message: { type: 'seats', events } };
  } catch {
    return undefined;
  }
}

/**
 * What a subscriber receives: seat changes, a change of the showtime itself,
 * or "you may have missed some: read everything again".
 */
export type HubMessage = { type: 'seats'; events: SeatEvent[] } | { type: 'show'; status: ShowStatus } | { type: 'resync' };
type Subscriber = (message: HubMessage) => void;

export type SeatEventHub = {
  /** Calls `subscriber` for every change of the show, from now on; returns the unsubscribe. */
  subscribe(showId: number, subscriber: Subscriber): () => void;
  /** Resolves once the listening connection is up (for tests and startup ordering). */
  ready(): Promise<void>;
  close(): Promise<void>;
};

/**
 * One LISTEN connection per process. When it drops (database restart), it
 * reconnects with backoff and tells every subscriber to resync, since
 * notifications sent while it was away are gone.
 */
export function startSeatEventHub(config: pg.ClientConfig, log: Logger): SeatEventHub {
  const subscribers = new Map<number, Set<Subscriber>>();
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let readyResolve: (() => void) | undefined;
  let readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
  let everConnected = false;

  const broadcast = (showId: number | undefined, message: HubMessage): void => {
    const targets = showId === undefined ? [...subscribers.values()] : [subscribers.get(showId) ?? new Set<Subscriber>()];
    for (const set of targets) {
      for (const subscriber of set) {
        subscriber(message);
      }
    }
  };

  const connect = async (attempt: number): Promise<void> => {
    if (closed) {
      return;
    }
    const next = new pg.Client(config);
    next.on('notification', (notification) => {
      const parsed = parsePayload(notification.payload);
      if (parsed !== undefined) {
        broadcast(parsed.showId, parsed.message);
      }
    });
    next.on('error', (error) => log.warn({ err: error }, 'seat event listener lost its connection'));
    next.on('end', () => {
      if (client === next) {
        client = undefined;
        readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
        scheduleReconnect(1);
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${SEAT_EVENTS_CHANNEL}`);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      if (everConnected) {
        log.info('seat event listener reconnected; viewers resync');
        broadcast(undefined, { type: 'resync' });
      }
      everConnected = true;
      readyResolve?.();
    } catch (error) {
      await next.end().catch(() => undefined);
      log.warn({ err: error, attempt }, 'seat event listener cannot connect yet; retrying');
      scheduleReconnect(attempt + 1);
    }
  };

  const scheduleReconnect = (attempt: number): void => {
    if (closed) {
      return;
    }
    retryTimer = setTimeout(() => void connect(attempt), Math.min(200 * 2 ** attempt, 5_000));
    retryTimer.unref();
  };

  void connect(0);

  return {
    subscribe(showId, subscriber) {
      const set = subscribers.get(showId) ?? new Set<Subscriber>();
      set.add(subscriber);
      subscribers.set(showId, set);
      return () => {
        set.delete(subscriber);
        if (set.size === 0) {
          subscribers.delete(showId);
        }
      };
    },
    ready: () => readyPromise,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      subscribers.clear();
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
