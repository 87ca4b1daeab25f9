/**
 * The messages between the service and its YAML worker (image-edit-worker.ts), and what the worker does
 * with one: parse a repository file and read or set the image in it. Kept apart from both sides so the
 * worker imports no more than the domain's YAML code.
 */
import { ImageEditError, readImage, setImage, type ImageChange, type ImageEdit, type ImageLocator, type ParseLimits } from '../../domain/gitops/image-edit.js';

/** `source` is the file's bytes (UTF-8), decoded in the worker. */
export type ImageEditJob =
  | { readonly op: 'read'; readonly source: Uint8Array; readonly locator: ImageLocator; readonly file: string; readonly limits: ParseLimits }
  | { readonly op: 'set'; readonly source: Uint8Array; readonly locator: ImageLocator; readonly change: ImageChange; readonly limits: ParseLimits };

/** An ImageEditError as it crosses the thread boundary (structured clone keeps no class). */
export interface ImageEditFailure {
  readonly kind: 'image-edit';
  readonly code: ImageEditError['code'];
  readonly file: string;
  readonly message: string;
  readonly found: string | undefined;
}

export type ImageEditOutcome =
  | { readonly ok: true; readonly value: string | ImageEdit }
  | { readonly ok: false; readonly error: ImageEditFailure | { readonly kind: 'other'; readonly message: string } };

/** What the worker sends once it has loaded and listens for jobs. */
export const READY = 'ready';

export interface JobMessage {
  readonly id: number;
  readonly job: ImageEditJob;
}

export interface OutcomeMessage {
  readonly id: number;
  readonly outcome: ImageEditOutcome;
}

export function runJob(job: ImageEditJob): ImageEditOutcome {
  try {
    const file = job.op === 'read' ? job.file : job.change.file;
    const text = decodeUtf8(job.source, file);
    const value = job.op === 'read' ? readImage(text, job.locator, job.file, job.limits) : setImage(text, job.locator, job.change, job.limits);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ImageEditError) return { ok: false, error: { kind: 'image-edit', code: error.code, file: error.file, message: error.message, found: error.found } };
    return { ok: false, error: { kind: 'other', message: error instanceof Error ? error.message : String(error) } };
  }
}

function decodeUtf8(source: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(source);
  } catch {
    throw new ImageEditError('invalid-yaml', file, `${file} is not UTF-8 text`);
  }
}

/** Turns a failure back into the error the domain code would have thrown in this thread. */
export function failureError(failure: Extract<ImageEditOutcome, { ok: false }>['error']): Error {
  if (failure.kind === 'image-edit') return new ImageEditError(failure.code, failure.file, failure.message, failure.found);
  return new Error(`the YAML worker failed: ${failure.message}`);
}
