/**
 * The service builds the console when there is no build or the build is older than the console's (or the
 * SDK's) sources, so a service started from the sources never serves a stale bundle.
 */
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { isConsoleBuildCurrent } from '@promoter/console/build';
import { consoleRoutes } from '../../services/promoter/src/http/console.js';

const dir = mkdtempSync(join(tmpdir(), 'console-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(distDir: string) {
  const app = Fastify({ logger: false });
  await app.register(consoleRoutes, { distDir });
  await app.ready();
  return app;
}

describe('console build at start-up', () => {
  it('builds when missing, leaves a current build alone, and rebuilds one older than the sources', async () => {
    const distDir = join(dir, 'dist');
    expect(isConsoleBuildCurrent(distDir)).toBe(false);
    let app = await serve(distDir);
    expect(isConsoleBuildCurrent(distDir)).toBe(true);
    const first = (await app.inject({ method: 'GET', url: '/ui/' })).body;
    expect(first).toMatch(/<script type="module" src="\/ui\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    await app.close();

    // A build from before the sources were last changed (as after an edit): the next start rebuilds it.
    const longAgo = new Date('2000-01-01T00:00:00Z');
    utimesSync(join(distDir, 'index.html'), longAgo, longAgo);
    expect(isConsoleBuildCurrent(distDir)).toBe(false);
    app = await serve(distDir);
    expect(isConsoleBuildCurrent(distDir)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/ui/' })).statusCode).toBe(200);
    await app.close();
  }, 60_000);
});
