import { badRequest } from '../shared/errors.ts';
import { catalogErrors } from './catalog.errors.ts';
import type { RowSpec, SeatKind } from './catalog.schemas.ts';

/** One physical seat as stored: label, number, kind and grid position (x across, y from the screen). */
export type PlannedSeat = { row: string; number: number; kind: SeatKind; x: number; y: number };

/** How many seats `rows` describe. */
export const countSeats = (rows: readonly RowSpec[]): number => rows.reduce((sum, spec) => sum + spec.seats, 0);

/**
 * Refuses a seat map of more than `maxSeats` seats (MAX_SEATS_PER_HALL), before
 * any seat is planned or written. `field` names the rows in the reply.
 */
export function assertHallSize(rows: readonly RowSpec[], maxSeats: number, field = 'rows'): void {
  const seats = countSeats(rows);
  if (seats > maxSeats) {
    throw badRequest(catalogErrors.tooManySeats(field, seats, maxSeats));
  }
}

/**
 * Turns a hall's rows into seats (at most `maxSeats` of them). Rows are
 * listed from the screen backwards (y = index); seats are numbered from 1, and each aisle after seat n shifts
 * the seats behind it one grid column right, so a UI can draw the aisle.
 */
export function planSeats(rows: readonly RowSpec[], maxSeats: number): PlannedSeat[] {
  assertHallSize(rows, maxSeats);
  const seen = new Set<string>();
  const seats: PlannedSeat[] = [];
  for (const [y, spec] of rows.entries()) {
    const label = spec.row.toUpperCase();
    if (seen.has(label)) {
      throw badRequest(catalogErrors.duplicateRow(spec.row));
    }
    seen.add(label);
    const gaps = new Set(spec.gaps_after ?? []);
    for (const gap of gaps) {
      if (gap >= spec.seats) {
        throw badRequest(catalogErrors.gapOutsideRow(spec.row, gap, spec.seats));
      }
    }
    const kinds = spec.seat_kinds ?? {};
    for (const number of Object.keys(kinds).map(Number)) {
      if (number > spec.seats) {
        throw badRequest(catalogErrors.seatKindOutsideRow(spec.row, number, spec.seats));
      }
    }
    let x = 0;
    for (let number = 1; number <= spec.seats; number++) {
      seats.push({ row: spec.row, number, kind: kinds[String(number)] ?? spec.kind ?? 'standard', x, y });
      x += gaps.has(number) ? 2 : 1;
    }
  }
  return seats;
}

/** The inverse of planSeats: the rows a hall's stored seats describe (for replies). */
export function describeRows(seats: readonly PlannedSeat[]): RowSpec[] {
  const byLine = new Map<number, PlannedSeat[]>();
  for (const seat of seats) {
    byLine.set(seat.y, [...(byLine.get(seat.y) ?? []), seat]);
  }
  return [...byLine.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, line]) => {
      const ordered = [...line].sort((a, b) => a.number - b.number);
      const tally = new Map<SeatKind, number>();
      for (const seat of ordered) {
        tally.set(seat.kind, (tally.get(seat.kind) ?? 0) + 1);
      }
      const kind = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'standard';
      const gaps = ordered.filter((seat, i) => (ordered[i + 1]?.x ?? seat.x + 1) - seat.x > 1).map((seat) => seat.number);
      const odd = ordered.filter((seat) => seat.kind !== kind);
      return {
        row: ordered[0]?.row ?? '',
        seats: ordered.length,
        kind,
        ...(gaps.length > 0 ? { gaps_after: gaps } : {}),
        ...(odd.length > 0 ? { seat_kinds: Object.fromEntries(odd.map((seat) => [String(seat.number), seat.kind])) } : {}),
      };
    });
}
