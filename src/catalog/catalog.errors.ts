/** Every sentence the catalog says to a person, keyed. */
export const catalogErrors = {
  venueNotFound: 'Venue not found.',
  hallNotFound: 'Hall not found.',
  movieNotFound: 'Movie not found.',
  showNotFound: 'Show not found.',
  hallBusy: 'Hall is busy at that time.',
  invalidStartsAt: 'starts_at must be a date and time that exists, e.g. 2026-12-01T18:30:00Z.',
  hallNameTaken: 'This venue already has a hall with that name.',
  duplicateRow: (row: string) => `Row ${row} appears more than once; give each row a unique label.`,
  gapOutsideRow: (row: string, gap: number, seats: number) =>
    `Row ${row} has ${seats} seats, so gaps_after cannot contain ${gap}; an aisle goes after seat 1 to ${seats - 1}.`,
  seatKindOutsideRow: (row: string, number: number, seats: number) => `Row ${row} has ${seats} seats, so it has no seat ${number} in seat_kinds.`,
  startsInPast: 'starts_at must be in the future.',
  currencyMismatch: 'price and premium_price must be in the same currency.',
  unknownTimeZone: (zone: string) => `time_zone "${zone}" is not a known IANA time zone name, e.g. "Europe/Berlin".`,
} as const;
