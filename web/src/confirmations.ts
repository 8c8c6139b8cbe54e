import type { Money, SeatKind } from './api/types.ts';

/** What the confirmation page shows; kept for the tab's lifetime so a reload still shows it. */
export type Confirmation = {
  reference: string;
  /** More than one only when a server without POST /api/book-seats/ booked seat by seat. */
  references: string[];
  showId: number;
  movieTitle: string;
  venue: string;
  hallName: string;
  startsAt: string;
  timeZone: string;
  seats: { row: string; number: number; kind: SeatKind; price: Money }[];
  total: Money;
  warning?: string | undefined;
};

const key = (reference: string) => `boxoffice.booking.${reference}`;

export function saveConfirmation(confirmation: Confirmation): void {
  try {
    sessionStorage.setItem(key(confirmation.reference), JSON.stringify(confirmation));
  } catch {
    // Storage full or disabled: the page falls back to the server's list of bookings.
  }
}

export function loadConfirmation(reference: string): Confirmation | undefined {
  try {
    const raw = sessionStorage.getItem(key(reference));
    return raw === null ? undefined : (JSON.parse(raw) as Confirmation);
  } catch {
    return undefined;
  }
}
