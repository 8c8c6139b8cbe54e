import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let staff: TestUser;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
});
afterAll(() => app.close());

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });
async function created(path: string, body: unknown): Promise<any> {
  const reply = await asStaff('POST', path, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}
const movieRow = (id: number) => app.db.selectFrom('movies').select(['title', 'rating_label', 'rating_min_age']).where('id', '=', id).executeTakeFirst();
const counts = async () =>
  (await sql<{ movies: number; audits: number }>`SELECT (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM audit_log)::int AS audits`.execute(app.db)).rows[0]!;

describe('movie age ratings', () => {
  it('when staff create a movie with a rating, then the movie, the movie list and its showtimes (listed and alone) show it', async () => {
    const movie = await created('/api/admin/movies', { title: unique('Rated'), duration_minutes: 100, rating: { label: '12A', min_age: 12 } });
    expect(movie).toEqual({ id: expect.any(Number), title: movie.title, duration_minutes: 100, rating: { label: '12A', min_age: 12 } });
    expect(await movieRow(movie.id)).toEqual({ title: movie.title, rating_label: '12A', rating_min_age: 12 });

    const venue = await created('/api/admin/venues', { name: unique('Venue'), city: 'Springfield' });
    const hall = await created('/api/admin/halls', { venue_id: venue.id, name: 'Hall', rows: [{ row: 'A', seats: 2 }] });
    const show = await created('/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(show.movie.rating).toEqual({ label: '12A', min_age: 12 });

    const movies = await app.http.get('/api/movies?limit=100');
    expect(movies.body.items).toContainEqual(movie);
    const listed = await app.http.get(`/api/showtimes?venue_id=${venue.id}`);
    expect(listed.body.items.map((s: any) => s.movie)).toEqual([{ id: movie.id, title: movie.title, duration_minutes: 100, rating: { label: '12A', min_age: 12 } }]);
    expect((await app.http.get(`/api/showtimes/${show.id}`)).body.movie.rating).toEqual({ label: '12A', min_age: 12 });
  });

  it('when a movie has no rating, then it reads null and restricts nothing', async () => {
    const movie = await created('/api/admin/movies', { title: unique('Unrated'), duration_minutes: 90 });
    expect(movie.rating).toBeNull();
    expect(await movieRow(movie.id)).toMatchObject({ rating_label: null, rating_min_age: null });
  });

  it('when staff change a rating, then it changes (and is audited); null takes it away; a PATCH without rating keeps it', async () => {
    const movie = await created('/api/admin/movies', { title: unique('Changing'), duration_minutes: 90, rating: { label: 'PG', min_age: 8 } });
    const changed = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { rating: { label: '15', min_age: 15 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.rating).toEqual({ label: '15', min_age: 15 });
    const audit = await app.db.selectFrom('audit_log').select('details').where('entity', '=', 'movie').where('entity_id', '=', movie.id).where('action', '=', 'update').executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ changes: { rating: { label: '15', min_age: 15 } }, before: { rating: { label: 'PG', min_age: 8 } } });

    const renamed = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { title: `${movie.title} (re-release)` });
    expect(renamed.body.rating).toEqual({ label: '15', min_age: 15 });

    const cleared = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { rating: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.rating).toBeNull();
    expect(await movieRow(movie.id)).toMatchObject({ rating_label: null, rating_min_age: null });
  });

  const badRatings: [string, unknown, RegExp][] = [
    ['an empty label', { label: '', min_age: 12 }, /^rating\.label /],
    ['a label of 17 characters', { label: 'A'.repeat(17), min_age: 12 }, /^rating\.label /],
    ['a label with markup', { label: '<b>18</b>', min_age: 18 }, /^rating\.label /],
    ['a label ending in a space', { label: '12 ', min_age: 12 }, /^rating\.label /],
    ['a numeric label', { label: 15, min_age: 15 }, /^rating\.label must be a string\.$/],
    ['an age above 21', { label: '25', min_age: 22 }, /^rating\.min_age must be <= 21\.$/],
    ['a negative age', { label: 'U', min_age: -1 }, /^rating\.min_age must be >= 0\.$/],
    ['a fractional age', { label: '12', min_age: 12.5 }, /^rating\.min_age must be an integer\.$/],
    ['an age as a string', { label: '12', min_age: '12' }, /^rating\.min_age must be an integer\.$/],
    ['no age', { label: '12' }, /^rating\.min_age is required\.$/],
    ['no label', { min_age: 12 }, /^rating\.label is required\.$/],
    ['an unknown field', { label: '12', min_age: 12, country: 'UK' }, /rating/],
    ['a bare string', '12A', /^rating /],
  ];

  it.each(badRatings)('when a movie is created with %s, then 400 naming the field and nothing is written', async (_case, rating, detail) => {
    const before = await counts();
    const reply = await asStaff('POST', '/api/admin/movies', { title: unique('Bad'), duration_minutes: 90, rating });
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(reply.body.detail).toMatch(detail);
    expect(await counts()).toEqual(before);
  });

  it.each(badRatings)('when a movie is changed to %s, then 400 naming the field and the movie is as it was', async (_case, rating, detail) => {
    const movie = await created('/api/admin/movies', { title: unique('Kept'), duration_minutes: 90, rating: { label: '12A', min_age: 12 } });
    const before = await counts();
    const reply = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { title: 'Changed', rating });
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(reply.body.detail).toMatch(detail);
    expect(await movieRow(movie.id)).toEqual({ title: movie.title, rating_label: '12A', rating_min_age: 12 });
    expect(await counts()).toEqual(before);
  });

  it('when the database is written around the API, then a label without an age (or an age out of range) is refused by its constraints', async () => {
    const movie = await created('/api/admin/movies', { title: unique('Constrained'), duration_minutes: 90 });
    await expect(sql`UPDATE movies SET rating_label = '15' WHERE id = ${movie.id}`.execute(app.db)).rejects.toThrow(/movies_rating_complete/);
    await expect(sql`UPDATE movies SET rating_label = '99', rating_min_age = 99 WHERE id = ${movie.id}`.execute(app.db)).rejects.toThrow(/movies_rating_min_age_range/);
  });
});
