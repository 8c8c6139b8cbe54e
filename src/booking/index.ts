export { bookingRoutes } from './booking.routes.ts';
export { startSweeper } from './sweeper.ts';
export { sweepExpiredHolds, holdSeats, bookSeats, releaseAllHolds, releaseSeats, newBookingReference } from './booking.service.ts';
export { seatEventRoutes } from './booking.events.ts';
export { createLayoutCache, type LayoutCache } from './layout-cache.ts';
export {
  createSeatPublisher,
  notifySeatChanges,
  SEAT_EVENTS_CHANNEL,
  startSeatEventHub,
  type SeatEventHub,
  type SeatPublisher,
} from './seat-events.ts';
export * as showtimeSeats from './showtime-seats.ts';
export { checkInvariants, type InvariantReport } from './invariants.ts';
export { bookOrderSeats, claimHeldSeats, releaseOrderSeats, type ClaimedSeats, type OrderBookingLine, type OrderSeat } from './order-seats.ts';
export type { SeatEvent } from './seat-events.ts';
