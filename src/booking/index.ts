export { bookingRoutes } from './booking.routes.ts';
export { startSweeper } from './sweeper.ts';
export { sweepExpiredHolds, holdSeats, bookSeats, getHallLayout } from './booking.service.ts';
