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
  tooManySeats: (field: string, seats: number, max: number) =>
    `${field} add up to ${seats} seats, but a hall may have at most ${max} (MAX_SEATS_PER_HALL); use fewer or shorter rows.`,
  seatKindOutsideRow: (row: string, number: number, seats: number) => `Row ${row} has ${seats} seats, so it has no seat ${number} in seat_kinds.`,
  startsInPast: 'starts_at must be in the future.',
  currencyMismatch: 'price and premium_price must be in the same currency.',
  unknownTimeZone: (zone: string) => `time_zone "${zone}" is not a known IANA time zone name, e.g. "Europe/Berlin".`,
  timeZoneUnknownToDatabase: (zone: string, current: string | undefined) =>
    `time_zone "${zone}" is not a time zone PostgreSQL knows; ${current === undefined ? 'use a current IANA name, e.g. "Europe/Berlin"' : `use its current IANA name, "${current}"`}.`,
  fixedOffsetTimeZone: (zone: string) => `time_zone "${zone}" is a fixed offset; use the IANA name of the venue's place instead, e.g. "Asia/Karachi".`,
  hallPriceCurrency: (currency: string) => `default_price must be in the venue's currency, ${currency}.`,

  // Staff changes (catalog.staff.service.ts).
  emptyPatch: 'Send at least one field to change.',
  showCancelled: 'This show has been cancelled; schedule a new showtime instead of changing it.',
  alreadyCancelled: 'This show has already been cancelled.',
  showHasBookings: 'Seats of this show are already booked, so its time, hall and movie can no longer change; cancel it instead (the reply lists the bookings to refund).',
  showCurrencyLocked: (currency: string) => `Tickets for this show were sold in ${currency}, so its prices must stay in ${currency}.`,
  hallHasBookings: 'Seats in this hall have been booked, so its rows can no longer change; create a new hall for the new seat map.',
  movieRunsIntoNextShow: 'With that duration, a showtime of this movie would run into the next showtime in its hall; move or cancel that one first.',
  venueCurrencyInUse: (currency: string) =>
    `Halls of this venue have their own default prices in ${currency}; change or clear them before changing the venue's currency.`,
  deleteBookedShow: 'Seats of this show have been booked, so it cannot be deleted; cancel it instead (the reply lists the bookings to refund).',
  deleteCancelledBookedShow: 'This cancelled show has bookings, so it cannot be deleted: they are the record of the refunds owed.',
  deleteBooked: (entity: 'venue' | 'hall' | 'movie') =>
    `Seats of a showtime of this ${entity} have been booked, so it cannot be deleted: bookings are the record of what was paid and refunded.`,
} as const;
