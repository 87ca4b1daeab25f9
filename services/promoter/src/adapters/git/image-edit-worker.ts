/**
 * The worker thread that parses repository files (see image-edit-pool.ts): one job at a time, answered
 * in order. Nothing else runs here, so a file that takes seconds to parse stalls only this thread.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { READY, runJob, type JobMessage, type OutcomeMessage } from './image-edit-jobs.js';

const port = parentPort;
if (!port) throw new Error('image-edit-worker.ts runs as a worker thread only');
// Parsing is background work: when the cores are busy, the API's thread goes first (nice 19, the lowest). On Linux a nice value
// belongs to a thread, so this lowers only this worker's (elsewhere it could lower the whole process).
if (process.platform === 'linux') {
  try {
    setPriority(19);
  } catch {
    // Not allowed here: the worker still keeps the parse off the event loop.
  }
}
port.on('message', ({ id, job }: JobMessage) => {
  const answer: OutcomeMessage = { id, outcome: runJob(job) };
  port.postMessage(answer);
});
// Loaded: a job's time limit counts from here, not from the thread's start.
port.postMessage(READY);
