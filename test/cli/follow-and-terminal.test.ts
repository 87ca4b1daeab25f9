/**
 * The CLI against the real service (its engine moving promotions in an in-memory cluster): `events
 * --follow` goes on past `succeeded` to a later manual rollback; what the service returns reaches the
 * terminal with its control and bidi characters escaped; a closed stdout (`| head`) ends the real process
 * quietly with 141.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient, type Policy, type PromoterClient, type PromotionDetail, type PromotionEvent } from '@promoter/sdk';
import { escapeControls } from '../../packages/cli/src/terminal-text.js';
import { fastPolicy, NEW_IMAGE, OLD_IMAGE, startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';

let svc: TestService;
let client: PromoterClient;
let world: MemoryEngine;

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  client = createPromoterClient({ baseUrl: svc.url });
  await client.policies.put('fast', fastPolicy() as unknown as Policy);
  world = startMemoryEngine(svc);
  world.prometheus.answer(/error_ratio/, 0.01);
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
});

async function succeededPromotion(deployment: string, reason = 'release 1.2.1'): Promise<PromotionDetail> {
  world.addTarget(deployment);
  const created = await client.promotions.create({ target: { namespace: 'mcp', deployment, container: 'proxy' }, image: NEW_IMAGE, policy: 'fast', reason });
  const done = await waitForState(svc, created.id, ['succeeded', 'rejected', 'failed', 'rolled_back']);
  expect(done.state, String(done['stateReason'])).toBe('succeeded');
  return client.promotions.get(created.id);
}

const settle = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<'still following'>((resolve) => setTimeout(() => resolve('still following'), ms))]);

describe('events --follow', () => {
  it('follows a succeeded promotion on and shows the manual rollback it was told to follow, then ends', async () => {
    const promotion = await succeededPromotion('follow-rollback');
    const following = cli(['events', promotion.id, '--follow', '--json'], { url: svc.url });
    // `succeeded` is final, but a rollback may still come: the follow must not end there.
    expect(await settle(following, 2_500)).toBe('still following');

    const requested = await cli(['rollback', promotion.id, '--reason', 'latency regression'], { url: svc.url });
    expect(requested.stdout).toContain(`promoter events ${promotion.id} --follow`);
    const followed = await settle(following, 30_000);
    if (followed === 'still following') throw new Error('events --follow did not end after the rollback');
    expect(followed.code, followed.stderr).toBe(0);
    const events = followed.stdout.trim().split('\n').map((line) => JSON.parse(line) as PromotionEvent);
    const states = events.filter((event) => event.to).map((event) => event.to);
    expect(states.slice(-3)).toEqual(['succeeded', 'rolling_back', 'rolled_back']);
    expect(events.at(-1)?.reason).toBe(`rollback requested; rolled back to ${OLD_IMAGE}`);
    // Each event once, in order, the whole timeline.
    expect(events.map((event) => event.id)).toEqual((await client.promotions.events(promotion.id)).map((event) => event.id));
  });

  it('ends at once for a promotion nothing more can happen to, and on Ctrl-C for a succeeded one', async () => {
    const rolledBack = await client.promotions.list({ state: 'rolled_back', limit: 1 });
    const closed = rolledBack.items[0];
    if (!closed) throw new Error('the rollback test runs first');
    const replay = await settle(cli(['events', closed.id, '--follow'], { url: svc.url }), 10_000);
    expect(replay).toMatchObject({ code: 0 });

    const promotion = await succeededPromotion('follow-interrupted');
    const controller = new AbortController();
    const following = cli(['events', promotion.id, '--follow'], { url: svc.url, signal: controller.signal });
    expect(await settle(following, 1_500)).toBe('still following');
    controller.abort(new Error('interrupted'));
    const stopped = await following;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/verifying -> succeeded/);
  });
});

describe('nothing from the service reaches the terminal raw', () => {
  // ANSI escapes (clear screen, conceal), a CR that would overwrite the line, an LF forging one, BEL, C1 CSI,
  // bidi override and isolate. (Not NUL: PostgreSQL cannot store it in text, and the service answers 500.)
  const HOSTILE = 'release\u001b[2J\u001b[8m hidden\r\nforged: succeeded\u0007\u009b31m \u202egnp.exe\u2066x\u2069';
  const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it('status, events and list escape reasons visibly; --json keeps the value', async () => {
    const promotion = await succeededPromotion('hostile-reason', HOSTILE);
    const stored = promotion.reason ?? '';
    expect(stored.length).toBeGreaterThan(0);
    for (const args of [['status', promotion.id], ['events', promotion.id], ['list', '--namespace', 'mcp']]) {
      const result = await cli(args, { url: svc.url, isTTY: true });
      expect(result.code, args.join(' ')).toBe(0);
      // Colours are on (a terminal): only the CLI's own SGR sequences carry ESC, and nothing else raw.
      expect(result.stdout.replace(/\u001b\[\d+m/g, ''), args.join(' ')).not.toMatch(RAW);
      if (args[0] === 'status') expect(result.stdout).toContain(escapeControls(stored));
    }
    expect(escapeControls(stored)).not.toBe(stored); // the service kept the characters, so the CLI had work to do
    const json = await cli(['status', promotion.id, '--json'], { url: svc.url });
    expect(json.stdout).not.toMatch(RAW);
    expect(json.json<PromotionDetail>().reason).toBe(stored);
  });
});

describe('a closed stdout', () => {
  const tsxLoader = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;
  const bin = fileURLToPath(new URL('../../packages/cli/src/cli.ts', import.meta.url));

  it('`promoter status ID | head -n 0` ends the CLI quietly with 141, no stack trace', async () => {
    const promotion = (await client.promotions.list({ limit: 1 })).items[0];
    if (!promotion) throw new Error('no promotion to show');
    // head exits without reading long before node has started and asked the service: the CLI's writes meet a closed pipe.
    const script = `"$NODE" --import "$LOADER" --conditions=development "$BIN" status "$ID" 2>"$ERR" | head -n 0; echo "\${PIPESTATUS[0]}"; cat "$ERR"`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      env: { ...process.env, NODE: process.execPath, LOADER: tsxLoader, BIN: bin, ID: promotion.id, ERR: `/tmp/promoter-epipe-${process.pid}.err`, PROMOTER_URL: svc.url },
    });
    const [code, ...stderr] = stdout.split('\n');
    expect({ code, stderr: stderr.join('\n').trim() }).toEqual({ code: '141', stderr: '' });
  });
});
