import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';

// SPEC §8: a hall has at most MAX_SEATS_PER_HALL seats (default 5,000), on
// every way in: creating a hall and replacing its seat map.

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
/** `count` rows of `seats` seats each, labelled R1, R2, … */
const rowsOf = (count: number, seats: number) => Array.from({ length: count }, (_, i) => ({ row: `R${i + 1}`, seats }));
const tooMany = (seats: number, max: number) =>
  `rows add up to ${seats} seats, but a hall may have at most ${max} (MAX_SEATS_PER_HALL); use fewer or shorter rows.`;

async function countRows(app: TestApp, table: 'halls' | 'seats' | 'audit_log'): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(app.db)).rows[0]!.n;
}
async function seatsOf(app: TestApp, hallId: number): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM seats WHERE hall_id = ${hallId}`.execute(app.db)).rows[0]!.n;
}

describe('MAX_SEATS_PER_HALL at its default', { timeout: 60_000 }, () => {
  let app: TestApp;
  let staff: TestUser;
  let venueId: number;

  beforeAll(async () => {
    app = await startTestApp();
    staff = await createUser(app.db, { staff: true });
    const venue = await app.http.post('/api/admin/venues', { name: unique('Venue'), city: 'Springfield' }, { token: staff.token });
    venueId = venue.body.id;
  });
  afterAll(() => app.close());

  const createHall = (rows: unknown) => app.http.post('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows }, { token: staff.token });
  const patchHall = (id: number, body: unknown) => app.http.send('PATCH', `/api/admin/halls/${id}`, body, { token: staff.token });

  it('when the limit is not configured, then it is 5,000 seats', () => {
    expect(loadConfig({}).maxSeatsPerHall).toBe(5_000);
    expect(loadConfig({ MAX_SEATS_PER_HALL: '800' }).maxSeatsPerHall).toBe(800);
    expect(() => loadConfig({ MAX_SEATS_PER_HALL: '0' })).toThrow('MAX_SEATS_PER_HALL must be between 1 and 100000, got 0.');
    expect(() => loadConfig({ MAX_SEATS_PER_HALL: 'many' })).toThrow('MAX_SEATS_PER_HALL must be a whole number, got "many".');
  });

  it('when a staff member creates a hall of 100,000 seats, then 400 naming rows and the limit, and nothing is written', async () => {
    const [halls, seats, audit] = [await countRows(app, 'halls'), await countRows(app, 'seats'), await countRows(app, 'audit_log')];
    const reply = await createHall(rowsOf(200, 500));
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: tooMany(100_000, 5_000) });
    expect([await countRows(app, 'halls'), await countRows(app, 'seats'), await countRows(app, 'audit_log')]).toEqual([halls, seats, audit]);
  });

  it('when a hall has one seat more than the limit, then 400; at the limit, then 201 with every seat', async () => {
    const over = await createHall([...rowsOf(10, 500), { row: 'Z', seats: 1 }]);
    expect(over.status).toBe(400);
    expect(over.body).toEqual({ detail: tooMany(5_001, 5_000) });

    const atLimit = await createHall(rowsOf(10, 500));
    expect(atLimit.status).toBe(201);
    expect(atLimit.body.seat_count).toBe(5_000);
    expect(await seatsOf(app, atLimit.body.id)).toBe(5_000);
  });

  it('when a staff member changes a hall\'s rows to more seats than the limit, then 400 naming rows, and its seats stay as they were', async () => {
    const hall = await createHall(rowsOf(2, 10));
    expect(hall.status).toBe(201);
    const reply = await patchHall(hall.body.id, { name: unique('Bigger'), rows: rowsOf(200, 500) });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: tooMany(100_000, 5_000) });
    expect(await seatsOf(app, hall.body.id)).toBe(20);
    const name = await app.db.selectFrom('halls').select('name').where('id', '=', hall.body.id).executeTakeFirstOrThrow();
    expect(name.name).toBe(hall.body.name);
  });
});

describe('MAX_SEATS_PER_HALL configured', { timeout: 60_000 }, () => {
  let app: TestApp;
  let staff: TestUser;
  let venueId: number;

  beforeAll(async () => {
    app = await startTestApp({ maxSeatsPerHall: 30 });
    staff = await createUser(app.db, { staff: true });
    const venue = await app.http.post('/api/admin/venues', { name: unique('Venue'), city: 'Springfield' }, { token: staff.token });
    venueId = venue.body.id;
  });
  afterAll(() => app.close());

  it('when MAX_SEATS_PER_HALL is 30, then a hall of 31 seats is refused with that limit and one of 30 is created', async () => {
    const over = await app.http.post('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows: rowsOf(1, 31) }, { token: staff.token });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({ detail: tooMany(31, 30) });

    const atLimit = await app.http.post('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows: rowsOf(3, 10) }, { token: staff.token });
    expect(atLimit.status).toBe(201);
    expect(await seatsOf(app, atLimit.body.id)).toBe(30);

    const patched = await app.http.send('PATCH', `/api/admin/halls/${atLimit.body.id}`, { rows: rowsOf(4, 10) }, { token: staff.token });
    expect(patched.status).toBe(400);
    expect(patched.body).toEqual({ detail: tooMany(40, 30) });
    expect(await seatsOf(app, atLimit.body.id)).toBe(30);
  });
});
