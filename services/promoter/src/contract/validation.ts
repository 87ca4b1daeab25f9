/**
 * JSON Schema validation with the contract's schemas (OpenAPI 3.1 = JSON Schema 2020-12). Two validators:
 * parameters (path, query, headers) arrive as strings and are coerced; bodies are JSON and are not, so
 * `"dryRun": "yes"` is an error rather than silently true. Unknown fields are rejected, not stripped.
 *
 * Listing every error costs in proportion to the errors: a 250 KB body of 8,000 wrong array items made ajv
 * (allErrors) build 24,000 errors in about 0.6 s of CPU, against a few ms to refuse it. So each document is
 * first checked by a validator that stops at the first error (the only one valid documents ever run); only
 * an invalid document of at most MAX_LISTED_VALUES values is checked again to list all its errors. A larger
 * invalid one gets its first error, and a note that it was checked one error at a time.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../errors.js';
import { componentSchemas, type JsonSchema, type OpenApiDocument } from './openapi.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv2020) => void };

export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/** The size (values counted: objects, arrays and scalars) up to which an invalid document gets every error listed. */
export const MAX_LISTED_VALUES = 1_000;

/** Said as the last field error of a large invalid document. */
export const FIRST_ERROR_ONLY = `the document is large (over ${MAX_LISTED_VALUES} values), so only its first error is listed`;

/** A fail-fast and an every-error compiler with the same options and schemas; the second made on first need. */
interface AjvPair {
  readonly firstError: Ajv2020;
  readonly everyError: () => Ajv2020;
}

/**
 * Validators are compiled on their first use, not when Fastify registers a route: compiling every route's
 * schemas (and four ajv instances, each checking every component against the meta-schema) cost about half a
 * second of CPU at every start, and in every test that builds the app, mostly for routes it never calls.
 * test/api/contract.test.ts compiles them all, so a broken schema still fails before it ships.
 */
export class ContractValidator {
  #forBodies: AjvPair | undefined;
  #forParameters: AjvPair | undefined;
  /** The component schemas, for Fastify's serializer. */
  readonly schemas: readonly JsonSchema[];

  constructor(document: OpenApiDocument) {
    this.schemas = componentSchemas(document);
  }

  #pair(part: HttpPart): AjvPair {
    if (part === 'body') return (this.#forBodies ??= this.#makePair(false));
    return (this.#forParameters ??= this.#makePair('array'));
  }

  #makePair(coerceTypes: false | 'array'): AjvPair {
    const make = (allErrors: boolean) => {
      const ajv = new Ajv2020({ allErrors, strict: false, useDefaults: true, coerceTypes });
      addFormats.default(ajv);
      for (const schema of this.schemas) ajv.addSchema(structuredClone(schema));
      return ajv;
    };
    let everyError: Ajv2020 | undefined;
    return { firstError: make(false), everyError: () => (everyError ??= make(true)) };
  }

  /** A validator of `schema`, compiled when it first validates (or by `compileNow`). */
  compile(schema: JsonSchema, part: HttpPart): BoundedValidateFunction & { compileNow(): void } {
    let compiled: BoundedValidateFunction | undefined;
    const compileNow = (): BoundedValidateFunction => {
      const ajv = this.#pair(part);
      return (compiled ??= bounded(ajv.firstError.compile(schema), () => ajv.everyError().compile(schema)));
    };
    const validate = (data: unknown): boolean => {
      const inner = compileNow();
      const valid = inner(data);
      validate.errors = inner.errors ?? null;
      return valid;
    };
    validate.errors = null as ErrorObject[] | null;
    validate.compileNow = (): void => void compileNow();
    return validate;
  }

  /** A validator for one component, e.g. `Policy`, for documents that do not arrive over HTTP. */
  component(name: string): BoundedValidateFunction {
    const pair = this.#pair('body');
    const first = pair.firstError.getSchema(name);
    if (!first) throw new Error(`no schema component named ${name}`);
    return bounded(first, () => {
      const every = pair.everyError().getSchema(name);
      if (!every) throw new Error(`no schema component named ${name}`);
      return every;
    });
  }
}

/** A validator as Fastify and ajv callers use it: true or false, and `errors` after false. */
export interface BoundedValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Fail fast; list every error only for a document small enough that listing them is cheap. */
function bounded(firstError: ValidateFunction, everyError: () => ValidateFunction): BoundedValidateFunction {
  let compiled: ValidateFunction | undefined; // compiled on the first invalid document: start-up compiles one validator per route
  const validate: BoundedValidateFunction = (data: unknown): boolean => {
    if (firstError(data)) {
      validate.errors = null;
      return true;
    }
    if (!withinValues(data, MAX_LISTED_VALUES)) {
      validate.errors = [...(firstError.errors ?? []), largeDocumentNote()];
      return false;
    }
    compiled ??= everyError();
    const valid = compiled(data);
    validate.errors = valid ? null : compiled.errors ?? null;
    return valid;
  };
  return validate;
}

/** Whether `data` holds at most `limit` values; stops counting past the limit. */
function withinValues(data: unknown, limit: number): boolean {
  let count = 0;
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const value = stack.pop();
    if (++count > limit) return false;
    if (Array.isArray(value)) stack.push(...value.slice(0, limit - count + 1));
    else if (value !== null && typeof value === 'object') stack.push(...Object.values(value).slice(0, limit - count + 1));
  }
  return true;
}

function largeDocumentNote(): ErrorObject {
  return { keyword: 'firstErrorOnly', instancePath: '', schemaPath: '#', params: {}, message: FIRST_ERROR_ONLY };
}

const PART_PREFIX: Record<HttpPart, string> = { body: '/body', querystring: '/query', params: '/params', headers: '/headers' };

/** At most this many field errors are listed, so a huge invalid document costs a bounded answer. */
export const MAX_FIELD_ERRORS = 20;

/**
 * Turns ajv errors into field errors with JSON pointers, dropping the noise `oneOf`/`anyOf` adds. One error
 * per field (the first ajv reports: an empty string breaks both `minLength` and `pattern`, one mistake),
 * and at most MAX_FIELD_ERRORS, with a last entry saying that more were not listed.
 */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined, part: HttpPart | ''): FieldError[] {
  const prefix = part === '' ? '' : PART_PREFIX[part];
  const result: FieldError[] = [];
  const seen = new Set<string>();
  const all = errors ?? [];
  for (const error of all) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'if') continue;
    if (wrongBranchType(error, all)) continue;
    let pointer = `${prefix}${error.instancePath}`;
    let detail = error.message ?? 'is invalid';
    if (error.keyword === 'required') {
      pointer += `/${String(error.params.missingProperty)}`;
      detail = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      pointer += `/${String(error.params.additionalProperty)}`;
      detail = 'is not a known field';
    } else if (error.keyword === 'pattern') {
      detail = describePattern(error.schemaPath, String(error.params.pattern));
    } else if (error.keyword === 'enum') {
      detail = `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    if (result.length === MAX_FIELD_ERRORS) {
      result.push({ pointer: prefix === '' ? '/' : prefix, detail: `has more errors: only the first ${MAX_FIELD_ERRORS} are listed` });
      break;
    }
    result.push({ pointer: pointer === '' ? '/' : pointer, detail });
  }
  return result;
}

/**
 * An error of a `oneOf` branch whose type the value does not have, when another branch reports something:
 * a mistake inside an object (`approval: { required: 0 }`) also fails the string branch ("must be string",
 * "must be one of none, required"), which only hides the field at fault.
 */
function wrongBranchType(error: ErrorObject, all: readonly ErrorObject[]): boolean {
  const branch = /^(.*\/oneOf\/\d+)\//.exec(error.schemaPath)?.[1];
  if (branch === undefined) return false;
  const inBranch = (other: ErrorObject) => other.schemaPath.startsWith(`${branch}/`);
  const mistyped = all.some((other) => other.keyword === 'type' && other.instancePath === error.instancePath && inBranch(other));
  if (!mistyped) return false;
  const within = (other: ErrorObject) => other.instancePath === error.instancePath || other.instancePath.startsWith(`${error.instancePath}/`);
  // Another branch's own type mismatch at this value says nothing; any other error of another branch does.
  const telling = (other: ErrorObject) => other.keyword !== 'oneOf' && !(other.keyword === 'type' && other.instancePath === error.instancePath);
  return all.some((other) => telling(other) && !inBranch(other) && within(other));
}

function describePattern(schemaPath: string, pattern: string): string {
  if (schemaPath.startsWith('DnsLabel') || schemaPath.startsWith('PolicyName')) {
    return 'must be a DNS-1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters';
  }
  if (schemaPath.startsWith('DnsSubdomain')) {
    return 'must be a DNS-1123 subdomain: lowercase letters, digits, - and ., at most 253 characters';
  }
  if (schemaPath.startsWith('Duration')) return 'must be a duration such as 30s, 5m or 1h30m';
  return `must match ${pattern}`;
}
