import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Listener } from '../db/listener.ts';
import type { DB, SeatStatus } from '../db/schema.ts';

/**
 * Seat changes, announced to every server process through PostgreSQL
 * LISTEN/NOTIFY.
 *
 * Every update of `show_seats` announces itself through a trigger
 * (migration 0003), whoever made it: PostgreSQL delivers a notification only
 * when that transaction commits, in commit order, so a rolled-back change
 * never announces itself and no process sees a change before it is real.
 * Each process keeps one listening connection (`startSeatEventHub`) and fans
 * events out by show: to its layout cache and to its viewers' event streams.
 *
 * An event carries the seat's version (bumped on every update), so a cache
 * ignores one older than what it has, and the holder's user id, which only
 * the layout cache uses (to show `locked_by` to the holder alone); event
 * streams never pass a user id on.
 */

export const SEAT_EVENTS_CHANNEL = 'boxoffice_seat_events';

export type SeatEvent = { seat_id: number; status: SeatStatus; locked_until: string | null; version: number; holder: number | null };
export type SeatChangeTuple = [number, SeatStatus, string | null, number, number | null];

export const seatEventOf = ([seat_id, status, locked_until, version, holder]: SeatChangeTuple): SeatEvent => ({
  seat_id,
  status,
  locked_until,
  version,
  holder,
});

/** A seat made available again (released, or its hold expired), as an event. */
export const releasedEvent = (row: { seat_id: number; version: number }): SeatEvent => ({
  seat_id: row.seat_id,
  status: 'available',
  locked_until: null,
  version: row.version,
  holder: null,
});

/**
 * On the wire: {"s": show id, "c": [[seat id, status, locked_until, version, holder], …]} (the
 * trigger's), or {"s": show id, "x": status} when the showtime itself changed.
 */
type Payload = { s: number; c?: SeatChangeTuple[]; x?: ShowStatus };
/** A showtime's status as its viewers hear it; `deleted` when staff removed it. */
export type ShowStatus = 'scheduled' | 'cancelled' | 'deleted';

/** The showtime itself changed (e.g. staff cancelled it): viewers are told, and read the seats again. */
export async function announceShowStatus(trx: Transaction<DB>, showId: number, status: ShowStatus): Promise<void> {
  const payload: Payload = { s: showId, x: status };
  await sql`SELECT pg_notify(${SEAT_EVENTS_CHANNEL}, ${JSON.stringify(payload)})`.execute(trx);
}

function parsePayload(text: string | undefined): Payload | undefined {
  try {
    return JSON.parse(text ?? '') as Payload;
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
  /** True while the listening connection is up: only then is a cache fed by events current. */
  isListening(): boolean;
  /** Resolves once every change committed before this call has reached the subscribers (Listener.flush). */
  flush(): Promise<void>;
  close(): void;
};

/**
 * Fans the seat events of the process's one listening connection out by
 * show. After the listener reconnects, every subscriber is told to resync.
 */
export function startSeatEventHub(listener: Listener): SeatEventHub {
  const subscribers = new Map<number, Set<Subscriber>>();

  const broadcast = (showId: number | undefined, message: HubMessage): void => {
    const targets = showId === undefined ? [...subscribers.values()] : [subscribers.get(showId) ?? new Set<Subscriber>()];
    for (const set of targets) {
      for (const subscriber of set) {
        subscriber(message);
      }
    }
  };

  listener.on(SEAT_EVENTS_CHANNEL, (text) => {
    const payload = parsePayload(text);
    if (payload?.x !== undefined) {
      broadcast(payload.s, { type: 'show', status: payload.x });
    } else if (payload?.c !== undefined) {
      broadcast(payload.s, { type: 'seats', events: payload.c.map(seatEventOf) });
    }
  });
  listener.onReconnect(() => broadcast(undefined, { type: 'resync' }));

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
    isListening: () => listener.isListening(),
    flush: () => listener.flush(),
    close() {
      subscribers.clear();
    },
  };
}

export type SeatPublisher = {
  /** Queues changes that have committed; they go out together in the next tick. */
  publish(showId: number, events: readonly SeatEvent[]): void;
  /** Sends what is queued (shutdown, tests). */
  flush(): Promise<void>;
};

const SEATS_PER_NOTIFICATION = 100;
const tupleOf = (e: SeatEvent): SeatChangeTuple => [e.seat_id, e.status, e.locked_until, e.version, e.holder];

/**
 * Publishes the changes of booking_hold_batch / booking_book_batch after
 * their commit. NOTIFY inside those transactions would serialise their
 * commits on PostgreSQL's notify lock (no group commit: measured 0.58× the
 * throughput), so they switch the trigger off and we announce what they
 * returned: only after commit, never for a rollback. Everything committed in
 * one tick goes out in one statement; a statement that only notifies writes
 * no WAL. If this process dies between commit and publish, other processes
 * miss the change until their layout cache reads the show again
 * (layout-cache.ts: at most SNAPSHOT_MAX_AGE_MS later).
 */
export function createSeatPublisher(send: (payloads: string[]) => Promise<void>, log: Logger): SeatPublisher {
  let queued = new Map<number, SeatEvent[]>();
  let scheduled: Promise<void> | undefined;

  const sendQueued = async (): Promise<void> => {
    const batch = queued;
    queued = new Map();
    scheduled = undefined;
    const payloads: string[] = [];
    for (const [showId, events] of batch) {
      for (let i = 0; i < events.length; i += SEATS_PER_NOTIFICATION) {
        const payload: Payload = { s: showId, c: events.slice(i, i + SEATS_PER_NOTIFICATION).map(tupleOf) };
        payloads.push(JSON.stringify(payload));
      }
    }
    if (payloads.length > 0) {
      await send(payloads).catch((error: unknown) => log.warn({ err: error, notifications: payloads.length }, 'publishing seat changes failed; other processes catch up when they read the shows again'));
    }
  };

  return {
    publish(showId, events) {
      if (events.length === 0) {
        return;
      }
      queued.set(showId, [...(queued.get(showId) ?? []), ...events]);
      scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(sendQueued);
    },
    flush: () => scheduled ?? Promise.resolve(),
  };
}

/** The statement a SeatPublisher sends: many notifications, no write. */
export async function notifySeatChanges(db: Kysely<DB>, payloads: readonly string[]): Promise<void> {
  await sql`SELECT pg_notify(${SEAT_EVENTS_CHANNEL}, payload) FROM unnest(${payloads}::text[]) AS payload`.execute(db);
}
