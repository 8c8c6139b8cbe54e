/** Every sentence the pricing domain says to a person, keyed. */
export const pricingErrors = {
  ticketTypeNotFound: 'Ticket type not found.',
  ticketTypeCodeTaken: (code: string) => `A ticket type with code ${code} already exists; choose another code, or change that one.`,
  minAboveMax: (min: number, max: number) => `min_per_order (${min}) must not be more than max_per_order (${max}).`,
  soldNowhere: 'A ticket type must be sold online, at the box office, or both; set sold_online or sold_at_box_office to true.',
  emptyPatch: 'Send at least one field to change.',

  // Price cards.
  venueNotFound: 'Venue not found.',
  hallNotFound: 'Hall not found.',
  hallOfAnotherVenue: 'hall_id is a hall of another venue; use a hall of venue_id.',
  priceCardNotFound: 'Price card not found.',
  showNotFound: 'Show not found.',
  cardNameTaken: (name: string) => `This venue already has a price card named "${name}"; choose another name.`,
  unknownTicketType: (code: string) => `Ticket type ${code} does not exist; create it first (POST /api/admin/ticket-types) or use an existing code.`,
  adultOnCard: "Adult prices are the showtime's price and premium_price; leave ADULT off the card.",
  duplicatePrice: (code: string, kind: string) => `prices has ${code} for ${kind} seats more than once; give each ticket type and seat kind one price.`,
  cardCurrency: (currency: string) => `Every price on this card must be in the venue's currency, ${currency}.`,
  cardOfAnotherVenue: "price_card_id is a card of another venue; use one of the showtime's venue.",
  cardOfAnotherHall: "price_card_id is a card of another hall; use one of the showtime's hall or one for the whole venue.",
  cardCurrencyDiffers: (card: string, show: string) => `The card's prices are in ${card}, the showtime's in ${show}; use a card in ${show}.`,
  cardInUse: (count: number) => `${count} showtime(s) use this price card; give them another card first (PUT /api/admin/showtimes/{id}/price-card).`,
} as const;
