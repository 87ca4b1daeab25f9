#!/usr/bin/env node
// @ts-check
/**
 * The fake forge's branch protection, run by git itself inside a bare repository (plain JavaScript because
 * git starts it with `node`, not tsx). The fake writes `fake-forge-protection.json` into the repository:
 * `{ "refused": { "refs/heads/main": ["line", ...] } }`, the lines the real forge prints for that branch.
 *
 * - `pre-receive` (GitLab): any refused ref prints its lines and fails the whole push, so the client shows
 *   `(pre-receive hook declined)` as it does against GitLab.
 * - `proc-receive` (GitHub): git hands the hook the pushed refs that `receive.procReceiveRefs` names (the
 *   protected ones, matched by prefix); a refused ref is answered `ng <ref> protected branch hook declined`,
 *   the exact reason GitHub's own receive-pack gives, and any other falls through to git's ordinary update.
 * The fake's own merges update refs with `git update-ref`, which runs no hook.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const mode = process.argv[2];
const gitDir = process.env.GIT_DIR ?? '.';

/** @returns {Record<string, string[]>} */
function refusedRefs() {
  try {
    const rules = JSON.parse(readFileSync(join(gitDir, 'fake-forge-protection.json'), 'utf8'));
    return rules && typeof rules.refused === 'object' ? rules.refused : {};
  } catch {
    return {};
  }
}

/** Prints a refused ref's lines on stderr, which git relays to the client as `remote: ...`. */
function explain(/** @type {string[]} */ lines) {
  for (const line of lines) process.stderr.write(`${line}\n`);
}

async function readAll() {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(/** @type {Buffer} */ (chunk));
  return Buffer.concat(chunks);
}

async function preReceive() {
  const refused = refusedRefs();
  const updates = (await readAll()).toString('utf8').split('\n').filter((line) => line !== '');
  let declined = false;
  for (const update of updates) {
    const ref = update.split(' ')[2] ?? '';
    const lines = refused[ref];
    if (lines) {
      if (!declined) explain(lines);
      declined = true;
    }
  }
  process.exit(declined ? 1 : 0);
}

/** pkt-line framing (gitprotocol-common): 4 hex digits of length including themselves; `0000` is a flush. */
function packet(/** @type {string} */ text) {
  const body = Buffer.from(`${text}\n`, 'utf8');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}
const FLUSH = Buffer.from('0000', 'ascii');

/** Reads pkt-lines from stdin; each call to `section` returns the lines up to the next flush. */
function pktReader() {
  let buffer = Buffer.alloc(0);
  const iterator = process.stdin[Symbol.asyncIterator]();
  async function fill(/** @type {number} */ size) {
    while (buffer.length < size) {
      const next = await iterator.next();
      if (next.done) throw new Error('proc-receive: unexpected end of input');
      buffer = Buffer.concat([buffer, /** @type {Buffer} */ (next.value)]);
    }
  }
  return async function section() {
    /** @type {string[]} */
    const lines = [];
    for (;;) {
      await fill(4);
      const length = Number.parseInt(buffer.subarray(0, 4).toString('ascii'), 16);
      if (length === 0) {
        buffer = buffer.subarray(4);
        return lines;
      }
      await fill(length);
      lines.push(buffer.subarray(4, length).toString('utf8').replace(/\n$/, ''));
      buffer = buffer.subarray(length);
    }
  };
}

async function procReceive() {
  const section = pktReader();
  await section(); // version=1 and the server's features
  process.stdout.write(Buffer.concat([packet('version=1'), FLUSH]));
  const commands = await section();
  const refused = refusedRefs();
  /** @type {Buffer[]} */
  const answer = [];
  let explained = false;
  for (const command of commands) {
    const ref = command.split(' ')[2] ?? '';
    const lines = refused[ref];
    if (lines) {
      if (!explained) explain(lines);
      explained = true;
      answer.push(packet(`ng ${ref} protected branch hook declined`));
    } else {
      answer.push(packet(`ok ${ref}`), packet('option fall-through'));
    }
  }
  process.stdout.write(Buffer.concat([...answer, FLUSH]));
}

if (mode === 'pre-receive') await preReceive();
else if (mode === 'proc-receive') await procReceive();
else {
  process.stderr.write(`protected-branch.mjs: unknown mode ${mode}\n`);
  process.exit(2);
}
