export { catalogAdminRoutes } from './catalog.routes.ts';
export { seedDemoCinema } from './seed.ts';
export { createHall, createMovie, createShowtime, createVenue } from './catalog.service.ts';
