export { bookingRoutes } from './booking.routes.ts';
export { startSweeper } from './sweeper.ts';
export { sweepExpiredHolds, holdSeats, bookSeats, getHallLayout, releaseAllHolds, releaseSeats } from './booking.service.ts';
export { seatEventRoutes } from './booking.events.ts';
export { announceShowStatus, startSeatEventHub, type SeatEventHub } from './seat-events.ts';
