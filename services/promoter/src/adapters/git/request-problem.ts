/**
 * Maps what went wrong while checking a Git delivery request (GitDelivery.readImage at request time) to
 * the 422 problem the API answers, with a pointer to the field at fault: an unknown repository, a file
 * that is not there, a locator that finds nothing. Errors that are not the caller's fault (network, auth,
 * timeouts) return undefined: the caller reports them as a dependency outage, not as bad input.
 */
import { errors, type AppError } from '../../errors.js';
import { ImageEditError } from '../../domain/gitops/image-edit-error.js';
import { GitError } from './git-error.js';

/** JSON pointers of the request's fields, e.g. `/body/delivery/repository`. */
export interface DeliveryFieldPointers {
  readonly repository: string;
  readonly file: string;
  readonly locator: string;
}

export function deliveryRequestProblem(error: unknown, pointers: DeliveryFieldPointers): AppError | undefined {
  const field = pointerFor(error, pointers);
  if (field === undefined) return undefined;
  const detail = (error as Error).message;
  return errors.validation([{ pointer: field, detail }], detail);
}

function pointerFor(error: unknown, pointers: DeliveryFieldPointers): string | undefined {
  if (error instanceof GitError) {
    if (error.code === 'unknown-repository') return pointers.repository;
    if (error.code === 'file-not-found' || error.code === 'invalid-argument' || error.code === 'not-a-regular-file' || error.code === 'file-too-large') return pointers.file;
    return undefined;
  }
  if (error instanceof ImageEditError) {
    if (error.code === 'invalid-yaml' || error.code === 'too-large') return pointers.file;
    if (error.code === 'image-drift') return undefined;
    return pointers.locator;
  }
  return undefined;
}
