import { badRequest } from './errors.ts';

/**
 * Opaque page cursors: the sort key of the last item of a page, as
 * base64url JSON. Clients pass `next_cursor` back unchanged; anything else is a 400.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends readonly (string | number)[]>(cursor: string, isKey: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isKey(value)) {
    throw badRequest('cursor is not valid; pass next_cursor from the previous page unchanged.');
  }
  return value;
}

export const isIdKey = (value: unknown): value is [number] =>
  Array.isArray(value) && value.length === 1 && Number.isInteger(value[0]) && (value[0] as number) >= 0 && (value[0] as number) <= 2_147_483_647;

const utcTimestamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,6})?Z$/;

/**
 * A UTC timestamp in the one form our cursors carry (`toISOString()`, or
 * PostgreSQL's to the microsecond), on a day and at a time that exist, in the
 * years 1–9999. `Date.parse` is no test: it reads "1" as 2001, rolls 30
 * February over to March, and accepts year 0 and year 275760, which
 * PostgreSQL refuses, so the query would fail instead of the request.
 */
function isUtcTimestamp(value: string): boolean {
  const match = utcTimestamp.exec(value);
  const seconds = match?.[1];
  if (seconds === undefined || seconds.startsWith('0000')) {
    return false;
  }
  const date = new Date(`${seconds}Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === seconds;
}

export const isTimeIdKey = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  isUtcTimestamp(value[0]) &&
  Number.isInteger(value[1]) &&
  (value[1] as number) >= 0 &&
  (value[1] as number) <= 2_147_483_647;

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T>(rows: readonly T[], limit: number, keyOf: (last: T) => readonly (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
