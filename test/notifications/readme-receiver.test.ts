/**
 * The README's example receiver, run as written: taken from between its markers, started with node, and
 * sent what promoter's dispatcher sends (rendered and signed by the service's own code). It accepts a
 * signed notification, prints it once even when it arrives twice, and refuses a tampered one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { notificationPlanner } from '../../services/promoter/src/notifications/notification-events.js';
import { render } from '../../services/promoter/src/notifications/render.js';
import { parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { transition } from '../../services/promoter/src/domain/promotion-state-machine.js';
import type { Promotion } from '../../services/promoter/src/domain/promotion.js';
import { freePort } from '../fixtures/ports.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
// Beside the repository's node_modules, so that the example's `import 'standardwebhooks'` resolves.
const SCRIPT = fileURLToPath(new URL(`./.readme-receiver-${process.pid}.mjs`, import.meta.url));

describe('the README example receiver', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(SCRIPT, { force: true });
  });

  it('accepts a signed notification once, and refuses a tampered one', async () => {
    const match = /<!-- receiver:start -->\n```js\n([\s\S]*?)```\n<!-- receiver:end -->/.exec(readFileSync(README, 'utf8'));
    expect(match, 'the README has the receiver between its markers').not.toBeNull();
    writeFileSync(SCRIPT, match![1]!);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', OPS_HOOK_SECRET: secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const [sink] = parseNotificationsConfig({ sinks: [{ name: 'ops', type: 'webhook', url: `http://127.0.0.1:${port}/`, secret: { env: 'S' }, events: ['rejected'] }] }, { S: secret }).sinks;
    const promotion = {
      id: '3f1c2b7a-0d4e-4c5f-8a9b-1c2d3e4f5a6b',
      target: { namespace: 'mcp', deployment: 'web', container: 'app' },
      image: 'registry.example/web:2.0.0',
      resolvedImage: null,
      previousImage: null,
      policy: { name: 'web', version: 1 },
      dryRun: false,
      state: 'analyzing',
    } as unknown as Promotion;
    const [row] = notificationPlanner([sink!], undefined).plan(promotion, transition('analyzing', 'rejected', 'pre-promotion gate: error-rate 0.2 > 0.05'), [], new Date());
    const send = async (body?: string) => {
      const request = render(sink!, row!.payload, new Date());
      for (let i = 0; ; i++) {
        try {
          return (await fetch(sink!.url, { method: 'POST', headers: request.headers, body: body ?? request.body })).status;
        } catch (error) {
          if (i > 100) throw new Error(`the receiver did not start: ${output}`, { cause: error });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    expect(await send()).toBe(204);
    expect(await send()).toBe(204); // a repeat of the same event (same id): accepted, not handled again
    expect(await send(render(sink!, row!.payload, new Date()).body.replace('mcp', 'dev'))).toBe(401);
    for (let i = 0; i < 100 && !output.includes('\n'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output).toBe(`promotion.rejected ${promotion.id} pre-promotion gate: error-rate 0.2 > 0.05\n`);
  });
});
