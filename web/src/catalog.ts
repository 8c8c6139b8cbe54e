import { getAll } from './api.ts';
import type { Movie, Venue } from './types.ts';

/** Movies and venues change rarely: read once per page load (a failed read is tried again next time). */
let movies: Promise<Movie[]> | undefined;
let venues: Promise<Venue[]> | undefined;

export function loadMovies(): Promise<Movie[]> {
  movies ??= getAll<Movie>('/api/movies').catch((error: unknown) => {
    movies = undefined;
    throw error;
  });
  return movies;
}

export function loadVenues(): Promise<Venue[]> {
  venues ??= getAll<Venue>('/api/venues').catch((error: unknown) => {
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
