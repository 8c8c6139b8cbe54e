import { api, getAll } from './api/client.ts';
import type { Movie, Venue } from './api/types.ts';

/** Movies and venues change rarely: read once per page load (a failed read is tried again next time). */
let movies: Promise<Movie[]> | undefined;
let venues: Promise<Venue[]> | undefined;

export function loadMovies(): Promise<Movie[]> {
  movies ??= getAll((query) => api.GET('/api/movies', { params: { query } })).catch((error: unknown) => {
    movies = undefined;
    throw error;
  });
  return movies;
}

export function loadVenues(): Promise<Venue[]> {
  venues ??= getAll((query) => api.GET('/api/venues', { params: { query } })).catch((error: unknown) => {
    venues = undefined;
    throw error;
  });
  return venues;
}

/** After staff create one, the next read must see it. */
export function forgetCatalog(): void {
  movies = undefined;
  venues = undefined;
}
