import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Two validators. Bodies are JSON, so nothing is coerced: `true`, `null`, an
 * array or `1.5` where an integer id belongs is a 400 naming the field. Path
 * and query parameters arrive as text and must be coerced to their types.
 */
function createAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, verbose: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = createAjv(false);
const textAjv = createAjv(true);

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const decimalInteger = /^-?\d+$/;

/** Top-level properties typed integer: text parts must spell them in plain decimal. */
function integerProperties(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

/**
 * Ajv's coercion reads "0x1", "1e3", "1.0" and " 1" as integers, so one id would
 * have many URLs; only plain decimal is an integer in a path or query string.
 */
function nonDecimalInteger(data: unknown, fields: readonly string[]): ErrorObject | undefined {
  for (const field of fields) {
    const value = (data as Record<string, unknown> | null)?.[field];
    if (typeof value === 'string' && !decimalInteger.test(value)) {
      return { keyword: 'type', instancePath: `/${field}`, schemaPath: '', params: { type: 'integer' } };
    }
  }
  return undefined;
}

/** Deeper than any body the API defines (a hall's `rows[i].gaps_after[j]` is four levels). */
export const MAX_BODY_DEPTH = 32;

const pointer = (path: string, key: string) => `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * One walk over a parsed body, before the schema sees it: a body nested deeper
 * than MAX_BODY_DEPTH is refused whole (unknown fields are not in any schema,
 * so nothing else bounds them), and the first string carrying U+0000, which
 * PostgreSQL text cannot hold, is remembered to report once the schema
 * accepts the body. An explicit stack, not recursion: the depth a client
 * sends must never become the depth of our call stack.
 */
function scanBody(data: unknown): { tooDeep?: ErrorObject; nul?: ErrorObject } {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: data, path: '', depth: 0 }];
  let nul: ErrorObject | undefined;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value === 'string') {
      if (nul === undefined && value.includes('\u0000')) {
        nul = { keyword: 'nulCharacter', instancePath: path, schemaPath: '', params: {} };
      }
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_BODY_DEPTH) {
        return { tooDeep: { keyword: 'maxDepth', instancePath: '', schemaPath: '', params: { limit: MAX_BODY_DEPTH } } };
      }
      // Pushed last to first, so the first NUL found is the first in the document.
      const entries: [string, unknown][] = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push({ value: child, path: pointer(path, key), depth: depth + 1 });
      }
    }
  }
  return nul === undefined ? {} : { nul };
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
  const strictIntegers = httpPart === 'body' ? [] : integerProperties(schema);
  const checked: Validator = (data) => {
    const { tooDeep, nul } = scanBody(data);
    if (tooDeep !== undefined) {
      checked.errors = [tooDeep];
      return false;
    }
    const malformed = nonDecimalInteger(data, strictIntegers);
    if (malformed === undefined && validate(data)) {
      checked.errors = nul === undefined ? null : [nul];
      return nul === undefined;
    }
    checked.errors = malformed === undefined ? validate.errors : [malformed];
    return false;
  };
  return checked;
};

const typeNames: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function fieldName(error: ErrorObject): string {
  const parts = error.instancePath.split('/').filter((part) => part !== '');
  if (error.keyword === 'required') {
    parts.push(String(error.params['missingProperty']));
  }
  // rows/0/kind → rows[0].kind
  return parts
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

/** One sentence naming the field, e.g. "seat_id must be an integer." */
export function describeValidationError(error: ErrorObject, context: string | undefined): string {
  const field = fieldName(error);
  const where = context === 'querystring' ? 'query parameter ' : context === 'params' ? 'path parameter ' : '';
  const subject = field === '' ? (context === 'body' ? 'The request body' : 'The request') : `${where}${field}`;
  const params = error.params as Record<string, unknown>;
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  switch (error.keyword) {
    case 'required':
      return `${subject} is required.`;
    case 'type': {
      const expected = String(params['type']).split(',').map((t) => typeNames[t] ?? t).join(' or ');
      return `${subject} must be ${field === '' && context === 'body' ? 'a JSON object' : expected}.`;
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return `${subject} must be ${String(params['comparison'])} ${String(params['limit'])}.`;
    case 'minLength':
      return `${subject} must be at least ${String(params['limit'])} characters long.`;
    case 'maxLength':
      return `${subject} must be at most ${String(params['limit'])} characters long.`;
    case 'minItems':
      return `${subject} must have at least ${String(params['limit'])} items.`;
    case 'maxItems':
      return `${subject} must have at most ${String(params['limit'])} items.`;
    case 'uniqueItems':
      return `${subject} must not contain duplicates.`;
    case 'nulCharacter':
      return `${subject} must not contain the NUL character (\\u0000).`;
    case 'maxDepth':
      return `${subject} is nested too deeply (more than ${String(params['limit'])} levels); send a flatter JSON document.`;
    case 'formatMinimum':
      return `${subject} must be ${String(params['limit'])} or later.`;
    case 'formatMaximum':
      return `${subject} must be ${String(params['limit'])} or earlier.`;
    case 'pattern':
      return description === undefined ? `${subject} has an invalid format.` : `${subject} must be ${description}.`;
    case 'format':
      return `${subject} must be a valid ${String(params['format'])}.`;
    case 'enum':
      return `${subject} must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}.`;
    case 'const':
      return `${subject} must be ${JSON.stringify(params['allowedValue'])}.`;
    case 'anyOf': {
      const options = Array.isArray(error.schema) ? (error.schema as { const?: unknown }[]) : [];
      return options.every((option) => 'const' in option)
        ? `${subject} must be one of: ${options.map((option) => String(option.const)).join(', ')}.`
        : `${subject} does not have an allowed form.`;
    }
    case 'additionalProperties':
      return `${subject === 'The request body' ? 'The request body' : subject} has an unknown field: ${String(params['additionalProperty'])}.`;
    default:
      return `${subject} is invalid: ${error.message ?? 'check its value'}.`;
  }
}
