import type { MapSeat } from '../seatmap/SeatMap.tsx';
import type { RowSpec, SeatKind } from '../api/types.ts';

/** One row of the hall editor, as typed. */
export type RowDraft = { key: number; row: string; seats: string; kind: SeatKind; aisles: string; wheelchair: string };

const numbers = (text: string): number[] | undefined => {
  const parts = text
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.some((part) => !/^\d{1,3}$/.test(part))) {
    return undefined;
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
};

/**
 * The rows as POST /api/admin/halls takes them, the seats they make (the
 * server's own rule: seats numbered from 1, an aisle after seat n moves the
 * seats behind it one column right), and what is wrong with them, if anything.
 */
export function planRows(drafts: readonly RowDraft[]): { rows: RowSpec[]; seats: MapSeat[]; problems: string[] } {
  const rows: RowSpec[] = [];
  const seats: MapSeat[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  drafts.forEach((draft, y) => {
    const label = draft.row.trim();
    const name = label === '' ? `Row ${y + 1}` : `Row ${label}`;
    if (!/^[A-Za-z0-9]{1,8}$/.test(label)) {
      problems.push(`${name}: the row label must be 1 to 8 letters or digits.`);
    } else if (seen.has(label.toUpperCase())) {
      problems.push(`${name}: this row label is used twice.`);
    }
    seen.add(label.toUpperCase());
    const count = /^\d{1,3}$/.test(draft.seats.trim()) ? Number(draft.seats.trim()) : NaN;
    if (!(count >= 1 && count <= 500)) {
      problems.push(`${name}: seats must be a whole number from 1 to 500.`);
      return;
    }
    const gaps = numbers(draft.aisles);
    if (gaps === undefined) {
      problems.push(`${name}: aisles must be seat numbers separated by commas, e.g. 4, 10.`);
      return;
    }
    const outside = gaps.find((gap) => gap < 1 || gap >= count);
    if (outside !== undefined) {
      problems.push(`${name}: an aisle after seat ${outside} is outside a row of ${count} seats.`);
      return;
    }
    const wheelchair = numbers(draft.wheelchair);
    if (wheelchair === undefined) {
      problems.push(`${name}: wheelchair spaces must be seat numbers separated by commas, e.g. 1, 14.`);
      return;
    }
    const badSpace = wheelchair.find((n) => n < 1 || n > count);
    if (badSpace !== undefined) {
      problems.push(`${name}: there is no seat ${badSpace} in a row of ${count} seats.`);
      return;
    }
    const spec: RowSpec = { row: label, seats: count };
    if (draft.kind !== 'standard') {
      spec.kind = draft.kind;
    }
    if (gaps.length > 0) {
      spec.gaps_after = gaps;
    }
    if (wheelchair.length > 0 && draft.kind !== 'wheelchair') {
      spec.seat_kinds = Object.fromEntries(wheelchair.map((n) => [String(n), 'wheelchair' as const]));
    }
    rows.push(spec);
    const gapSet = new Set(gaps);
    let x = 0;
    for (let number = 1; number <= count; number++) {
      seats.push({ id: y * 1000 + number, row: label, number, kind: spec.seat_kinds?.[String(number)] ?? draft.kind, x, y });
      x += gapSet.has(number) ? 2 : 1;
    }
  });
  return { rows, seats, problems };
}

/** A, B, … Z, AA, AB, … */
export function rowLabel(index: number): string {
  let label = '';
  let n = index;
  do {
    label = String.fromCharCode(65 + (n % 26)) + label;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return label;
}

/** Halls this browser created: the API lists halls only through their showtimes. */
export type KnownHall = { id: number; name: string; venue_id: number };
const HALLS_KEY = 'boxoffice.staff.halls';

export function knownHalls(): KnownHall[] {
  try {
    return JSON.parse(localStorage.getItem(HALLS_KEY) ?? '[]') as KnownHall[];
  } catch {
    return [];
  }
}

export function rememberHall(hall: KnownHall): void {
  try {
    localStorage.setItem(HALLS_KEY, JSON.stringify([...knownHalls().filter((h) => h.id !== hall.id), hall]));
  } catch {
    // Not remembered: the hall still appears once it has a showtime.
  }
}
