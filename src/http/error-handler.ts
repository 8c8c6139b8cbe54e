import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isTimeout } from '../db/pg-errors.ts';
import { AppError, RetryLaterError } from '../shared/errors.ts';
import { describeValidationError } from './validation.ts';

export const httpErrors = {
  databaseUnavailable: 'The database is unavailable right now; please try again in a few seconds.',
  busy: 'The server is too busy to finish this request; please try again.',
  internal: 'Something went wrong on our side; please try again, and tell us if it keeps happening.',
  invalidJson: 'The request body is not valid JSON.',
  emptyJson: 'The request body is empty; send a JSON object.',
  bodyTooLarge: 'The request body is too large.',
  unsupportedMediaType: 'Send the request body as JSON with "Content-Type: application/json".',
  badUrl: 'The request URL is malformed.',
  notFound: 'Not found.',
  rateLimited: (seconds: number) => `Too many requests; try again in ${seconds} seconds.`,
} as const;

/** Client errors Fastify raises before our code runs, with the sentence we answer instead. */
const fastifyClientErrors: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: httpErrors.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: httpErrors.emptyJson,
  FST_ERR_CTP_BODY_TOO_LARGE: httpErrors.bodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: httpErrors.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
  FST_ERR_BAD_URL: httpErrors.badUrl,
  FST_ERR_MAX_PARAM_LENGTH: 'The request URL is too long.',
};

type ErrorBody = { detail: string } & Record<string, unknown>;

const isChoiceOfLiterals = (e: { keyword: string; schema?: unknown }): boolean =>
  e.keyword === 'anyOf' && Array.isArray(e.schema) && e.schema.every((option) => typeof option === 'object' && option !== null && 'const' in option);

function classify(error: FastifyError | AppError): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    return { status: error.status, body: { ...error.extra, detail: error.detail } };
  }
  // For a union of literals Ajv lists each branch's failure, then the anyOf; only the anyOf names all the options.
  const first = error.validation?.find(isChoiceOfLiterals) ?? error.validation?.[0];
  if (first !== undefined) {
    return { status: 400, body: { detail: describeValidationError(first as never, error.validationContext) } };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, body: { detail: httpErrors.databaseUnavailable } };
  }
  if (isTimeout(error)) {
    return { status: 503, body: { detail: httpErrors.busy } };
  }
  const known = error.code === undefined ? undefined : fastifyClientErrors[error.code];
  if (known !== undefined) {
    return { status: error.statusCode ?? 400, body: { detail: known } };
  }
  if (error.statusCode === 429) {
    return { status: 429, body: { detail: error.message } };
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // Any other client error Fastify or a plugin raises: keep its status, make the sentence end like one.
    const message = error.message.endsWith('.') ? error.message : `${error.message}.`;
    return { status: error.statusCode, body: { detail: message } };
  }
  return { status: 500, body: { detail: httpErrors.internal } };
}

/**
 * Fastify's "incoming request" / "request completed" lines, at debug: at
 * info they are two lines per request on the hot path. A request that
 * errored is still logged at error, and the error handler logs every 5xx.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

/** The one error handler: every error becomes `{detail}` JSON with the right status (SPEC §3). */
export function errorHandler(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = classify(error);
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.debug({ status, detail: body.detail }, 'request rejected');
  }
  if (error instanceof RetryLaterError) {
    reply.header('retry-after', String(error.retryAfterSeconds));
  } else if (status === 503) {
    reply.header('retry-after', '5');
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Fastify's `frameworkErrors`: a malformed or overlong URL never reaches a route or its hooks. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  void errorHandler(error, request, reply);
}

/**
 * Requests too broken to reach a route (not HTTP at all, headers too large):
 * Node hands over the socket, and the answer is still `{detail}` JSON, with
 * a fresh x-request-id (the caller's cannot be trusted from a broken request).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request headers are too large.']
        : [400, 'The request is not valid HTTP.'];
  const body = JSON.stringify({ detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-Id: ${randomUUID()}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * An `Expect` other than `100-continue`: Node answers 417 itself with an
 * empty body unless the server listens for it (`checkExpectation`), so we
 * do, and answer like every other error (SPEC §3). Found by the route fuzzer.
 */
export function expectationFailedHandler(_request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify({ detail: 'The Expect header is not supported; send the request without it.' });
  response
    .writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': randomUUID() })
    .end(body);
}

/**
 * While the server shuts down, a request it has already received gets its
 * real answer, never a 503 (SPEC §8); new connections are refused by the
 * closed listening socket, and idle keep-alive connections are closed by
 * Node's server.close(). An answer sent meanwhile says `Connection: close`,
 * so its socket is not reused.
 */
export function closeConnectionsWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) {
      reply.header('connection', 'close');
    }
    return payload;
  });
}
