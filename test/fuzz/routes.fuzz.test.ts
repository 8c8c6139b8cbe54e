import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/accounts/index.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { expectInvariantsHold } from '../setup/cli.ts';
import { createShow, createUser, type TestUser } from '../setup/factories.ts';
import {
  bodyArbitrary,
  contentTypes,
  encodeText,
  FixtureRef,
  fixtureRef,
  fromSchema,
  headerText,
  hostileStrings,
  hostileValue,
  poolOf,
  rawBodies,
  toJsonText,
  type JsonSchema,
  type Pool,
  type SchemaContext,
} from './arbitraries.ts';

/**
 * SPEC §3 and §8, issue 10: every route of the OpenAPI document, fuzzed over
 * real HTTP with requests generated from its own schemas plus hostile shapes
 * (bodies, path and query parameters, headers, content types, methods it
 * does not serve). Whatever arrives, the answer is 2xx/3xx/4xx, never a 5xx,
 * never a hang, every 4xx is JSON `{detail}`, and `boxoffice check` is clean
 * afterwards.
 *
 * FUZZ_RUNS is the number of generated requests over the whole file (default
 * 600, spread over the operations); FUZZ_SEED a number, or `random` (default:
 * a fixed seed, so `npm test` is reproducible). `npm run fuzz` runs 10,000
 * with a random seed. A failure prints fast-check's seed and path: rerun
 * with FUZZ_SEED set to the printed base seed and the same FUZZ_RUNS.
 */

const TOTAL_RUNS = Number(process.env['FUZZ_RUNS'] ?? 600);
const BASE_SEED = process.env['FUZZ_SEED'] === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['FUZZ_SEED'] ?? 20_261_125);
/** An answer that has not arrived by then is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema?: JsonSchema };
type Operation = { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } };
type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

type Who = 'user' | 'staff';
type Auth =
  | { kind: 'none' }
  | { kind: 'bearer'; who: Who; scheme: string }
  | { kind: 'cookie'; who: Who; sameOrigin: boolean }
  | { kind: 'authorization'; value: string }
  | { kind: 'cookie-garbage'; value: string };

type Body = { kind: 'none' } | { kind: 'json'; value: unknown; contentType: string | undefined } | { kind: 'raw'; bytes: string | Buffer; contentType: string | undefined };

type FuzzRequest = {
  method: string;
  path: (string | FixtureRef)[];
  query: string;
  auth: Auth;
  headers: Record<string, string>;
  body: Body;
};

type Answer = { status: number; allow: string | undefined; contentType: string; text: string; json: unknown; isJson: boolean; stream: boolean };

let user: TestUser;
let staff: TestUser;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const pools: Record<Pool, number[]> = { show: [], seat: [], hall: [], venue: [], movie: [], user: [] };
let sent = 0;
/** Real page cursors (next_cursor of the lists), so a valid one is in the mix. */
const cursors: string[] = [];
const statusCounts = new Map<number, number>();
/** FUZZ_VERBOSE=1: the statuses per operation too, to see what the generators reach. */
const operationStatuses = new Map<string, Map<number, number>>();
let currentOperation = '';

/** A show with its hall, venue, movie and seats, added to the pools (again after staff delete or cancel one). */
async function addShow(): Promise<void> {
  const show = await createShow(app.db, { rows: 2, seatsPerRow: 4 });
  const row = await app.db
    .selectFrom('showtimes')
    .innerJoin('halls', 'halls.id', 'showtimes.hall_id')
    .select(['showtimes.movie_id', 'halls.venue_id'])
    .where('showtimes.id', '=', show.showId)
    .executeTakeFirstOrThrow();
  pools.show.push(show.showId);
  pools.hall.push(show.hallId);
  pools.seat.push(...show.seatIds);
  pools.venue.push(row.venue_id);
  pools.movie.push(row.movie_id);
}

/** Recent fixtures first: older ones may have been deleted by an earlier staff request. */
function resolve(ref: FixtureRef): number {
  const pool = pools[ref.pool];
  // The newest show's seats, and most often the newest show: a hold or a booking that can succeed.
  const recent = ref.pool === 'seat' ? 8 : 3;
  const back = ref.pool === 'show' && ref.pick % 4 !== 0 ? 0 : ref.pick % Math.min(recent, pool.length);
  return pool[pool.length - 1 - back] ?? 1;
}

beforeAll(async () => {
  user = await createUser(app.db);
  staff = await createUser(app.db, { staff: true });
  pools.user.push(user.id, staff.id);
  await addShow();
  await addShow();
  for (const list of ['/api/venues', '/api/movies', '/api/showtimes']) {
    const page = await app.http.get(`${list}?limit=1`);
    expect(page.status).toBe(200);
    cursors.push(String((page.body as { next_cursor: string | null }).next_cursor));
  }
  console.log(`route fuzzer: FUZZ_RUNS=${TOTAL_RUNS} FUZZ_SEED=${BASE_SEED}`);
});

afterAll(async () => {
  agent.destroy();
  app.http.agent.destroy();
  console.log(
    `route fuzzer: ${sent} requests sent (seed ${BASE_SEED}); statuses ${[...statusCounts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ')}`,
  );
  if (process.env['FUZZ_VERBOSE'] === '1') {
    for (const [operation, statuses] of operationStatuses) {
      console.log(`${operation}: ${[...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`);
    }
  }
  await app.close();
});

// ---------------------------------------------------------------------------------------------------------------------
// Sending

function tokenOf(who: Who): string {
  return who === 'user' ? user.token : staff.token;
}

async function buildHeaders(request: FuzzRequest, url: URL): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...request.headers };
  const { auth } = request;
  // Logout revokes the token it carries: give it one of its own, so the fixtures' sessions live on.
  const revokes = request.method === 'POST' && url.pathname.replace(/\/+$/, '') === '/api/auth/logout';
  const token = async (who: Who) => (revokes ? createSession(app.db, who === 'user' ? user.id : staff.id) : tokenOf(who));
  switch (auth.kind) {
    case 'none':
      break;
    case 'bearer':
      headers['authorization'] = `${auth.scheme} ${await token(auth.who)}`;
      break;
    case 'cookie':
      headers['cookie'] = `boxoffice_session=${await token(auth.who)}`;
      if (auth.sameOrigin) {
        headers['origin'] = url.origin;
      }
      break;
    case 'authorization':
      headers['authorization'] = auth.value;
      break;
    case 'cookie-garbage':
      headers['cookie'] = auth.value;
      break;
  }
  return headers;
}

function payloadOf(body: Body): { bytes?: Buffer; contentType?: string } {
  switch (body.kind) {
    case 'none':
      return {};
    case 'json':
      return { bytes: Buffer.from(toJsonText(body.value, resolve)), contentType: body.contentType };
    case 'raw':
      return { bytes: typeof body.bytes === 'string' ? Buffer.from(body.bytes) : body.bytes, contentType: body.contentType };
  }
}

function urlOf(request: FuzzRequest): URL {
  const path = request.path.map((piece) => (piece instanceof FixtureRef ? String(resolve(piece)) : piece)).join('');
  return new URL(`${path}${request.query}`, app.baseUrl);
}

/** The body as sent before compression (the fuzzer asks for gzip, br, … in Accept-Encoding). */
function decoded(body: Buffer, headers: IncomingHttpHeaders): Buffer {
  const encoding = String(headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (body.length === 0) {
    return body;
  }
  switch (encoding) {
    case 'identity':
      return body;
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'zstd':
      return zlib.zstdDecompressSync(body);
    default:
      throw new Error(`unknown content-encoding ${encoding}`);
  }
}

/** One request over real HTTP; an event stream is closed once its headers are in. */
async function send(request: FuzzRequest): Promise<Answer> {
  const url = urlOf(request);
  const headers = await buildHeaders(request, url);
  const { bytes, contentType } = payloadOf(request.body);
  if (contentType !== undefined) {
    headers['content-type'] = contentType;
  }
  if (bytes !== undefined) {
    // Node frames a body as chunked only for methods that usually carry one: on a GET or HEAD the bytes
    // would otherwise follow unframed, and the server would read them as the next request.
    headers['content-length'] = String(bytes.length);
  }
  sent++;
  return new Promise((done, fail) => {
    const req = httpRequest(url, { method: request.method, headers, agent }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream') && request.method !== 'HEAD') {
        clearTimeout(timer);
        req.destroy();
        done({ status: res.statusCode ?? 0, allow: res.headers['allow'], contentType: type, text: '', json: undefined, isJson: false, stream: true });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        let text: string;
        try {
          text = decoded(Buffer.concat(chunks), res.headers).toString('utf8');
        } catch (error) {
          fail(new Error(`the ${String(res.headers['content-encoding'])} body does not decode: ${(error as Error).message}`));
          return;
        }
        let json: unknown;
        let isJson = false;
        try {
          json = JSON.parse(text);
          isJson = true;
        } catch {
          isJson = false;
        }
        done({ status: res.statusCode ?? 0, allow: res.headers['allow'], contentType: type, text, json, isJson, stream: false });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      req.destroy();
      fail(new Error(`hang: no answer within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    req.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    req.end(bytes);
  });
}

function describeRequest(request: FuzzRequest): string {
  const url = urlOf(request);
  const { bytes, contentType } = payloadOf(request.body);
  const body = bytes === undefined ? '' : ` body (${contentType ?? 'no content-type'}, ${bytes.length} bytes) ${JSON.stringify(bytes.subarray(0, 300).toString('utf8'))}`;
  return `${request.method} ${url.pathname}${url.search} auth=${JSON.stringify(request.auth).slice(0, 120)} headers=${JSON.stringify(request.headers).slice(0, 300)}${body}`;
}

/** What is wrong with an answer, if anything (SPEC §3: every error is JSON {detail}; §8: never a 5xx). */
function problemWith(request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500 || answer.status < 200) {
    return `answered ${answer.status} ${answer.text.slice(0, 300)}`;
  }
  if (answer.status === 405 && (answer.allow === undefined || answer.allow === '')) {
    return 'answered 405 without an Allow header';
  }
  if (answer.stream) {
    return answer.status === 200 ? undefined : `an event stream answered ${answer.status}`;
  }
  if (request.method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    return answer.text === '' ? undefined : `${answer.status} to ${request.method} carries a body`;
  }
  if (answer.status >= 300 && answer.status < 400) {
    return undefined;
  }
  if (!/^application\/json/.test(answer.contentType)) {
    return `answered ${answer.status} as ${answer.contentType || 'no content-type'}: ${answer.text.slice(0, 300)}`;
  }
  if (!answer.isJson) {
    return `answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 300)}`;
  }
  if (answer.status >= 400) {
    const detail = (answer.json as { detail?: unknown } | null)?.detail;
    if (typeof detail !== 'string' || detail === '') {
      return `answered ${answer.status} without a string detail: ${answer.text.slice(0, 300)}`;
    }
  }
  return undefined;
}

async function check(request: FuzzRequest): Promise<void> {
  let answer: Answer;
  try {
    answer = await send(request);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n  request: ${describeRequest(request)}`, { cause: error });
  }
  statusCounts.set(answer.status, (statusCounts.get(answer.status) ?? 0) + 1);
  const perOperation = operationStatuses.get(currentOperation) ?? new Map<number, number>();
  perOperation.set(answer.status, (perOperation.get(answer.status) ?? 0) + 1);
  operationStatuses.set(currentOperation, perOperation);
  if (process.env['FUZZ_VERBOSE'] === '2' && answer.status === 400 && !request.method.startsWith('X')) {
    console.log(`${currentOperation} 400: ${String((answer.json as { detail?: unknown } | undefined)?.detail).slice(0, 150)}`);
  }
  const problem = problemWith(request, answer);
  if (problem !== undefined) {
    throw new Error(`${problem}\n  request: ${describeRequest(request)}`);
  }
  // Staff deleted or cancelled a fixture: make another, so later requests still reach real rows.
  const url = urlOf(request);
  if (answer.status < 300 && (request.method === 'DELETE' || (request.method === 'POST' && url.pathname.endsWith('/cancel')))) {
    await addShow();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Generating

const authArbitrary: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
  { weight: 3, arbitrary: fc.constantFrom<Who>('user', 'staff').map((who): Auth => ({ kind: 'bearer', who, scheme: 'Bearer' })) },
  {
    weight: 1,
    arbitrary: fc.record({ who: fc.constantFrom<Who>('user', 'staff'), scheme: fc.constantFrom('bearer', 'BEARER', 'Bearer ', 'Basic', 'Token') }).map((a): Auth => ({ kind: 'bearer', ...a })),
  },
  { weight: 1, arbitrary: fc.record({ who: fc.constantFrom<Who>('user', 'staff'), sameOrigin: fc.boolean() }).map((a): Auth => ({ kind: 'cookie', ...a })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        headerText.map((text) => `Bearer ${text}`),
        headerText,
        fc.constantFrom('Bearer a.b.c', `Bearer ${'A'.repeat(43)}`, 'Bearer \u00ff\u00fe', 'Basic dXNlcjpwYXNz', 'Bearer  ', 'Bearer null'),
      )
      .map((value): Auth => ({ kind: 'authorization', value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(headerText.map((text) => `boxoffice_session=${text}`), headerText, fc.constantFrom('boxoffice_session=', 'boxoffice_session="', '__Host-boxoffice_session=x', '=;=;'))
      .map((value): Auth => ({ kind: 'cookie-garbage', value })),
  },
);

const someHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'x-request-id': fc.oneof(headerText, fc.uuid()),
    accept: fc.oneof(headerText, fc.constantFrom('application/json', 'text/event-stream', 'text/html', '*/*', 'application/xml')),
    'accept-encoding': fc.oneof(headerText, fc.constantFrom('gzip', 'br', 'deflate', 'zstd', 'gzip;q=0, br;q=0, *;q=0', 'identity;q=0')),
    'if-none-match': fc.oneof(headerText, fc.constantFrom('*', 'W/"1"', '"0"')),
    origin: fc.oneof(headerText, fc.constantFrom('null', 'http://evil.example', 'http://127.0.0.1:1')),
    'x-forwarded-for': headerText,
    'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
    'last-event-id': headerText,
    'accept-language': headerText,
    range: fc.constantFrom('bytes=0-1', 'bytes=-1', 'garbage'),
  },
  { requiredKeys: [] },
);

/** An unknown expectation stops a request before any route (417): one request in twenty carries one. */
const headersArbitrary: fc.Arbitrary<Record<string, string>> = fc
  .tuple(someHeaders, fc.nat({ max: 19 }), fc.constantFrom('100-continue', 'garbage', '200-ok'))
  .map(([headers, dice, expectation]) => (dice === 0 ? { ...headers, expect: expectation } : headers));

/** A path parameter: an id that exists, any id, or a segment that is no id at all. */
function pathParameter(pool: Pool): fc.Arbitrary<string | FixtureRef> {
  return fc.oneof(
    { weight: 4, arbitrary: fixtureRef(pool) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 2_147_483_647 }).map(String) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '0',
        '-1',
        '2147483648',
        '9223372036854775808',
        '1e3',
        '0x1',
        '1.0',
        '01',
        '%2B1',
        '%201',
        '1%00',
        '%00',
        '%ED%A0%80',
        '%EF%BF%BF',
        '%C0%80',
        '%uD800',
        '%',
        '%zz',
        '%2F',
        '..',
        '.',
        '9'.repeat(400),
        'a'.repeat(99),
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 300)).map(encodeText) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(encodeText) },
  );
}

function pathArbitrary(template: string, parameters: Parameter[], clean: boolean): fc.Arbitrary<(string | FixtureRef)[]> {
  const pieces = template.split(/(\{[^}]+\})/).filter((piece) => piece !== '');
  const arbitraries = pieces.map((piece) => {
    const name = /^\{(.+)\}$/.exec(piece)?.[1];
    if (name === undefined) {
      return fc.constant<string | FixtureRef>(piece);
    }
    const pool = poolOf(name) ?? poolOfPath(template);
    const declared = parameters.find((p) => p.in === 'path' && p.name === name);
    return declared === undefined ? fc.constant<string | FixtureRef>('1') : clean ? fixtureRef(pool) : pathParameter(pool);
  });
  if (clean) {
    return fc.tuple(...arbitraries);
  }
  // Now and then the trailing slash the other way round.
  return fc.tuple(fc.tuple(...arbitraries), fc.nat({ max: 9 })).map(([parts, twist]) => {
    if (twist !== 0) {
      return parts;
    }
    const last = parts[parts.length - 1];
    return typeof last === 'string' && last.endsWith('/') ? [...parts.slice(0, -1), last.slice(0, -1)] : [...parts, '/'];
  });
}

/** `{id}` in /api/admin/venues/{id} is a venue id; in /api/showtimes/{id} a showtime's. */
function poolOfPath(template: string): Pool {
  if (template.includes('/venues/')) {
    return 'venue';
  }
  if (template.includes('/halls/')) {
    return 'hall';
  }
  if (template.includes('/movies/')) {
    return 'movie';
  }
  return 'show';
}

const cursorArbitrary: fc.Arbitrary<string> = fc
  .oneof(
    fc.tuple(fc.integer({ min: -1, max: 2 ** 31 })).map((key) => JSON.stringify(key)),
    fc.tuple(fc.constantFrom(...hostileStrings.filter((s) => s.length < 50), '2026-12-01T18:30:00.000Z', '2026-12-01T18:30:00.123456Z'), fc.integer()).map((key) => JSON.stringify(key)),
    fc.json({ maxDepth: 2 }),
  )
  .map((json) => Buffer.from(json).toString('base64url'));

function queryArbitrary(parameters: Parameter[], context: SchemaContext, clean: boolean): fc.Arbitrary<string> {
  const declared = parameters.filter((p) => p.in === 'query');
  const valueOf = (parameter: Parameter): fc.Arbitrary<string> => {
    const fromItsSchema = fromSchema(parameter.schema ?? {}, context, parameter.name).map((value) =>
      value instanceof FixtureRef ? String(resolve(value)) : encodeText(typeof value === 'string' ? value : JSON.stringify(value)),
    );
    return clean
      ? fromItsSchema
      : fc.oneof(
      { weight: 3, arbitrary: fromItsSchema },
      { weight: 2, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 300)).map(encodeText) },
      { weight: 1, arbitrary: parameter.name === 'cursor' ? cursorArbitrary : hostileValue.map((v) => encodeText(toJsonText(v, resolve))) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '') },
    );
  };
  const known = fc.record(Object.fromEntries(declared.map((parameter) => [parameter.name, valueOf(parameter)])), { requiredKeys: [] });
  const unknown = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...declared.map((p) => p.name), '__proto__', 'limit[]', 'cursor[0]', ''), fc.string({ maxLength: 8 }).map(encodeText)), headerText.map(encodeText)),
    { maxLength: 2 },
  );
  const given = (k: Record<string, string | undefined>) => Object.entries(k).filter((pair): pair is [string, string] => pair[1] !== undefined);
  if (clean) {
    return known.map((k) => toQuery(given(k)));
  }
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(known, unknown).map(([k, u]) => [...given(k), ...u]) },
    { weight: 1, arbitrary: fc.constantFrom<[string, string][]>([['%', '']], [['', '']], [['a', '=']], [['&&&', '']]) },
  ).map(toQuery);
}

const toQuery = (pairs: [string, string][]): string => (pairs.length === 0 ? '' : `?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`);

function bodyArbitraryFor(operation: Operation | undefined, context: SchemaContext): fc.Arbitrary<Body> {
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  const raw = fc.record({ bytes: rawBodies, contentType: contentTypes }).map((b): Body => ({ kind: 'raw', ...b }));
  if (schema === undefined) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant<Body>({ kind: 'none' }) },
      { weight: 1, arbitrary: fc.record({ value: hostileValue, contentType: contentTypes }).map((b): Body => ({ kind: 'json', ...b })) },
      { weight: 1, arbitrary: raw },
    );
  }
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ value: bodyArbitrary(schema, context), contentType: contentTypes }).map((b): Body => ({ kind: 'json', ...b })) },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    // Past the body limit (1 MiB): a 413, not a hang.
    { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: 'json', value: { name: 'x'.repeat(1_100_000) }, contentType: 'application/json' }) },
  );
}

/**
 * Half the requests are well formed (a real id, a body from the schema, a
 * valid token: staff for staff routes), so that the rows reach every state
 * (held, booked, cancelled, deleted); the other half may break anything.
 */
function requestArbitrary(methods: fc.Arbitrary<string>, template: string, operation: Operation | undefined, context: SchemaContext): fc.Arbitrary<FuzzRequest> {
  const parameters = operation?.parameters ?? pathOnlyParameters(template);
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  const wellFormed = fc.record({
    method: methods,
    path: pathArbitrary(template, parameters, true),
    query: queryArbitrary(parameters, context, true),
    auth: fc
      .constantFrom<Who>(...(template.startsWith('/api/admin/') ? (['staff'] as const) : (['user', 'staff'] as const)))
      .map((who): Auth => ({ kind: 'bearer', who, scheme: 'Bearer' })),
    headers: fc.constant({}),
    body: schema === undefined ? fc.constant<Body>({ kind: 'none' }) : fromSchema(schema, context).map((value): Body => ({ kind: 'json', value, contentType: 'application/json' })),
  });
  const anything = fc.record({
    method: methods,
    path: pathArbitrary(template, parameters, false),
    query: queryArbitrary(parameters, context, false),
    auth: authArbitrary,
    headers: headersArbitrary,
    body: bodyArbitraryFor(operation, context),
  });
  return fc.oneof(wellFormed, anything);
}

/** For methods the path does not serve: its path parameters, so that the URL still matches a route. */
function pathOnlyParameters(template: string): Parameter[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((match) => ({ in: 'path', name: match[1]!, schema: { type: 'integer' } }));
}

// ---------------------------------------------------------------------------------------------------------------------
// The properties

/** Methods a client may send; CONNECT is left out (Node's client hands it over as a tunnel, not a response). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'FOO'];

/**
 * Vitest collects the tests before any hook runs, so the app starts while the
 * file loads: the operations to fuzz are read from its own document, and a
 * route added later is fuzzed without a change here.
 */
const app: TestApp = await startTestApp();
const doc = (await app.http.get('/openapi.json')).body as Document;
const OPERATIONS: [string, string][] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.keys(item).map((method): [string, string] => [method.toUpperCase(), path]),
);
const PATHS = [...new Set(OPERATIONS.map(([, path]) => path))];

// Nine in ten requests go to the operations, one in ten to the methods each path does not serve.
const runsPerOperation = Math.max(1, Math.round((TOTAL_RUNS * 0.9) / OPERATIONS.length));
const runsPerPath = Math.max(1, Math.round((TOTAL_RUNS * 0.1) / PATHS.length));
/** Generous: a register or login hashes a password; the point is to fail on hangs, which the per-request timeout catches. */
const timeoutFor = (runs: number) => 60_000 + runs * 1_500;

function context(): SchemaContext {
  return {
    components: doc.components?.schemas ?? {},
    hints: {
      username: fc.constantFrom(user.username, staff.username),
      password: fc.constant(user.password),
      cursor: fc.constantFrom(...cursors),
      time_zone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'US/Pacific-New', '+05:00', 'Etc/GMT+5', 'EST5EDT', 'Europe/Nowhere'),
    },
  };
}

const seedFor = (index: number) => (BASE_SEED + index * 7_919) | 0;

describe('fuzzing every route of the OpenAPI document', () => {
  it('when the document is read, then it lists the operations to fuzz', () => {
    // 32 when this was written; fewer would mean the document lost routes.
    expect(OPERATIONS.length).toBeGreaterThanOrEqual(32);
  });

  it.each(OPERATIONS.map(([method, path], index) => ({ method, path, index })))(
    `when $method $path gets ${runsPerOperation} generated requests, then each is answered 2xx/4xx JSON, never 5xx, within ${REQUEST_TIMEOUT_MS / 1000} s`,
    async ({ method, path, index }) => {
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation).toBeDefined();
      currentOperation = `${method} ${path}`;
      await fc.assert(
        fc.asyncProperty(requestArbitrary(fc.constant(method), path, operation, context()), check),
        { numRuns: runsPerOperation, seed: seedFor(index) },
      );
    },
    timeoutFor(runsPerOperation),
  );

  it.each(PATHS.map((path, index) => ({ path, index })))(
    `when $path gets ${runsPerPath} requests with methods the document does not list for it, then 4xx JSON (405 with Allow), never 5xx`,
    async ({ path, index }) => {
      const served = Object.keys(doc.paths[path] ?? {}).map((method) => method.toUpperCase());
      currentOperation = `other methods ${path}`;
      // HEAD stays in for a GET route: Fastify's twin (or the events route's own) answers it, unlisted.
      const unlisted = METHODS.filter((method) => !served.includes(method));
      await fc.assert(
        fc.asyncProperty(requestArbitrary(fc.constantFrom(...unlisted), path, undefined, context()), check),
        { numRuns: runsPerPath, seed: seedFor(OPERATIONS.length + index) },
      );
    },
    timeoutFor(runsPerPath),
  );

  it('when the fuzzing is over, then the service is healthy and `boxoffice check` is clean', async () => {
    const health = await app.http.get('/healthz');
    expect(health.status).toBe(200);
    await expectInvariantsHold(app.databaseUrl);
  });
});
