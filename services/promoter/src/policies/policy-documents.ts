/**
 * Checking a policy document from any source (an API body in JSON or YAML, a file) the same way: its
 * shape against the contract's `Policy` schema, then its meaning (`validatePolicy`). Errors carry JSON
 * pointers under the given prefix (`/body` for the API, '' for files).
 */
import type { BoundedValidateFunction } from '../contract/validation.js';
import { errors, type AppError } from '../errors.js';
import { fieldErrors } from '../contract/validation.js';
import type { PolicyDocument } from '../domain/policy/model.js';
import { validatePolicy } from '../domain/policy/validate.js';

export class PolicyDocuments {
  readonly #validateShape: BoundedValidateFunction;

  constructor(validateShape: BoundedValidateFunction) {
    this.#validateShape = validateShape;
  }

  /** Returns the document, or throws a 422 AppError listing every field at fault. */
  check(candidate: unknown, prefix: string, expectedName?: string): PolicyDocument {
    const problem = this.problem(candidate, prefix, expectedName);
    if (problem) throw problem;
    return candidate as PolicyDocument;
  }

  problem(candidate: unknown, prefix: string, expectedName?: string): AppError | undefined {
    if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
      return errors.validation([{ pointer: prefix || '/', detail: 'a policy is an object (a YAML mapping)' }]);
    }
    // Validate a copy: ajv fills defaults in place, and the stored document should be what was sent.
    const copy: unknown = structuredClone(candidate);
    if (!this.#validateShape(copy)) {
      return errors.validation(fieldErrors(this.#validateShape.errors, '').map((e) => ({ ...e, pointer: `${prefix}${e.pointer === '/' ? '' : e.pointer}` || '/' })));
    }
    const document = candidate as PolicyDocument;
    const problems = validatePolicy(document).map((e) => ({ ...e, pointer: `${prefix}${e.pointer}` }));
    if (expectedName !== undefined && document.name !== undefined && document.name !== expectedName) {
      problems.unshift({ pointer: `${prefix}/name`, detail: `the document is named '${document.name}' but the URL names '${expectedName}'` });
    }
    return problems.length > 0 ? errors.validation(problems) : undefined;
  }
}
