/**
 * The two commands: with no DATABASE_URL the service starts on an embedded database in
 * PROMOTER_DATA_DIR, serves Swagger UI, accepts a promotion, shuts down cleanly on SIGTERM and finds its
 * data again after a restart. With a bad variable it refuses to start and names it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startServiceProcess } from '../fixtures/process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'promoter-start-'));

describe('npm start without DATABASE_URL', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs on the embedded database, accepts a promotion, and keeps it across a restart', async () => {
    const first = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    try {
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      const docs = await fetch(`${first.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger-ui');
      const policy = await fetch(`${first.url}/v1/policies/gate`, {
        method: 'PUT',
        headers: { 'content-type': 'application/yaml' },
        body: 'checks:\n  - name: error-rate\n    query: sum(rate(errors_total{namespace="{{namespace}}"}[5m]))\n    max: 0.05\n',
      });
      expect(policy.status).toBe(201);
      const created = await fetch(`${first.url}/v1/promotions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' }, image: 'zai-proxy:1.2.1', policy: 'gate' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect(first.output()).toContain('using the embedded database');
      expect(first.output()).toContain('NO API TOKENS CONFIGURED');
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
      try {
        const again = await fetch(`${second.url}/v1/promotions/${id}`);
        expect(again.status).toBe(200);
        // The engine runs too (no Prometheus here, so the gate cannot pass): the record is what matters.
        const record = (await again.json()) as { id: string; events: { type: string }[] };
        expect(record.id).toBe(id);
        expect(record.events[0]?.type).toBe('created');
      } finally {
        expect(await second.stop('SIGINT')).toBe(0);
      }
    } finally {
      await first.stop('SIGKILL');
    }
  }, 180_000);

  it('refuses to start with a bad variable and names it', () => {
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const main = fileURLToPath(new URL('../../services/promoter/src/main.ts', import.meta.url));
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [tsx, main], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
    const badPort = run({ PORT: 'eighty' });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain("PORT: must be a whole number, got 'eighty'");
    const production = run({ NODE_ENV: 'production' });
    expect(production.status).toBe(2);
    expect(production.stderr).toContain('PROMOTER_API_TOKENS: is required when NODE_ENV=production');
  }, 120_000);
});
