import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';

// docs/scale-out.md: Citus distributes a table by a column that every one of
// its primary and unique keys must contain; for each seat transaction to stay
// on one shard, the tables it writes are distributed by showtime_id. These
// are the tables the seat functions and the sweeper write.
const SEAT_TABLES = ['show_seats', 'bookings'];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('a schema ready to shard by showtime', () => {
  it('when the keys of the tables a seat transaction writes are read from the catalog, then every primary and unique key leads with showtime_id', async () => {
    const { rows } = await sql<{ table: string; name: string; kind: string; columns: string[] }>`
      SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS kind,
             array_agg(a.attname::text ORDER BY k.ord) AS columns
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
       WHERE c.conrelid::regclass::text = ANY(${SEAT_TABLES}) AND c.contype IN ('p', 'u')
       GROUP BY 1, 2, 3 ORDER BY 1, 2`.execute(database.db);
    expect(rows.map((r) => `${r.table}.${r.name}`)).toEqual([
      'bookings.bookings_pkey',
      'bookings.bookings_showtime_seat_key',
      'show_seats.show_seats_pkey',
      'show_seats.show_seats_showtime_seat_key',
    ]);
    for (const row of rows) {
      expect(row.columns[0], `${row.table}.${row.name}`).toBe('showtime_id');
    }
    // No unique index outside the constraints either (a unique index Citus would refuse).
    const { rows: uniqueIndexes } = await sql<{ index: string; first: string }>`
      SELECT i.indexrelid::regclass::text AS index, a.attname::text AS first
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid::regclass::text = ANY(${SEAT_TABLES}) AND i.indisunique`.execute(database.db);
    expect(uniqueIndexes.filter((i) => i.first !== 'showtime_id')).toEqual([]);
  });

  it('when the seat functions and the sweeper look locked rows up by id alone, then an index on id serves them', async () => {
    const { rows: indexes } = await sql<{ name: string }>`
      SELECT indexrelid::regclass::text AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = 'show_seats'::regclass AND a.attname = 'id'`.execute(database.db);
    expect(indexes.map((r) => r.name)).toEqual(['show_seats_id_idx']);
  });
});
