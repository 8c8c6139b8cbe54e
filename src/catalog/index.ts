export { catalogAdminRoutes } from './catalog.admin.routes.ts';
export { catalogRoutes } from './catalog.routes.ts';
export { seedDemoCinema } from './seed.ts';
export { createHall, createMovie, createShowtime, createVenue, type Actor } from './catalog.service.ts';
export { importCinema, planCinemaImport, type ImportSummary } from './import.ts';
export type { PriceRange, ShowtimePriceRanges, ShowtimeSeats } from './catalog.ports.ts';
export { recordAudit, type AuditEntry } from './catalog.queries.ts';
