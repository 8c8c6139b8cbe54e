import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type Transaction,
} from 'kysely';
import type { DB } from '../../src/db/schema.ts';

/**
 * The statements `work` sends, compiled for PostgreSQL, by running it in a
 * transaction of a Kysely that never connects: Kysely's DummyDriver answers
 * every statement with no rows. So a snapshot test compiles the real query
 * function, not a copy of its SQL kept beside it.
 */
export async function statementsOf(work: (trx: Transaction<DB>) => Promise<unknown>): Promise<CompiledQuery[]> {
  const sent: CompiledQuery[] = [];
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      sent.push(event.query);
    },
  });
  try {
    await db.transaction().execute(work);
  } finally {
    await db.destroy();
  }
  return sent;
}

/** The one statement `work` sends (a test fails when it sends none or several). */
export async function statementOf(work: (trx: Transaction<DB>) => Promise<unknown>): Promise<CompiledQuery> {
  const sent = await statementsOf(work);
  if (sent.length !== 1 || sent[0] === undefined) {
    throw new Error(`expected one statement, got ${sent.length}: ${sent.map((query) => query.sql).join(' | ')}`);
  }
  return sent[0];
}

/** A compiled statement as its snapshot file records it: the SQL on one line, then its parameters. */
export const renderStatement = (compiled: { sql: string; parameters: readonly unknown[] }): string =>
  `${compiled.sql.replace(/\s+/g, ' ').trim()}\n-- parameters: ${JSON.stringify(compiled.parameters)}\n`;
