import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { createDatabase, createPool } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export const TEMPLATE_DATABASE = 'boxoffice_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the PostgreSQL server's maintenance database, for CREATE DATABASE. */
    serverUrl: string;
  }
}

function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Starts PostgreSQL once for the whole run (embedded, or the server in
 * DATABASE_URL) and migrates a template database; each test file clones it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let baseUrl = process.env['DATABASE_URL'];
  if (baseUrl === undefined || baseUrl === '') {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-test-'));
    await chmod(dataDir, 0o755); // the postgres system user must reach its cluster inside
    embedded = await startEmbeddedPostgres(dataDir, pino({ level: 'warn' }));
    baseUrl = embedded.superuserUrl; // CREATE DATABASE for the template and each test file's clone
  }
  const serverUrl = withDatabaseName(baseUrl, 'postgres');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();

  const pool = createPool(withDatabaseName(baseUrl, TEMPLATE_DATABASE), { max: 2 });
  const db = createDatabase(pool);
  await migrateToLatest(db);
  await db.destroy();

  project.provide('serverUrl', serverUrl);
  return async () => {
    await embedded?.stop();
    if (dataDir !== undefined) {
      await rm(dataDir, { recursive: true, force: true });
    }
  };
}

export { withDatabaseName };
