import type { LayoutSeat } from '../api/types.ts';
import { seatLabel } from '../format.ts';

/** The seat map's pure parts, kept apart from React so they are unit-tested (test/web/show-seats.test.ts). */

export type View = 'available' | 'held' | 'booked' | 'mine';

/** How many seats are in each view. */
export function countViews(views: ReadonlyMap<number, View>): Record<View, number> {
  const tally = { available: 0, held: 0, booked: 0, mine: 0 };
  for (const view of views.values()) {
    tally[view] += 1;
  }
  return tally;
}

/** When the first of my holds runs out (ms), if the server has granted any. */
export function earliestHold(seats: readonly { id: number }[], granted: ReadonlyMap<number, number>): number | undefined {
  return seats.reduce<number | undefined>((min, seat) => {
    const until = granted.get(seat.id);
    return until === undefined ? min : min === undefined ? until : Math.min(min, until);
  }, undefined);
}

/** A seat from the map that one may hold now: free, or held with a hold that has run out. */
export const isFree = (seat: Pick<LayoutSeat, 'status' | 'locked_until'>, now = Date.now()): boolean =>
  seat.status === 'available' || (seat.status === 'held' && seat.locked_until !== null && Date.parse(seat.locked_until) <= now);

/** The sentence for holds that ended without my asking. */
export function lostHoldsText(seats: readonly { row: string; number: number }[]): string {
  return `Your hold on ${seats.map(seatLabel).join('; ')} ended, so ${seats.length === 1 ? 'that seat was' : 'those seats were'} released.`;
}
