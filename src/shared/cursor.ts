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

export const isTimeIdKey = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  !Number.isNaN(Date.parse(value[0])) &&
  Number.isInteger(value[1]) &&
  (value[1] as number) >= 0 &&
  (value[1] as number) <= 2_147_483_647;

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T>(rows: readonly T[], limit: number, keyOf: (last: T) => readonly (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
