/** Recognising PostgreSQL and connection failures by their codes, never by message text. */

type PgLikeError = { code?: unknown; constraint?: unknown };

function pgCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && typeof (error as PgLikeError).code === 'string') {
    return (error as PgLikeError).code as string;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return pgCode(error) === '23505' && (constraint === undefined || (error as PgLikeError).constraint === constraint);
}

export function isExclusionViolation(error: unknown, constraint?: string): boolean {
  return pgCode(error) === '23P01' && (constraint === undefined || (error as PgLikeError).constraint === constraint);
}

export function isForeignKeyViolation(error: unknown): boolean {
  return pgCode(error) === '23503';
}

/**
 * The database is alive but could not finish this one now: lock_timeout or
 * statement_timeout fired, or it broke a deadlock or a serialization conflict
 * by aborting us. Worth a retry: a 503, not a 500.
 */
export function isTimeout(error: unknown): boolean {
  const code = pgCode(error);
  return code === '55P03' || code === '57014' || code === '40P01' || code === '40001';
}

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** The database cannot be reached or went away mid-request: a 503, not a 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgCode(error);
  if (code !== undefined && (connectionCodes.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) {
    return true;
  }
  if (error instanceof Error) {
    // node-postgres reports these without a code.
    return /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      error.message,
    );
  }
  return false;
}
