import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { SeatKind, SeatStatus } from '../db/schema.ts';
import { priceRanges, type PriceRange } from '../pricing/index.ts';
import { money, type Money } from '../shared/money.ts';
import * as queries from './booking.queries.ts';
import { releasedEvent, type SeatEvent, type SeatEventHub } from './seat-events.ts';

/**
 * The hall layout of each showtime that is being read, kept in memory and
 * current by the seat events every process receives (seat-events.ts).
 *
 * - Each seat keeps the version of its row: an event older than what we have
 *   (late, reordered, or already in the snapshot) changes nothing.
 * - Whether a hold is live is decided at the moment of each read, so a hold
 *   past `locked_until` reads `available` even before anyone releases it; the
 *   shared bytes are valid only until the earliest expiry among the holds.
 * - The anonymous answer (and its gzip/brotli forms, and the event stream's
 *   snapshot) is built once per version and shared by every reader; a viewer
 *   who holds seats of the show gets a personal answer with `locked_by`.
 * - While the listener is down, nothing cached is trusted: reads go to the
 *   database; after it reconnects every snapshot is dropped (events sent in
 *   between are gone).
 * - A staff change of the showtime (cancel, move, new seat map, its prices)
 *   is announced as a show event: the snapshot is dropped and read again.
 * - The price range is read with the snapshot, once per load, never per
 *   request. Changes that are no show event (a price card, a ticket type, a
 *   movie's rating) reach it when the snapshot is next read again: at most
 *   SNAPSHOT_MAX_AGE_MS later.
 */

type Seat = {
  id: number;
  row: string;
  number: number;
  kind: SeatKind;
  x: number;
  y: number;
  price: Money;
  status: SeatStatus;
  holder: number | null;
  lockedUntil: string | null;
  lockedUntilMs: number;
  version: number;
};

type Header = { show_id: number; hall_name: string; venue_name: string; movie_title: string; starts_at: string; price_range: PriceRange | null };

export type Encoded = { body: Buffer; etag: string; encoding: 'identity' | 'gzip' | 'br' };

type Shared = {
  /** The anonymous layout as JSON, and its compressed forms, built on demand. */
  json: Buffer;
  etag: string;
  gzip?: Buffer;
  br?: Buffer;
  /** The event stream's snapshot: every seat, no user ids. */
  sse?: string;
  /** Valid until the earliest live hold expires (ms since epoch). */
  validUntilMs: number;
};

type Snapshot = {
  showId: number;
  /** On sale: scheduled, and until this moment (ms since epoch). */
  scheduled: boolean;
  startsAtMs: number;
  loadedAt: number;
  /** A newer snapshot of the show is being read. */
  refreshing: boolean;
  header: Header;
  seats: Seat[];
  byId: Map<number, Seat>;
  shared: Shared | undefined;
  unsubscribe: () => void;
  /** A release of expired holds under way: readers that find expired holds share it. */
  releasing: Promise<void> | undefined;
};

export type LayoutCache = {
  /** The layout as JSON bytes for this viewer, compressed when `accept` allows; undefined for an unknown show. */
  layout(showId: number, viewerId: number | null, accept: string | undefined): Promise<Encoded | undefined>;
  /** The event stream's snapshot as JSON text (no user ids); undefined for an unknown show. */
  streamSnapshot(showId: number): Promise<string | undefined>;
  /** Applies changes this process just committed, so its next read shows them without waiting for NOTIFY. */
  apply: (showId: number, events: readonly SeatEvent[]) => void;
  /**
   * The seats of a write that this process already knows cannot succeed: held
   * by someone else (live), or booked (for a hold; a booking must learn who
   * booked it, since a retry answers 200). Undefined when the cache cannot
   * decide, so the write goes to the database: the show is not cached or not
   * on sale, a seat is unknown, or nothing conflicts.
   */
  knownConflicts(showId: number, userId: number, seatIds: readonly number[], write: 'hold' | 'book'): { seat_id: number; reason: 'held' | 'booked' }[] | undefined;
  /** The newest version of the seat this process knows of (undefined when the show is not cached). */
  versionOf(showId: number, seatId: number): number | undefined;
  close(): void;
};

const MAX_SHOWS = 1_000;
/**
 * A snapshot read longer ago than this is read again in the background (the
 * old one answers meanwhile): the backstop for a change whose NOTIFY never
 * came (its process died between commit and publishing).
 */
export const SNAPSHOT_MAX_AGE_MS = 10_000;
/** Expired holds are released in the background by a read, at most this often per show. */
const RELEASE_LIMIT = 1_000;
/** Answers below this size are not worth compressing. */
const COMPRESS_FROM_BYTES = 1_024;

function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** br before gzip before identity; a coding with q=0 is refused. */
function chooseEncoding(accept: string | undefined): Encoded['encoding'] {
  if (accept === undefined) {
    return 'identity';
  }
  const offered = new Map<string, number>();
  for (const part of accept.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    offered.set((name ?? '').trim(), q === undefined ? 1 : Number(q));
  }
  const allowed = (name: string) => (offered.get(name) ?? offered.get('*') ?? 0) > 0;
  return allowed('br') ? 'br' : allowed('gzip') ? 'gzip' : 'identity';
}

function isLive(seat: Seat, now: number): boolean {
  return seat.status === 'held' && seat.lockedUntilMs > now;
}

function layoutJson(snapshot: Snapshot, viewerId: number | null, now: number): string {
  const seats = snapshot.seats.map((seat) => {
    const live = isLive(seat, now);
    return {
      id: seat.id,
      row: seat.row,
      number: seat.number,
      status: seat.status === 'held' && !live ? 'available' : seat.status,
      locked_by: live && viewerId !== null && seat.holder === viewerId ? viewerId : null,
      locked_until: live ? seat.lockedUntil : null,
      kind: seat.kind,
      price: seat.price,
      x: seat.x,
      y: seat.y,
    };
  });
  return JSON.stringify({ ...snapshot.header, seats });
}

function nextExpiry(snapshot: Snapshot, now: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const seat of snapshot.seats) {
    if (isLive(seat, now) && seat.lockedUntilMs < earliest) {
      earliest = seat.lockedUntilMs;
    }
  }
  return earliest;
}

function hasExpiredHolds(snapshot: Snapshot, now: number): boolean {
  return snapshot.seats.some((seat) => seat.status === 'held' && seat.lockedUntilMs <= now);
}

function sharedOf(snapshot: Snapshot, now: number): Shared {
  if (snapshot.shared === undefined || snapshot.shared.validUntilMs <= now) {
    const json = Buffer.from(layoutJson(snapshot, null, now));
    snapshot.shared = { json, etag: etagOf(json), validUntilMs: nextExpiry(snapshot, now) };
  }
  return snapshot.shared;
}

function encode(shared: Shared, encoding: Encoded['encoding']): Encoded {
  if (encoding === 'identity' || shared.json.length < COMPRESS_FROM_BYTES) {
    return { body: shared.json, etag: shared.etag, encoding: 'identity' };
  }
  if (encoding === 'br') {
    shared.br ??= brotliCompressSync(shared.json, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: shared.json.length } });
    return { body: shared.br, etag: `${shared.etag.slice(0, -1)}-br"`, encoding };
  }
  shared.gzip ??= gzipSync(shared.json, { level: 6 });
  return { body: shared.gzip, etag: `${shared.etag.slice(0, -1)}-gz"`, encoding };
}

function toSeat(row: Awaited<ReturnType<typeof queries.selectLayoutSeats>>[number], prices: { currency: string; price_amount: number; premium_price_amount: number }): Seat {
  const lockedUntil = row.locked_until === null ? null : row.locked_until.toISOString();
  return {
    id: row.id,
    row: row.row,
    number: row.number,
    kind: row.kind,
    x: row.x,
    y: row.y,
    price: money(row.kind === 'premium' ? prices.premium_price_amount : prices.price_amount, prices.currency),
    status: row.status,
    holder: row.locked_by_id,
    lockedUntil,
    lockedUntilMs: row.locked_until?.getTime() ?? 0,
    version: row.version,
  };
}

function applyEvent(snapshot: Snapshot, event: SeatEvent): void {
  const seat = snapshot.byId.get(event.seat_id);
  if (seat === undefined || event.version <= seat.version) {
    return; // not a seat of this map, or nothing newer than what we have
  }
  seat.version = event.version;
  seat.status = event.status;
  seat.holder = event.status === 'held' ? event.holder : null;
  seat.lockedUntil = event.status === 'held' ? event.locked_until : null;
  seat.lockedUntilMs = seat.lockedUntil === null ? 0 : Date.parse(seat.lockedUntil);
  snapshot.shared = undefined;
}

export function createLayoutCache(db: Database, hub: SeatEventHub, log: Logger): LayoutCache {
  const shows = new Map<number, Snapshot>();
  const loading = new Map<number, Promise<Snapshot | undefined>>();
  /** The loads in flight, by show: what they do with a seat change heard before their snapshot exists. */
  const feeding = new Map<number, (events: readonly SeatEvent[]) => void>();
  let generation = 0;

  const drop = (showId: number): void => {
    const snapshot = shows.get(showId);
    if (snapshot !== undefined) {
      shows.delete(showId);
      snapshot.unsubscribe();
    }
  };
  const dropAll = (): void => {
    generation++;
    for (const showId of [...shows.keys()]) {
      drop(showId);
    }
  };

  /** Subscribes first, then reads; what arrived meanwhile is applied by version. */
  const load = async (showId: number): Promise<Snapshot | undefined> => {
    const startedIn = generation;
    const early: SeatEvent[] = [];
    let snapshot: Snapshot | undefined;
    let stale = false;
    // Events heard while the seats are being read wait for them; after, they apply to the snapshot.
    const feed = (events: readonly SeatEvent[]) => {
      if (snapshot === undefined) {
        early.push(...events);
      } else {
        events.forEach((event) => applyEvent(snapshot as Snapshot, event));
      }
    };
    // This process's own writes, committed while we read (apply), are fed the same way: read-your-writes.
    feeding.set(showId, feed);
    const unsubscribe = hub.subscribe(showId, (message) => {
      if (message.type === 'seats') {
        feed(message.events);
      } else {
        // The showtime changed, or the listener reconnected and events may be lost: read it again next time.
        stale = true;
        if (shows.get(showId) === snapshot) {
          drop(showId);
        }
      }
    });
    try {
      const [header, rows, ranges] = await Promise.all([queries.findShowHeader(db, showId), queries.selectLayoutSeats(db, showId), priceRanges(db, [showId])]);
      if (header === undefined) {
        unsubscribe();
        return undefined;
      }
      const seats = rows.map((row) => toSeat(row, header));
      snapshot = {
        showId,
        scheduled: header.status === 'scheduled',
        startsAtMs: header.starts_at.getTime(),
        loadedAt: Date.now(),
        refreshing: false,
        header: {
          show_id: header.show_id,
          hall_name: header.hall_name,
          venue_name: header.venue_name,
          movie_title: header.movie_title,
          starts_at: header.starts_at.toISOString(),
          price_range: ranges.get(showId) ?? null,
        },
        seats,
        byId: new Map(seats.map((seat) => [seat.id, seat])),
        shared: undefined,
        unsubscribe,
        releasing: undefined,
      };
      early.forEach((event) => applyEvent(snapshot as Snapshot, event));
      if (!stale && startedIn === generation && hub.isListening()) {
        if (shows.size >= MAX_SHOWS) {
          // The least recently read show goes (Map order is insertion order; reads re-insert).
          const oldest = shows.keys().next().value;
          if (oldest !== undefined) {
            drop(oldest);
          }
        }
        const previous = shows.get(showId);
        if (previous !== undefined && previous !== snapshot) {
          shows.delete(showId);
          previous.unsubscribe();
        }
        shows.set(showId, snapshot);
      } else {
        unsubscribe();
      }
      return snapshot;
    } catch (error) {
      unsubscribe();
      throw error;
    } finally {
      if (feeding.get(showId) === feed) {
        feeding.delete(showId);
      }
    }
  };

  const current = async (showId: number): Promise<Snapshot | undefined> => {
    if (!hub.isListening()) {
      // Not hearing events: nothing cached is current. Read the database each time.
      dropAll();
      return load(showId);
    }
    const cached = shows.get(showId);
    if (cached !== undefined) {
      shows.delete(showId);
      shows.set(showId, cached);
      if (!cached.refreshing && Date.now() - cached.loadedAt > SNAPSHOT_MAX_AGE_MS) {
        cached.refreshing = true;
        load(showId).catch((error: unknown) => {
          cached.refreshing = false;
          log.warn({ err: error, showId }, 'reading a show again for the layout cache failed');
        });
      }
      return cached;
    }
    let pending = loading.get(showId);
    if (pending === undefined) {
      pending = load(showId).finally(() => loading.delete(showId));
      loading.set(showId, pending);
    }
    return pending;
  };

  /**
   * SPEC §5: expired holds are released by the layout call. Only a read that
   * finds one writes (and readers meanwhile share that one release); the
   * answer shows them available either way, so a failure is only logged.
   */
  const releaseExpired = async (snapshot: Snapshot, now: number): Promise<void> => {
    if (snapshot.releasing === undefined && hasExpiredHolds(snapshot, now)) {
      snapshot.releasing = queries
        .releaseExpiredHolds(db, { showId: snapshot.showId, limit: RELEASE_LIMIT })
        .then((released) => released.forEach((row) => applyEvent(snapshot, releasedEvent(row))))
        .catch((error: unknown) => log.warn({ err: error, showId: snapshot.showId }, 'releasing expired holds after a layout read failed'))
        .finally(() => {
          snapshot.releasing = undefined;
        });
    }
    await snapshot.releasing;
  };

  return {
    async layout(showId, viewerId, accept) {
      const snapshot = await current(showId);
      if (snapshot === undefined) {
        return undefined;
      }
      const now = Date.now();
      await releaseExpired(snapshot, now);
      const holdsSome = viewerId !== null && snapshot.seats.some((seat) => seat.holder === viewerId && isLive(seat, now));
      if (holdsSome) {
        const json = Buffer.from(layoutJson(snapshot, viewerId, now));
        return encode({ json, etag: etagOf(json), validUntilMs: 0 }, chooseEncoding(accept));
      }
      return encode(sharedOf(snapshot, now), chooseEncoding(accept));
    },
    async streamSnapshot(showId) {
      const snapshot = await current(showId);
      if (snapshot === undefined) {
        return undefined;
      }
      const now = Date.now();
      const shared = sharedOf(snapshot, now);
      shared.sse ??= JSON.stringify({
        show_id: showId,
        seats: snapshot.seats.map((seat) => {
          const live = isLive(seat, now);
          return { seat_id: seat.id, status: seat.status === 'held' && !live ? 'available' : seat.status, locked_until: live ? seat.lockedUntil : null };
        }),
      });
      return shared.sse;
    },
    apply(showId, events) {
      const snapshot = shows.get(showId);
      if (snapshot !== undefined) {
        events.forEach((event) => applyEvent(snapshot, event));
      }
      // A load in flight may have read the seats before this write committed: it applies them too (by version).
      feeding.get(showId)?.(events);
    },
    knownConflicts(showId, userId, seatIds, write) {
      const snapshot = hub.isListening() ? shows.get(showId) : undefined;
      if (snapshot === undefined && hub.isListening() && !loading.has(showId)) {
        // A show people write to is worth keeping: read it in the background for the next requests.
        current(showId).catch((error: unknown) => log.warn({ err: error, showId }, 'reading a show for the layout cache failed'));
      }
      const now = Date.now();
      if (snapshot === undefined || !snapshot.scheduled || snapshot.startsAtMs <= now) {
        return undefined;
      }
      const conflicts: { seat_id: number; reason: 'held' | 'booked' }[] = [];
      for (const seatId of seatIds) {
        const seat = snapshot.byId.get(seatId);
        if (seat === undefined) {
          return undefined; // the database says which seat it does not know
        }
        if (seat.status === 'booked' && write === 'hold') {
          conflicts.push({ seat_id: seatId, reason: 'booked' });
        } else if (isLive(seat, now) && seat.holder !== userId) {
          conflicts.push({ seat_id: seatId, reason: 'held' });
        } else if (seat.status === 'booked') {
          return undefined; // perhaps the caller's own booking, answered 200 by the database
        }
      }
      return conflicts.length > 0 ? conflicts.sort((a, b) => a.seat_id - b.seat_id) : undefined;
    },
    versionOf(showId, seatId) {
      return shows.get(showId)?.byId.get(seatId)?.version;
    },
    close() {
      dropAll();
    },
  };
}
