import type { Layout, SeatEvent, SeatStatus } from '../api/types.ts';
import type { MapSeat, SeatView } from './SeatMap.tsx';

/**
 * What one viewer knows about the seats of a show.
 *
 * `live` is the public truth (layout, then the event stream). Events never say
 * who holds a seat, so "mine" is derived: a held seat is mine when its
 * locked_until is the one the server gave *me* for that seat (`granted`, from
 * my hold replies and the layout's locked_by). Holds are never extended, so
 * another viewer's later hold of the same seat always has another
 * locked_until. A hold past its locked_until is available, for everyone, at
 * once (docs/api.md: "counts as available everywhere").
 */
export type Live = { status: SeatStatus; until: number | null };

export type ShowSeatsState = {
  layout: Layout | null;
  seats: MapSeat[];
  live: ReadonlyMap<number, Live>;
  granted: ReadonlyMap<number, number>;
  /** When this viewer's own reply last changed a seat, so an older layout read cannot undo it. */
  touched: ReadonlyMap<number, number>;
  pendingHold: ReadonlySet<number>;
  pendingRelease: ReadonlySet<number>;
};

export const initialShowSeats: ShowSeatsState = {
  layout: null,
  seats: [],
  live: new Map(),
  granted: new Map(),
  touched: new Map(),
  pendingHold: new Set(),
  pendingRelease: new Set(),
};

export type ShowSeatsAction =
  | { type: 'layout'; layout: Layout; userId: number | null; requestedAt: number }
  | { type: 'snapshot'; seats: SeatEvent[] }
  | { type: 'seat'; event: SeatEvent }
  | { type: 'holdStarted'; seatId: number }
  | { type: 'holdGranted'; seatId: number; until: number }
  | { type: 'holdFailed'; seatId: number }
  | { type: 'releaseStarted'; seatId: number }
  | { type: 'released'; seatIds: number[] }
  | { type: 'releaseFailed'; seatId: number }
  | { type: 'booked'; seatIds: number[] }
  | { type: 'expired'; seatIds: number[] };

const time = (iso: string | null): number | null => {
  if (iso === null) {
    return null;
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
};

/** Same hold: the server's timestamps may be printed with µs or ms; a second of slack is far below any TTL. */
export const sameUntil = (a: number | null | undefined, b: number | null | undefined): boolean =>
  a !== null && a !== undefined && b !== null && b !== undefined && Math.abs(a - b) < 1000;

const without = <K, V>(map: ReadonlyMap<K, V>, keys: Iterable<K>): Map<K, V> => {
  const next = new Map(map);
  for (const key of keys) {
    next.delete(key);
  }
  return next;
};
const withoutItem = <T>(set: ReadonlySet<T>, item: T): Set<T> => {
  const next = new Set(set);
  next.delete(item);
  return next;
};

/** Keeps the previous seat objects when the hall's geometry is unchanged, so the map's per-seat caches stay warm. */
function seatsOf(layout: Layout, previous: MapSeat[]): MapSeat[] {
  if (
    previous.length === layout.seats.length &&
    previous.every((seat, i) => {
      const next = layout.seats[i];
      return next !== undefined && next.id === seat.id && next.x === seat.x && next.y === seat.y && next.kind === seat.kind && next.price.amount === seat.price?.amount;
    })
  ) {
    return previous;
  }
  return layout.seats.map(({ id, row, number, kind, x, y, price }) => ({ id, row, number, kind, x, y, price }));
}

export function showSeatsReducer(state: ShowSeatsState, action: ShowSeatsAction): ShowSeatsState {
  switch (action.type) {
    case 'layout': {
      const live = new Map<number, Live>();
      // Logged out: nothing is mine any more (logging out gives holds back).
      const granted = action.userId === null ? new Map<number, number>() : new Map(state.granted);
      for (const seat of action.layout.seats) {
        const touchedAt = state.touched.get(seat.id);
        const current = state.live.get(seat.id);
        if (touchedAt !== undefined && touchedAt > action.requestedAt && current !== undefined) {
          live.set(seat.id, current); // our own reply is newer than this read
          continue;
        }
        const until = time(seat.locked_until);
        live.set(seat.id, { status: seat.status, until });
        if (seat.status === 'held' && action.userId !== null && seat.locked_by === action.userId && until !== null) {
          granted.set(seat.id, until);
        }
      }
      const pending = action.userId === null ? { pendingHold: new Set<number>(), pendingRelease: new Set<number>() } : {};
      return { ...state, ...pending, layout: action.layout, seats: seatsOf(action.layout, state.seats), live, granted };
    }
    case 'snapshot': {
      const live = new Map(state.live);
      for (const event of action.seats) {
        live.set(event.seat_id, { status: event.status, until: time(event.locked_until) });
      }
      return { ...state, live };
    }
    case 'seat': {
      const live = new Map(state.live);
      live.set(action.event.seat_id, { status: action.event.status, until: time(action.event.locked_until) });
      return { ...state, live };
    }
    case 'holdStarted':
      return { ...state, pendingHold: new Set(state.pendingHold).add(action.seatId) };
    case 'holdGranted':
      return {
        ...state,
        pendingHold: withoutItem(state.pendingHold, action.seatId),
        live: new Map(state.live).set(action.seatId, { status: 'held', until: action.until }),
        granted: new Map(state.granted).set(action.seatId, action.until),
        touched: new Map(state.touched).set(action.seatId, Date.now()),
      };
    case 'holdFailed':
      return { ...state, pendingHold: withoutItem(state.pendingHold, action.seatId) };
    case 'releaseStarted':
      return { ...state, pendingRelease: new Set(state.pendingRelease).add(action.seatId) };
    case 'released': {
      const live = new Map(state.live);
      const touched = new Map(state.touched);
      let pendingRelease = new Set(state.pendingRelease);
      for (const seatId of action.seatIds) {
        live.set(seatId, { status: 'available', until: null });
        touched.set(seatId, Date.now());
        pendingRelease = withoutItem(pendingRelease, seatId);
      }
      return { ...state, live, touched, pendingRelease, granted: without(state.granted, action.seatIds) };
    }
    case 'releaseFailed':
      return { ...state, pendingRelease: withoutItem(state.pendingRelease, action.seatId) };
    case 'booked': {
      const live = new Map(state.live);
      const touched = new Map(state.touched);
      for (const seatId of action.seatIds) {
        live.set(seatId, { status: 'booked', until: null });
        touched.set(seatId, Date.now());
      }
      return { ...state, live, touched, granted: without(state.granted, action.seatIds) };
    }
    case 'expired':
      return { ...state, granted: without(state.granted, action.seatIds) };
  }
}

/** What this viewer sees of one seat at `now`. */
export function viewOf(state: ShowSeatsState, seatId: number, now: number): SeatView {
  if (state.pendingRelease.has(seatId)) {
    return 'available';
  }
  if (state.pendingHold.has(seatId)) {
    return 'mine';
  }
  const live = state.live.get(seatId);
  if (live === undefined || live.status === 'available') {
    return 'available';
  }
  if (live.status === 'booked') {
    return 'booked';
  }
  if (live.until !== null && live.until <= now) {
    return 'available';
  }
  return sameUntil(state.granted.get(seatId), live.until) ? 'mine' : 'held';
}

export function viewsOf(state: ShowSeatsState, now: number): Map<number, SeatView> {
  const views = new Map<number, SeatView>();
  for (const seat of state.seats) {
    views.set(seat.id, viewOf(state, seat.id, now));
  }
  return views;
}

/** The next moment a visible hold runs out (then the view changes without any event). */
export function nextExpiry(state: ShowSeatsState, now: number): number | undefined {
  let next: number | undefined;
  for (const live of state.live.values()) {
    if (live.status === 'held' && live.until !== null && live.until > now && (next === undefined || live.until < next)) {
      next = live.until;
    }
  }
  return next;
}
