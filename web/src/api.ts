import type { Page } from './types.ts';

/** A refusal from the API (its `{detail}` sentence), or status 0 when the server could not be reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly body: unknown;

  constructor(status: number, detail: string, body: unknown = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/** The detail the server gives for a path it has no route for (as opposed to "Show not found."). */
const NO_SUCH_ROUTE = 'Not found.';

/** True when the server does not have this endpoint at all (an older server), not when it refused the request. */
export const isMissingEndpoint = (error: unknown): boolean =>
  error instanceof ApiError && (error.status === 405 || (error.status === 404 && error.detail === NO_SUCH_ROUTE));

export const errorMessage = (error: unknown): string =>
  error instanceof ApiError ? error.detail : 'Something went wrong; please try again.';

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    // The session is the HttpOnly cookie set at login; same-origin fetches carry it and their Origin.
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Could not reach Boxoffice; check your connection and try again.');
  }
  if (response.status === 204) {
    return undefined as T;
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail =
      typeof data === 'object' && data !== null && typeof (data as { detail?: unknown }).detail === 'string'
        ? (data as { detail: string }).detail
        : `The server answered ${response.status}; please try again.`;
    throw new ApiError(response.status, detail, data);
  }
  return data as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body);

/** `path?params`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      query.set(name, String(value));
    }
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Every item of a cursor-paged collection, following next_cursor. */
export async function getAll<T>(path: string, params: Record<string, string | number | undefined | null> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  // A safety stop: no listing in this app needs more than 50 pages of 100.
  for (let page = 0; page < 50; page++) {
    const reply: Page<T> = await get<Page<T>>(withQuery(path, { ...params, limit: 100, cursor }));
    items.push(...reply.items);
    cursor = reply.next_cursor;
    if (cursor === null) {
      break;
    }
  }
  return items;
}
