import type { ErrorObject } from 'ajv';
import { Type, type Static } from 'typebox';
import type { Database } from '../db/database.ts';
import { describeValidationError, validatorCompiler } from '../http/validation.ts';
import { AppError, badRequest } from '../shared/errors.ts';
import { Money } from '../shared/money.ts';
import { catalogErrors } from './catalog.errors.ts';
import type { ShowtimeSeats } from './catalog.ports.ts';
import { HallBody, MovieBody, RowSpec, VenueBody } from './catalog.schemas.ts';
import {
  createHallInTransaction,
  createMovieInTransaction,
  createShowtimeInTransaction,
  createVenueInTransaction,
  inStaffTransaction,
  timeZoneProblem,
  venueTimeZoneProblem,
  type Actor,
} from './catalog.service.ts';
import { assertHallSize, planSeats } from './seat-map.ts';

/*
 * `boxoffice import --file cinema.json`: a whole venue (halls with seat maps,
 * movies, showtimes) from one hand-written JSON document. It is read in two
 * passes: `planCinemaImport` checks everything that needs no database (the
 * schema, references, times, seat maps) and names the JSON path of the first
 * problem; `importCinema` then writes it in ONE transaction through the same
 * create functions the staff API uses, so any failure there (an overlapping
 * showtime, a time that passed meanwhile) writes nothing at all.
 */

// ── the document ───────────────────────────────────────────────────────────

/** Hand-written files get closed objects: a misspelt field ("gaps_afer") is an error, not silently ignored. */
const closed = { additionalProperties: false } as const;

const ImportRow = Type.Object(
  {
    ...RowSpec.properties,
    seat_kinds: Type.Optional(Type.Record(Type.String({ pattern: '^[1-9][0-9]{0,2}$' }), RowSpec.properties.kind, closed)),
  },
  closed,
);

const ImportHall = Type.Object(
  {
    name: HallBody.properties.name,
    rows: Type.Array(ImportRow, { minItems: 1, maxItems: 200 }),
    default_price: HallBody.properties.default_price,
    cleaning_minutes: HallBody.properties.cleaning_minutes,
  },
  closed,
);

const ImportMovie = Type.Object(
  {
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a short name showtimes may use instead of the title' })),
    ...MovieBody.properties,
  },
  closed,
);

/** "+1d 18:30", "2026-12-01 18:30" (both in the venue's time zone) or an ISO 8601 instant with an offset. */
const relativeTime = /^\+(\d{1,3})d (\d{1,2}):(\d{2})$/;
const wallClockTime = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const instantTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const startsAtPattern = [relativeTime, wallClockTime, instantTime].map((re) => `(?:${re.source.slice(1, -1)})`).join('|');

const ImportShowtime = Type.Object(
  {
    hall: Type.String({ minLength: 1, maxLength: 200, description: 'the name of a hall in this file' }),
    movie: Type.String({ minLength: 1, maxLength: 300, description: 'the key or title of a movie in this file' }),
    starts_at: Type.String({
      pattern: `^(?:${startsAtPattern})$`,
      description:
        'a time such as "+1d 18:30" (tomorrow at 18:30) or "2026-12-01 18:30", both in the venue\'s time zone, ' +
        'or an ISO 8601 time with an offset such as "2026-12-01T18:30:00Z"',
    }),
    price: Type.Optional(Money),
    premium_price: Type.Optional(Money),
  },
  closed,
);

export const CinemaFile = Type.Object(
  {
    venue: Type.Object(VenueBody.properties, closed),
    halls: Type.Array(ImportHall, { minItems: 1, maxItems: 100 }),
    movies: Type.Optional(Type.Array(ImportMovie, { maxItems: 1000 })),
    showtimes: Type.Optional(Type.Array(ImportShowtime, { maxItems: 5000 })),
  },
  closed,
);
export type CinemaFile = Static<typeof CinemaFile>;

// ── validation, with paths a person can find in their file ─────────────────

// The validator request bodies get (src/http/validation.ts): same Ajv options, same NUL check.
const validateCinemaFile = validatorCompiler({ schema: CinemaFile, method: 'POST', url: 'boxoffice import', httpPart: 'body' });

/** "/halls/1/rows/0/seats" → "halls[1].rows[0].seats", walking the document to tell array indexes from keys. */
function jsonPath(document: unknown, pointer: string): string {
  let path = '';
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path += Array.isArray(node) ? `[${key}]` : path === '' ? key : `.${key}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

/**
 * A union of literals fails as "must be <the first literal>" (Ajv reports each
 * branch, then anyOf); say "must be one of: …" instead.
 */
function plainer(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const first = errors[0];
  const union = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === first?.instancePath);
  const branches = union?.schema;
  if (first !== undefined && union !== undefined && Array.isArray(branches) && branches.every((b) => typeof b === 'object' && b !== null && 'const' in b)) {
    return { ...union, keyword: 'enum', params: { allowedValues: branches.map((b: { const: unknown }) => b.const) } };
  }
  return first;
}

function schemaError(document: unknown, errors: readonly ErrorObject[]): string {
  const error = plainer(errors);
  if (error === undefined) {
    return 'The file does not match the import format.';
  }
  const path = jsonPath(document, error.instancePath);
  // describeValidationError joins pointer segments with dots; hand it the finished path as one segment.
  const encoded = path === '' ? '' : `/${path.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return describeValidationError({ ...error, instancePath: encoded }, 'body').replace(/^The request body\b/, 'The file');
}

// ── times in the venue's time zone ─────────────────────────────────────────

type WallClock = { year: number; month: number; day: number; hour: number; minute: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClockAt(zone: string, instant: number): WallClock {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, Number(p.value)]));
  return { year: parts['year'] ?? 0, month: parts['month'] ?? 0, day: parts['day'] ?? 0, hour: parts['hour'] ?? 0, minute: parts['minute'] ?? 0 };
}

const asUtc = (t: WallClock): number => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);

/**
 * The instant a wall clock in `zone` shows `t`, or undefined when no such
 * instant exists (an invalid date, or the hour skipped when clocks go forward).
 * The second pass finds the offset in force at that time, also next to a
 * daylight-saving change (in the hour that repeats in autumn, one of the two).
 */
function instantOf(zone: string, t: WallClock): Date | undefined {
  const local = asUtc(t);
  const offsetAt = (instant: number) => asUtc(wallClockAt(zone, instant)) - Math.floor(instant / 60_000) * 60_000;
  const guess = local - offsetAt(local);
  const instant = local - offsetAt(guess);
  const date = new Date(local); // Date.UTC rolls 2026-02-30 over to 2 March: such a date does not exist
  const real =
    date.getUTCFullYear() === t.year && date.getUTCMonth() + 1 === t.month && date.getUTCDate() === t.day && t.hour <= 23 && t.minute <= 59;
  return real && asUtc(wallClockAt(zone, instant)) === local ? new Date(instant) : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-12-01 18:30" as the venue's clocks show it. */
export function formatWallClock(zone: string, instant: Date): string {
  const t = wallClockAt(zone, instant.getTime());
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}`;
}

/** The numbers a time pattern captured, in order; an unmatched optional part is 0. */
const numbersOf = (match: RegExpExecArray) => match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];

/** A starts_at of the file (its shape already checked by the schema) as an instant; throws naming `path`. */
function parseImportTime(text: string, zone: string, now: Date, path: string): Date {
  const bad = (why: string) => badRequest(`${path} "${text}" ${why}`);
  const timeOfDay = (hour: number, minute: number) => {
    if (hour > 23 || minute > 59) {
      throw bad('is not a time of day; use 00:00 to 23:59.');
    }
  };
  const relative = relativeTime.exec(text);
  if (relative !== null) {
    const [days, hour, minute] = numbersOf(relative);
    timeOfDay(hour, minute);
    const today = wallClockAt(zone, now.getTime());
    const day = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const instant = instantOf(zone, { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour, minute });
    if (instant === undefined) {
      throw bad(`does not exist in ${zone} (the clocks skip that hour); pick another time.`);
    }
    return instant;
  }
  const local = wallClockTime.exec(text);
  if (local !== null) {
    const [year, month, day, hour, minute, second] = numbersOf(local);
    timeOfDay(hour, minute);
    const instant = second > 59 ? undefined : instantOf(zone, { year, month, day, hour, minute });
    if (instant === undefined) {
      throw bad(`is not a date and time that exists in ${zone}.`);
    }
    return new Date(instant.getTime() + second * 1000);
  }
  const match = instantTime.exec(text);
  const instant = new Date(text);
  if (match === null || Number.isNaN(instant.getTime())) {
    throw bad('is not a date and time that exists.');
  }
  // Date reads 2026-02-30 as 2 March: the calendar date must exist as written.
  const [year, month, day, hour, minute] = numbersOf(match);
  if (instantOf('UTC', { year, month, day, hour, minute }) === undefined) {
    throw bad('is not a date and time that exists.');
  }
  return instant;
}

// ── the plan: everything checked that needs no database ────────────────────

type PlannedShowtime = {
  path: string;
  /** How the person wrote it, to find it in their file: `showtimes[7] ("Dune" in Screen 2 at +1d 18:30)`. */
  label: string;
  startsAtText: string;
  hall: number;
  movie: number;
  startsAt: Date;
  price: Money | undefined;
  premiumPrice: Money | undefined;
};

export type CinemaPlan = {
  document: CinemaFile;
  timeZone: string;
  seats: number;
  /** MAX_SEATS_PER_HALL the halls were checked against, and are written with. */
  maxSeatsPerHall: number;
  showtimes: PlannedShowtime[];
};

const quoteList = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** The index of the hall a showtime names. */
function resolveHall(halls: CinemaFile['halls'], name: string, path: string): number {
  const index = halls.findIndex((hall) => hall.name === name);
  if (index < 0) {
    throw badRequest(`${path} "${name}" is not a hall in this file; its halls are ${quoteList(halls.map((h) => h.name))}.`);
  }
  return index;
}

/** The index of the movie a showtime names: by key, else by a title no other movie of the file has. */
function resolveMovie(movies: NonNullable<CinemaFile['movies']>, reference: string, path: string): number {
  // A key wins over a title, so a key can tell two movies of the same title apart.
  const byKey = movies.findIndex((movie) => movie.key === reference);
  if (byKey >= 0) {
    return byKey;
  }
  const byTitle = movies.flatMap((movie, index) => (movie.title === reference ? [index] : []));
  if (byTitle.length > 1) {
    throw badRequest(`${path} "${reference}" is the title of ${byTitle.map((i) => `movies[${i}]`).join(' and ')}; give them keys and use those.`);
  }
  if (byTitle[0] === undefined) {
    throw badRequest(`${path} "${reference}" is not the key or title of a movie in this file.`);
  }
  return byTitle[0];
}

/** `values[i]` is field `field` of `${list}[i]`; the second use of a value is an error naming the first. */
function assertUnique(list: string, field: string, values: readonly (string | undefined)[], rule: string): void {
  const seen = new Map<string, number>();
  for (const [index, value] of values.entries()) {
    if (value === undefined) {
      continue;
    }
    const earlier = seen.get(value);
    if (earlier !== undefined) {
      throw badRequest(`${list}[${index}].${field} "${value}" is already used by ${list}[${earlier}]; ${rule}.`);
    }
    seen.set(value, index);
  }
}

/**
 * Parses and checks a cinema file: its JSON, the schema (the first problem,
 * by JSON path), unique hall names and movie keys, every reference, every
 * seat map (each at most `maxSeatsPerHall` seats), one currency throughout,
 * and start times in the future.
 */
export function planCinemaImport(text: string, source: string, maxSeatsPerHall: number, now = new Date()): CinemaPlan {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw badRequest(`${source} is not valid JSON: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}.`);
  }
  if (validateCinemaFile(document) !== true) {
    throw badRequest(schemaError(document, (validateCinemaFile.errors ?? []) as ErrorObject[]));
  }
  const file = document as CinemaFile;
  const movies = file.movies ?? [];

  const timeZone = file.venue.time_zone ?? 'UTC';
  const zoneProblem = timeZoneProblem(timeZone);
  if (zoneProblem !== undefined) {
    throw badRequest(`venue.${zoneProblem}`);
  }
  assertUnique('halls', 'name', file.halls.map((h) => h.name), 'each hall needs a name of its own');
  assertUnique('movies', 'key', movies.map((m) => m.key), 'each movie needs a key of its own');

  let seats = 0;
  for (const [index, hall] of file.halls.entries()) {
    // Checked here, with the hall's name, before its seats are planned.
    assertHallSize(hall.rows, maxSeatsPerHall, `halls[${index}] ("${hall.name}").rows`);
    try {
      seats += planSeats(hall.rows, maxSeatsPerHall).length;
    } catch (error) {
      throw error instanceof AppError ? badRequest(`halls[${index}].rows: ${error.detail}`) : error;
    }
  }

  // A cinema sells in one currency: the venue's, or else that of the first price in the file.
  const prices: [string, Money | undefined][] = [
    ['venue.default_price', file.venue.default_price],
    ...file.halls.map((h, i): [string, Money | undefined] => [`halls[${i}].default_price`, h.default_price]),
    ...(file.showtimes ?? []).flatMap((s, i): [string, Money | undefined][] => [
      [`showtimes[${i}].price`, s.price],
      [`showtimes[${i}].premium_price`, s.premium_price],
    ]),
  ];
  const [firstPath, firstPrice] = prices.find(([, price]) => price !== undefined) ?? [];
  for (const [path, price] of prices) {
    if (price !== undefined && firstPrice !== undefined && price.currency !== firstPrice.currency) {
      throw badRequest(`${path} is in ${price.currency}, but ${firstPath} is in ${firstPrice.currency}; use one currency for the whole cinema.`);
    }
  }

  const showtimes = (file.showtimes ?? []).map((show, index): PlannedShowtime => {
    const path = `showtimes[${index}]`;
    const hall = resolveHall(file.halls, show.hall, `${path}.hall`);
    const movie = resolveMovie(movies, show.movie, `${path}.movie`);
    const startsAt = parseImportTime(show.starts_at, timeZone, now, `${path}.starts_at`);
    if (startsAt.getTime() <= now.getTime()) {
      throw badRequest(
        `${path}.starts_at must be in the future; "${show.starts_at}" is ${formatWallClock(timeZone, startsAt)} in ${timeZone}, which has passed.`,
      );
    }
    const title = movies[movie]?.title ?? show.movie;
    return {
      path,
      label: `${path} ("${title}" in ${show.hall} at ${show.starts_at})`,
      startsAtText: show.starts_at,
      hall,
      movie,
      startsAt,
      price: show.price,
      premiumPrice: show.premium_price,
    };
  });
  return { document: file, timeZone, seats, maxSeatsPerHall, showtimes };
}

// ── the write: one transaction ─────────────────────────────────────────────

export type ImportSummary = { venue: string; halls: number; seats: number; movies: number; showtimes: number };

/** Runs one create, putting where it came from in front of the catalog's sentence when it fails. */
async function step<T>(where: string, create: () => Promise<T>, explain: (detail: string) => string = () => ''): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof AppError) {
      throw new AppError(error.status, `${where}: ${error.detail}${explain(error.detail)}`);
    }
    throw error;
  }
}

/** Which other showtime of the file keeps the hall busy: a sentence to follow "Hall is busy at that time." */
function overlapOf(plan: CinemaPlan, show: PlannedShowtime): string {
  const movies = plan.document.movies ?? [];
  const hall = plan.document.halls[show.hall];
  const busyUntil = (s: PlannedShowtime) => s.startsAt.getTime() + ((movies[s.movie]?.duration_minutes ?? 0) + (hall?.cleaning_minutes ?? 0)) * 60_000;
  const other = plan.showtimes.find(
    (s) => s !== show && s.hall === show.hall && s.startsAt.getTime() < busyUntil(show) && show.startsAt.getTime() < busyUntil(s),
  );
  if (other === undefined) {
    return '';
  }
  const cleaning = hall?.cleaning_minutes ? `, ${hall.cleaning_minutes} minutes of cleaning included` : '';
  return (
    ` It overlaps ${other.path} ("${movies[other.movie]?.title ?? ''}" at ${other.startsAtText}), which keeps ${hall?.name ?? 'the hall'} ` +
    `busy until ${formatWallClock(plan.timeZone, new Date(busyUntil(other)))}${cleaning}.`
  );
}

/**
 * Writes the planned cinema in one transaction through the catalog's own
 * create functions (so the same rules, defaults and audit rows apply), in file
 * order; the first failure rolls everything back. `seats` is the booking
 * domain's, which writes each showtime's show_seats.
 */
export async function importCinema(db: Database, seats: ShowtimeSeats, plan: CinemaPlan, actor: Actor = { userId: null }): Promise<ImportSummary> {
  const { venue: venueBody, halls, movies = [] } = plan.document;
  // The staff write lock, like every catalog write: an import never interleaves with another staff change.
  return inStaffTransaction(db, async (trx) => {
    // What only PostgreSQL can tell (planCinemaImport checked the rest), named like the file's other problems.
    const zoneProblem = await venueTimeZoneProblem(trx, plan.timeZone);
    if (zoneProblem !== undefined) {
      throw badRequest(`venue.${zoneProblem}`);
    }
    const venue = await step('venue', () => createVenueInTransaction(trx, venueBody, actor));
    const hallIds: number[] = [];
    for (const [index, hall] of halls.entries()) {
      const created = await step(`halls[${index}] ("${hall.name}")`, () => createHallInTransaction(trx, { ...hall, venue_id: venue.id }, actor, plan.maxSeatsPerHall));
      hallIds.push(created.id);
    }
    const movieIds: number[] = [];
    for (const [index, { title, duration_minutes, rating }] of movies.entries()) {
      const body = { title, duration_minutes, ...(rating === undefined ? {} : { rating }) };
      movieIds.push((await step(`movies[${index}] ("${title}")`, () => createMovieInTransaction(trx, body, actor))).id);
    }
    for (const show of plan.showtimes) {
      const body = {
        hall_id: hallIds[show.hall] ?? 0,
        movie_id: movieIds[show.movie] ?? 0,
        starts_at: show.startsAt.toISOString(),
        ...(show.price === undefined ? {} : { price: show.price }),
        ...(show.premiumPrice === undefined ? {} : { premium_price: show.premiumPrice }),
      };
      await step(
        show.label,
        () => createShowtimeInTransaction(trx, seats, body, actor),
        (detail) => (detail === catalogErrors.hallBusy ? overlapOf(plan, show) : ''),
      );
    }
    return { venue: venue.name, halls: halls.length, seats: plan.seats, movies: movies.length, showtimes: plan.showtimes.length };
  });
}
