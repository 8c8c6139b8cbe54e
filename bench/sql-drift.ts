/**
 * The pgbench scripts that stand for the service's own statements must send
 * the very SQL the service sends: each is compared with what Kysely compiles
 * from the real query functions of src/booking/booking.queries.ts (run on a
 * Kysely that never connects), so a change there fails the bench until the
 * script follows.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Transaction } from 'kysely';
import { bookSeatsBatch, findShowHeader, holdSeatsBatch, selectLayoutSeats } from '../src/booking/booking.queries.ts';
import type { DB } from '../src/db/schema.ts';
import { statementsOf } from '../test/setup/compiled-sql.ts';
import { PGBENCH_SCRIPTS } from './pgbench.ts';

/** A pgbench script's SQL statements, its `:name` variables numbered $1, $2, … per statement, whitespace collapsed. */
export function scriptStatements(text: string): string[] {
  const sql = text
    .split('\n')
    .filter((line) => !line.startsWith('--') && !line.startsWith('\\'))
    .join('\n');
  return sql
    .split(';')
    .map((statement) => statement.replace(/\s+/g, ' ').trim())
    .filter((statement) => statement !== '' && !/^(BEGIN|COMMIT)$/i.test(statement))
    .map(numberVariables);
}

/** `:show … :user … :show` → `$1 … $2 … $1`, as a prepared statement numbers its parameters (`::int` casts stay). */
function numberVariables(statement: string): string {
  const numbers = new Map<string, number>();
  return statement.replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
    if (!numbers.has(name)) {
      numbers.set(name, numbers.size + 1);
    }
    return `$${numbers.get(name)}`;
  });
}

const normalize = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/** The one documented difference: an array is ARRAY[:x] in pgbench, an array parameter in the service. */
const asArrayParameter = (statement: string): string => statement.replace(/ARRAY\[(\$\d+)\]/g, '$1');

const ignoreResult = (work: Promise<unknown>): Promise<unknown> => work.catch(() => undefined); // no rows from the dummy driver

const services: Record<string, (trx: Transaction<DB>) => Promise<unknown>> = {
  'hold.sql': (trx) => ignoreResult(holdSeatsBatch(trx, [{ showId: 1, userId: 1, seatIds: [1] }], { ttlSeconds: 1, maxSeats: 1 })),
  'hot-seat.sql': (trx) => ignoreResult(holdSeatsBatch(trx, [{ showId: 1, userId: 1, seatIds: [1] }], { ttlSeconds: 1, maxSeats: 1 })),
  'book.sql': (trx) => ignoreResult(bookSeatsBatch(trx, [{ showId: 1, userId: 1, seatIds: [1], reference: 'R' }], { maxSeats: 1 })),
  'layout.sql': async (trx) => {
    await findShowHeader(trx, 1);
    await selectLayoutSeats(trx, 1);
  },
};

/** One sentence per script that no longer sends the service's SQL. */
export async function checkScriptsMatchService(): Promise<string[]> {
  const problems: string[] = [];
  for (const [script, service] of Object.entries(services)) {
    const expected = (await statementsOf(service)).map((query) => normalize(query.sql));
    const actual = scriptStatements(await readFile(path.join(PGBENCH_SCRIPTS, script), 'utf8')).map(asArrayParameter);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`bench/pgbench/${script} no longer sends the service's SQL; booking.queries.ts compiles to: ${expected.join('; ')}`);
    }
  }
  return problems;
}
