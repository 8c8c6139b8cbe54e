import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { AppError, badRequest, RetryLaterError } from '../shared/errors.ts';
import { ordersErrors } from './orders.errors.ts';

/**
 * `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header) on the
 * requests that create an order or move money. Keys belong to a user and
 * last 24 hours:
 *
 * - a new key runs the request once and keeps its answer (a success, or a
 *   refusal: a 4xx is an answer too);
 * - the same key with the same request replays that answer, with
 *   `Idempotent-Replayed: true`;
 * - the same key with a different request (method, path or body) is 422;
 * - the same key while the first request is still running is 409 with
 *   `Retry-After`;
 * - a request that failed on our side (5xx, a lost database) keeps nothing,
 *   so its retry runs again; one whose process died mid-way is taken over
 *   once its lease (60 s) has passed.
 */

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const KEPT_HOURS = 24;
const LEASE_SECONDS = 60;

export type Answer = { status: number; body: unknown };
export type IdempotentAnswer = Answer & { replayed: boolean };

/** The request as the key remembers it: method, path and the body in a canonical form. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]))
        : value;
  return createHash('sha256').update(JSON.stringify([method, path, canonical(body ?? null)])).digest('base64url');
}

/** The header's value, checked: required on these routes. */
export function idempotencyKeyOf(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key === '') {
    throw badRequest(ordersErrors.idempotencyKeyMissing);
  }
  // The draft sends the key as a structured-field string: "…"; a bare token is accepted too.
  const bare = key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key;
  if (!KEY_PATTERN.test(bare)) {
    throw badRequest(ordersErrors.idempotencyKeyInvalid);
  }
  return bare;
}

/** Runs `run` at most once per (user, key); see above. */
export async function idempotent(db: Database, scope: { userId: number; key: string; fingerprint: string }, run: () => Promise<Answer>): Promise<IdempotentAnswer> {
  // Claim the key: a new one, or one whose earlier run was abandoned or has been forgotten.
  const { rows: claimed } = await sql<{ claimed: boolean }>`
    INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, state, running_until)
    VALUES (${scope.userId}, ${scope.key}, ${scope.fingerprint}, 'running', now() + make_interval(secs => ${LEASE_SECONDS}))
    ON CONFLICT (user_id, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, state = 'running', running_until = EXCLUDED.running_until,
           created_at = now(), status_code = NULL, response = NULL
     WHERE k.created_at < now() - make_interval(hours => ${KEPT_HOURS})
        OR (k.state = 'running' AND k.running_until < now() AND k.fingerprint = EXCLUDED.fingerprint)
    RETURNING true AS claimed`.execute(db);
  if (claimed.length === 0) {
    return replay(db, scope);
  }
  let answer: Answer;
  try {
    answer = await run();
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      answer = { status: error.status, body: { ...error.extra, detail: error.detail } };
    } else {
      await db.deleteFrom('idempotency_keys').where('user_id', '=', scope.userId).where('key', '=', scope.key).execute().catch(() => undefined);
      throw error;
    }
  }
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', status_code: answer.status, response: JSON.stringify(answer.body), running_until: null })
    .where('user_id', '=', scope.userId)
    .where('key', '=', scope.key)
    .execute();
  return { ...answer, replayed: false };
}

async function replay(db: Database, scope: { userId: number; key: string; fingerprint: string }): Promise<IdempotentAnswer> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'state', 'status_code', 'response'])
    .where('user_id', '=', scope.userId)
    .where('key', '=', scope.key)
    .executeTakeFirst();
  if (row === undefined) {
    // Deleted by a failed first run between our two statements: the client may simply retry.
    throw new RetryLaterError(409, ordersErrors.idempotencyKeyRunning, 1);
  }
  if (row.fingerprint !== scope.fingerprint) {
    throw new AppError(422, ordersErrors.idempotencyKeyReused);
  }
  if (row.state === 'running') {
    throw new RetryLaterError(409, ordersErrors.idempotencyKeyRunning, 1);
  }
  return { status: row.status_code ?? 200, body: row.response, replayed: true };
}

/** Keys older than a day: forgotten (the orders' sweep). */
export async function forgetOldKeys(db: Database): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where(sql<boolean>`created_at < now() - make_interval(hours => ${KEPT_HOURS})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
