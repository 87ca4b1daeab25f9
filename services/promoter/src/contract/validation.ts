/**
 * JSON Schema validation with the contract's schemas (OpenAPI 3.1 = JSON Schema 2020-12). Two validators:
 * parameters (path, query, headers) arrive as strings and are coerced; bodies are JSON and are not, so
 * `"dryRun": "yes"` is an error rather than silently true. Unknown fields are rejected, not stripped.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../errors.js';
import { componentSchemas, type JsonSchema, type OpenApiDocument } from './openapi.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv2020) => void };

export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

export class ContractValidator {
  readonly #forBodies: Ajv2020;
  readonly #forParameters: Ajv2020;
  /** The component schemas, for Fastify's serializer. */
  readonly schemas: readonly JsonSchema[];

  constructor(document: OpenApiDocument) {
    this.schemas = componentSchemas(document);
    const base = { allErrors: true, strict: false, useDefaults: true } as const;
    this.#forBodies = new Ajv2020({ ...base, coerceTypes: false });
    this.#forParameters = new Ajv2020({ ...base, coerceTypes: 'array' });
    for (const ajv of [this.#forBodies, this.#forParameters]) {
      addFormats.default(ajv);
      for (const schema of this.schemas) ajv.addSchema(structuredClone(schema));
    }
  }

  compile(schema: JsonSchema, part: HttpPart): ValidateFunction {
    return (part === 'body' ? this.#forBodies : this.#forParameters).compile(schema);
  }

  /** A validator for one component, e.g. `Policy`, for documents that do not arrive over HTTP. */
  component(name: string): ValidateFunction {
    const validate = this.#forBodies.getSchema(name);
    if (!validate) throw new Error(`no schema component named ${name}`);
    return validate;
  }
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
  for (const error of errors ?? []) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'if') continue;
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
