/**
 * The one error a domain throws to end a request: an HTTP status and one
 * sentence a person can act on. Extra fields (e.g. `conflicts`) are merged
 * into the JSON body next to `detail`. `code` is an optional machine-readable
 * reason (e.g. `seat_limit`) for counting refusals by kind; it is not sent.
 */
export class AppError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly extra: Readonly<Record<string, unknown>> | undefined;
  readonly code: string | undefined;

  constructor(status: number, detail: string, extra?: Record<string, unknown>, code?: string) {
    // An answer, not a fault: no stack trace to capture (a 409 on a hot seat is the common case, and
    // capturing one was 4 % of the server's CPU there). Nothing logs or sends an AppError's stack.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail);
    Error.stackTraceLimit = limit;
    this.name = 'AppError';
    this.status = status;
    this.detail = detail;
    this.extra = extra;
    this.code = code;
  }
}

/** A refusal that says when to come back: the answer carries `Retry-After` (429 rate limited, 503 overloaded, 409 still running). */
export class RetryLaterError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(status: 409 | 429 | 503, detail: string, retryAfterSeconds: number) {
    super(status, detail);
    this.name = 'RetryLaterError';
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export const notFound = (detail: string): AppError => new AppError(404, detail);
export const conflict = (detail: string, extra?: Record<string, unknown>, code?: string): AppError =>
  new AppError(409, detail, extra, code);
export const badRequest = (detail: string): AppError => new AppError(400, detail);
export const forbidden = (detail: string): AppError => new AppError(403, detail);
export const unauthorized = (detail: string): AppError => new AppError(401, detail);
