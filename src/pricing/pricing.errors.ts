/** Every sentence the pricing domain says to a person, keyed. */
export const pricingErrors = {
  ticketTypeNotFound: 'Ticket type not found.',
  ticketTypeCodeTaken: (code: string) => `A ticket type with code ${code} already exists; choose another code, or change that one.`,
  minAboveMax: (min: number, max: number) => `min_per_order (${min}) must not be more than max_per_order (${max}).`,
  soldNowhere: 'A ticket type must be sold online, at the box office, or both; set sold_online or sold_at_box_office to true.',
  emptyPatch: 'Send at least one field to change.',
} as const;
