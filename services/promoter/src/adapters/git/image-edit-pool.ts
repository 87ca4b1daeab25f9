/**
 * Parsing and editing repository files off the event loop. A repository's files are untrusted input: a
 * 2 MB manifest of 20,000 Deployments took 6 s to parse and 200,000 small documents 23 s, and on the main
 * thread that stalled the API, the event streams and the engine for as long. Here one long-lived worker
 * thread does the YAML work, one job at a time from a queue; a job that runs past its time limit has its
 * worker terminated (a new one starts for the next job) and fails with a `too-large` ImageEditError.
 * The worker holds the process open only while a job runs, and stops after a minute without one.
 */
import { Worker } from 'node:worker_threads';
import { ImageEditError, type ImageChange, type ImageEdit, type ImageLocator, type ParseLimits } from '../../domain/gitops/image-edit.js';
import { READY, failureError, type ImageEditJob, type ImageEditOutcome, type JobMessage, type OutcomeMessage } from './image-edit-jobs.js';

export interface ImageEditWorkerOptions {
  readonly limits: ParseLimits;
  /** How long one parse (and edit) may take before its worker is terminated. */
  readonly jobTimeoutMs: number;
}

/** Heap of the worker: a file within the size limit needs far less; a runaway parse stops here. */
const WORKER_HEAP_MB = 1024;
/** A worker without a job for this long is stopped; the next job starts another. */
const IDLE_STOP_MS = 60_000;

export class ImageEditWorker {
  readonly #options: ImageEditWorkerOptions;
  #worker: { readonly thread: Worker; readonly ready: Promise<void> } | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: ImageEditWorkerOptions) {
    this.#options = options;
  }

  /** The image in the file whose bytes are `source` (they are handed to the worker: do not use them after). */
  async readImage(source: Uint8Array, locator: ImageLocator, file: string): Promise<string> {
    return (await this.#enqueue({ op: 'read', source: transferable(source), locator, file, limits: this.#options.limits }, file)) as string;
  }

  async setImage(source: Uint8Array, locator: ImageLocator, change: ImageChange): Promise<ImageEdit> {
    return (await this.#enqueue({ op: 'set', source: transferable(source), locator, change, limits: this.#options.limits }, change.file)) as ImageEdit;
  }

  /** Stops the worker (a later job starts a new one). */
  async close(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.thread.terminate();
  }

  #enqueue(job: ImageEditJob, file: string): Promise<string | ImageEdit> {
    clearTimeout(this.#idleTimer);
    const run = this.#tail.then(() => this.#run(job, file));
    const tail = run.catch(() => undefined);
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail !== tail) return;
      this.#idleTimer = setTimeout(() => void this.close(), IDLE_STOP_MS);
      this.#idleTimer.unref();
    });
    return run;
  }

  #spawn(): { thread: Worker; ready: Promise<void> } {
    const thread = spawnWorker();
    const spawned = {
      thread,
      ready: new Promise<void>((resolve, reject) => {
        const onReady = (message: unknown) => {
          if (message !== READY) return;
          thread.off('message', onReady);
          resolve();
        };
        thread.on('message', onReady);
        thread.once('exit', (code) => reject(new Error(`the YAML worker stopped (exit ${code}) before it was ready`)));
      }),
    };
    // A worker that dies between jobs is replaced by the next job (and an 'error' without a listener
    // would take the process down).
    const forget = () => {
      if (this.#worker === spawned) this.#worker = undefined;
    };
    thread.on('error', forget);
    thread.on('exit', forget);
    spawned.ready.catch(() => undefined);
    return spawned;
  }

  async #run(job: ImageEditJob, file: string): Promise<string | ImageEdit> {
    const spawned = (this.#worker ??= this.#spawn());
    const worker = spawned.thread;
    worker.ref();
    try {
      await spawned.ready;
    } finally {
      worker.unref();
    }
    const id = this.#nextId++;
    return new Promise<string | ImageEdit>((resolve, reject) => {
      const finish = (outcome: ImageEditOutcome | Error) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve(outcome.value);
        else reject(failureError(outcome.error));
      };
      const discard = () => {
        if (this.#worker === spawned) this.#worker = undefined;
      };
      const onMessage = (message: OutcomeMessage) => {
        if (message.id === id) finish(message.outcome);
      };
      const onError = (error: Error & { code?: string }) => {
        discard();
        // Running out of the worker's heap is the file's doing (say, 200,000 documents): a refusal, not an outage.
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') finish(new ImageEditError('too-large', file, `${file} needs more memory to parse than the limit of ${WORKER_HEAP_MB} MB; it is not edited`));
        else finish(new Error(`the YAML worker failed while parsing ${file}: ${error.message}`));
      };
      const onExit = (code: number) => {
        discard();
        finish(new Error(`the YAML worker stopped (exit ${code}) while parsing ${file}`));
      };
      const timer = setTimeout(() => {
        discard();
        void worker.terminate();
        const seconds = Math.round(this.#options.jobTimeoutMs / 100) / 10;
        finish(new ImageEditError('too-large', file, `${file} took longer than ${seconds} s to parse (the limit); it is not edited`));
      }, this.#options.jobTimeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.ref();
      const message: JobMessage = { id, job };
      // The bytes move to the worker instead of being copied.
      worker.postMessage(message, [job.source.buffer as ArrayBuffer]);
    });
  }
}

// ---------------------------------------------------------------------------------------------------

/** The bytes in an ArrayBuffer of their own: a small Buffer shares Node's pool, which must not be moved. */
function transferable(source: Uint8Array): Uint8Array {
  return source.byteOffset === 0 && source.byteLength === source.buffer.byteLength ? source : new Uint8Array(source);
}

function spawnWorker(): Worker {
  const self = import.meta.url;
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  if (self.endsWith('.ts')) {
    // Running from source (tsx, vitest): a worker does not inherit the TypeScript loader, so it loads its
    // entry through tsx's API, resolved from here (the eval'd code would resolve from the working folder).
    const entry = JSON.stringify(new URL('./image-edit-worker.ts', self).href);
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    return new Worker(`import(${tsx}).then((api) => api.tsImport(${entry}, ${entry}))`, { eval: true, resourceLimits });
  }
  return new Worker(new URL('./image-edit-worker.js', self), { resourceLimits });
}
