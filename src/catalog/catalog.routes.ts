import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.ts';
import { errorReplies } from '../http/route-helpers.ts';
import type { ShowtimePriceRanges } from './catalog.ports.ts';
import { IdParams, ListedShowtime, ListQuery, Movie, Page, ShowtimesQuery, Venue } from './catalog.schemas.ts';
import * as catalog from './catalog.service.ts';

/**
 * The public catalog: what is on, where and when (SPEC §6). Every answer here
 * may be a moment behind (`reads()` is a replica within its lag bound, when
 * one is configured): seat counts in a listing are a guide, the seat map and
 * the seat writes are the truth. `priceRanges` is the pricing domain's (app.ts
 * passes it in, catalog.ports.ts): a showtime's range of prices online.
 */
export async function catalogRoutes(app: FastifyInstance, { reads, priceRanges }: { reads: () => Database; priceRanges: ShowtimePriceRanges }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['catalog'];

  api.get(
    '/api/venues',
    { schema: { tags, summary: 'Venues, by id', querystring: ListQuery, response: { 200: Page(Venue), ...errorReplies(400) } } },
    async (request) => catalog.listVenues(reads(), request.query),
  );

  api.get(
    '/api/movies',
    { schema: { tags, summary: 'Movies, by id', querystring: ListQuery, response: { 200: Page(Movie), ...errorReplies(400) } } },
    async (request) => catalog.listMovies(reads(), request.query),
  );

  api.get(
    '/api/showtimes',
    {
      schema: {
        tags,
        summary: 'Scheduled showtimes that have not started, soonest first, with seat counts and price ranges',
        querystring: ShowtimesQuery,
        response: { 200: Page(ListedShowtime), ...errorReplies(400) },
      },
    },
    async (request) => catalog.listShowtimes(reads(), priceRanges, request.query),
  );

  api.get(
    '/api/showtimes/:id',
    { schema: { tags, summary: 'One showtime, with its price range', params: IdParams, response: { 200: ListedShowtime, ...errorReplies(400, 404) } } },
    async (request) => {
      // One read handle for both queries: the showtime and its prices from the same database.
      const db = reads();
      return catalog.getListedShowtime(db, priceRanges, request.params.id);
    },
  );
}
