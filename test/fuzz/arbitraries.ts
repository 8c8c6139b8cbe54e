import fc from 'fast-check';

/**
 * fast-check arbitraries for the route fuzzer: values built from the subset of
 * JSON Schema our TypeBox route schemas use (as the OpenAPI document shows
 * them), and hostile values that no schema allows.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
};

/** A JSON token written as it is: `-0`, `1e400`, digits past 2**53 that JSON.stringify would round. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export type Pool = 'show' | 'seat' | 'hall' | 'venue' | 'movie' | 'user';

/**
 * "An id that exists (or existed)": resolved when the request is sent, from
 * the fixtures of that moment, since staff requests delete and make rows.
 */
export class FixtureRef {
  readonly pool: Pool;
  readonly pick: number;
  constructor(pool: Pool, pick: number) {
    this.pool = pool;
    this.pick = pick;
  }
}

export const fixtureRef = (pool: Pool): fc.Arbitrary<FixtureRef> => fc.nat({ max: 1_000 }).map((pick) => new FixtureRef(pool, pick));

/** Which fixture pool an integer field or parameter named so draws from. */
export function poolOf(name: string | undefined): Pool | undefined {
  switch (name ?? '') {
    case 'show_id':
      return 'show';
    case 'seat_id':
    case 'seat_ids':
      return 'seat';
    case 'hall_id':
      return 'hall';
    case 'venue_id':
      return 'venue';
    case 'movie_id':
      return 'movie';
    case 'user_id':
      return 'user';
    default:
      return undefined;
  }
}

/** Writes a generated value as JSON text; RawJson goes in as is, FixtureRef as the id it resolves to. */
export function toJsonText(value: unknown, resolve: (ref: FixtureRef) => number): string {
  if (value instanceof RawJson) {
    return value.text;
  }
  if (value instanceof FixtureRef) {
    return String(resolve(value));
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : toJsonText(item, resolve))).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${toJsonText(field, resolve)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A string as a URL path segment or query value, percent-encoded as WTF-8:
 * a lone surrogate becomes its three bytes (%ED%A0%80), which are not UTF-8,
 * where encodeURIComponent would throw.
 */
export function encodeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(text[i]!);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Hostile values

/** Strings that have broken parsers before: NUL, lone surrogates, numbers in disguise, dates JS and PostgreSQL read differently. */
export const hostileStrings = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e3',
  '0x10',
  '1 ',
  ' 1',
  '1.0',
  '+1',
  '01',
  '١٢٣',
  '１',
  'null',
  'true',
  '[]',
  '{}',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'a\uDC00b\uD800',
  '\uFEFF1',
  '\u202Eevil',
  '😀',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '%00',
  '%',
  '../../etc/passwd',
  '0000-01-01',
  '2026-02-30',
  '2026-13-01',
  '275760-09-13',
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  '2026-12-01T18:30:00+99:99',
  '2026-12-01T25:00:00Z',
  '2026-12-01',
  '1',
  'US/Pacific-New',
  '+05:00',
  'Etc/GMT+5',
  'posixrules',
  'localtime',
  'Europe/Nowhere',
  'a'.repeat(201),
  'x'.repeat(10_000),
];

export const hostileNumbers: unknown[] = [
  0,
  -1,
  1.5,
  -(2 ** 31),
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 63,
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_SAFE_INTEGER + 2,
  new RawJson('-0'),
  new RawJson('-0.0'),
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('1E2'),
  new RawJson('0.0000001e7'),
  new RawJson('9223372036854775808'),
  new RawJson('123456789012345678901234567890123456789'),
  new RawJson('1.0000000000000000000000001'),
];

/** `[[[…leaf…]]]` or `{"a":{"a":…}}`, `depth` levels. */
function nest(depth: number, kind: 'array' | 'object', leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) {
    value = kind === 'array' ? [value] : { a: value };
  }
  return value;
}

export const deeplyNested: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('array' as const, 'object' as const), fc.constantFrom<unknown>(0, 'a\u0000b', null, '\uD800'))
  .map(([depth, kind, leaf]) => nest(depth, kind, leaf));

/** A value no field of our API accepts, or one at the edge of what it accepts. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 4, arbitrary: fc.constantFrom(...hostileNumbers) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [[]], { '': null }, [null], ['1']) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: deeplyNested },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Unknown field names, prototype pollution included (Object.fromEntries makes them own properties). */
export const extraFields: fc.Arbitrary<Record<string, unknown>> = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'is_staff', 'id', 'toString', ''), fc.string({ unit: 'binary', maxLength: 12 })), hostileValue), {
    minLength: 1,
    maxLength: 3,
  })
  .map((entries) => Object.fromEntries(entries));

// ---------------------------------------------------------------------------------------------------------------------
// Values from a schema

export type SchemaContext = {
  /** Resolves `#/components/schemas/X`. */
  components: Record<string, JsonSchema>;
  /** Named fields with a better source than their schema (a real username, a known time zone). */
  hints: Record<string, fc.Arbitrary<unknown>>;
};

const isoDate = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
const soonDate = fc.integer({ min: -2 * 86_400, max: 60 * 86_400 }).map((seconds) => new Date(Date.now() + seconds * 1_000));

const dateArbitrary: fc.Arbitrary<string> = fc.oneof(
  soonDate.map((d) => d.toISOString().slice(0, 10)),
  isoDate.map((d) => d.toISOString().slice(0, 10)),
);

const dateTimeArbitrary: fc.Arbitrary<string> = fc.oneof(
  soonDate.map((d) => d.toISOString()),
  fc.tuple(soonDate, fc.constantFrom('+01:00', '-05:00', '+14:00', '-12:00', '+00:00')).map(([d, offset]) => d.toISOString().replace('Z', offset)),
  isoDate.map((d) => d.toISOString()),
);

const stringOf = (schema: JsonSchema): fc.Arbitrary<string> => {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  if (schema.format === 'date') {
    return dateArbitrary;
  }
  if (schema.format === 'date-time') {
    return dateTimeArbitrary;
  }
  if (schema.pattern !== undefined) {
    return fc.stringMatching(new RegExp(schema.pattern), { maxLength: Math.min(schema.maxLength ?? 40, 40) });
  }
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
    // At and past the limits: one over is a 400.
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(minLength), 'x'.repeat(schema.maxLength ?? 200), 'x'.repeat((schema.maxLength ?? 200) + 1)) },
  );
};

const integerOf = (schema: JsonSchema): fc.Arbitrary<number> => {
  const min = schema.minimum ?? (schema.exclusiveMinimum === undefined ? -(2 ** 31) : schema.exclusiveMinimum + 1);
  const max = schema.maximum ?? (schema.exclusiveMaximum === undefined ? 2 ** 31 - 1 : schema.exclusiveMaximum - 1);
  return fc.oneof({ weight: 4, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(min, max, min - 1, max + 1) });
};

/** Arbitrary JSON values that (mostly) satisfy `schema`; `name` is the field it belongs to. */
export function fromSchema(schema: JsonSchema, context: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  if (schema.$ref !== undefined) {
    const target = context.components[schema.$ref.replace('#/components/schemas/', '')];
    return target === undefined ? fc.jsonValue({ maxDepth: 2 }) : fromSchema(target, context, name);
  }
  const hint = name === undefined ? undefined : context.hints[name];
  if (hint !== undefined) {
    return fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: fromSchema(schema, { ...context, hints: {} }, name) });
  }
  const base = fromSchemaItself(schema, context, name);
  return schema.nullable === true ? fc.oneof(fc.constant(null), base) : base;
}

function fromSchemaItself(schema: JsonSchema, context: SchemaContext, name: string | undefined): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) {
    return fc.constant(schema.const);
  }
  if (schema.enum !== undefined && schema.enum.length > 0) {
    return fc.constantFrom(...schema.enum);
  }
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices !== undefined && choices.length > 0) {
    return fc.oneof(...choices.map((choice) => fromSchema(choice, context, name)));
  }
  if (schema.allOf !== undefined && schema.allOf.length > 0) {
    return fromSchema(schema.allOf[0]!, context, name);
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => fromSchema({ ...schema, type }, context, name)));
  }
  const type = schema.type ?? (schema.properties === undefined ? undefined : 'object');
  switch (type ?? '') {
    case 'integer': {
      const pool = poolOf(name);
      return pool === undefined ? integerOf(schema) : fc.oneof({ weight: 3, arbitrary: fixtureRef(pool) }, { weight: 1, arbitrary: integerOf(schema) });
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringOf(schema);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = fromSchema(schema.items ?? {}, context, name);
      const minLength = schema.minItems ?? 0;
      // A generated hall stays small: 6 rows of at most 500 seats.
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 6, 6));
      return schema.uniqueItems === true
        ? fc.uniqueArray(items, { minLength, maxLength, selector: (item) => (item instanceof FixtureRef ? `${item.pool}${item.pick % 8}` : JSON.stringify(item)) })
        : fc.array(items, { minLength, maxLength });
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const required = schema.required ?? [];
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, fromSchema(property, context, key)])),
        { requiredKeys: required.filter((key) => key in properties) },
      );
      const additional = schema.additionalProperties;
      if (typeof additional === 'object') {
        const keys = fc.oneof(fc.integer({ min: 1, max: 30 }).map(String), fc.string({ maxLength: 6 }));
        const dictionary = fc.dictionary(keys, fromSchema(additional, context), { maxKeys: 3 });
        return fc.tuple(record, dictionary).map(([known, extra]) => ({ ...extra, ...known }));
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Mutations of a valid value

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = [], depth = 0): Path[] {
  if (depth > 4 || typeof value !== 'object' || value === null || value instanceof RawJson || value instanceof FixtureRef) {
    return [];
  }
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key], depth + 1)]);
}

/** `value` with `replacement` at `path`, or without what is there when `replacement` is REMOVE. */
function withAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) {
    return replacement;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (replacement === REMOVE && rest.length === 0) {
      copy.splice(head as number, 1);
    } else {
      copy[head as number] = withAt(copy[head as number], rest, replacement);
    }
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  if (replacement === REMOVE && rest.length === 0) {
    delete copy[head as string];
  } else {
    copy[head as string] = withAt(copy[head as string], rest, replacement);
  }
  return copy;
}

const REMOVE = Symbol('remove');

/**
 * Bodies for an operation: valid ones, valid ones with one field (at any
 * depth) made hostile or removed, valid ones with unknown fields, and hostile
 * values in place of the whole body.
 */
export function bodyArbitrary(schema: JsonSchema, context: SchemaContext): fc.Arbitrary<unknown> {
  const valid = fromSchema(schema, context);
  const oneFieldHostile = valid.chain((body) => {
    const paths = pathsOf(body);
    return paths.length === 0 ? hostileValue : fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, bad]) => withAt(body, path, bad));
  });
  const oneFieldRemoved = valid.chain((body) => {
    const paths = pathsOf(body);
    return paths.length === 0 ? fc.constant(body) : fc.constantFrom(...paths).map((path) => withAt(body, path, REMOVE));
  });
  const withExtra = fc.tuple(valid, extraFields).map(([body, extra]) =>
    typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...extra, ...body } : body,
  );
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 4, arbitrary: oneFieldHostile },
    { weight: 1, arbitrary: oneFieldRemoved },
    { weight: 1, arbitrary: withExtra },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Bodies that are not JSON, or JSON that parsers disagree about. */
export const rawBodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom<string | Buffer>(
    '',
    ' ',
    '{',
    '{"a":',
    '}',
    'null',
    'true',
    '0',
    '-0',
    '1e400',
    '"text"',
    '[]',
    'not json',
    "{'a':1}",
    '{"a":1}{"b":2}',
    '{"a":1,}',
    '\uFEFF{}',
    '{"__proto__":{"is_staff":true}}',
    '{"constructor":{"prototype":{"is_staff":true}}}',
    '{"show_id":1,"show_id":"x","seat_id":1}',
    '{"show_id":NaN,"seat_id":Infinity}',
    '{"username":"a\\u0000","password":"\\ud800\\ud800\\ud800\\ud800"}',
    'a=1&b=2',
    `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    `${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`,
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0x80, 0x22, 0x7d]),
    Buffer.alloc(64, 0),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
);

export const contentTypes: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;',
      'application/json; boundary=;;;',
      'application/merge-patch+json',
      'application/vnd.api+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/octet-stream',
      '*/*',
      'garbage',
      ';',
    ),
  },
);

/** Header values Node will send (tab, printable ASCII, Latin-1). */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\t\u00e9\u00ff\u0080'.split('')), maxLength: 60 }),
  fc.constantFrom('', ' ', 'null', 'undefined', 'Bearer', 'Bearer ', 'x'.repeat(4_000), '\u00ff\u00fe', '%00', 'a=b; c=d'),
);
