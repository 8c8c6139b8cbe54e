/** Every sentence the booking domain says to a person, keyed; the SPEC §5 ones are exact. */
export const bookingErrors = {
  showNotFound: 'Show not found.',
  seatNotFound: 'Seat not found.',
  seatHeldByOther: 'Seat currently held by another user.',
  seatBooked: 'Seat already booked.',
  salesClosed: 'Sales for this show have closed.',
  showCancelled: 'Show has been cancelled.',
  notYourHold: 'You do not hold this seat, so there is nothing to release.',
  seatLimit: 'Seat limit reached.',
  paymentRequired: 'This cinema takes payment online: start a checkout (POST /api/orders) for these seats.',
  notHeldForOrder: (seatIds: readonly number[]) => `Hold these seats first: seat${seatIds.length === 1 ? '' : 's'} ${seatIds.join(', ')} ${seatIds.length === 1 ? 'is' : 'are'} not held by you.`,
  inAnotherOrder: (reference: string) => `These seats are already in checkout (order ${reference}); pay for or cancel that order first.`,
  actingForOther: 'user_id must be your own id: you can only hold or book seats for yourself.',
  tooManyStreams: 'Too many event streams are open from your address; close one before opening another.',
  streamsFull: 'This server is serving as many event streams as it can; try again in a few seconds.',
  streamOnly: 'This address sends only Server-Sent Events; accept "text/event-stream".',
} as const;

export const bookingReplies = {
  held: 'Seat held.',
  heldMany: 'Seats held.',
  released: 'Seat released.',
  releasedMany: 'Seats released.',
  booked: 'Booking confirmed.',
} as const;
