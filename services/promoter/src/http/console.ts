/**
 * The web console: static files built from packages/console by esbuild, served by the service itself so it
 * works in an air-gapped cluster. Hashed assets (`/ui/assets/app-<hash>.js`) are cached for a year as
 * immutable; `index.html` is never cached, so a new build is picked up on the next load. Every `/ui/...`
 * path answers with index.html (the console routes on the client), and `/` redirects to the console, or
 * to `/docs` when there is no console build.
 *
 * `npm run build` builds the console; `npm start` builds it here when it is missing or older than its sources
 * (esbuild takes well under a second). A production image without the build only logs how to make one.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** packages/console/dist, from services/promoter/src/http (tsx) or services/promoter/dist/http (built). */
export const DEFAULT_CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../packages/console/dist');

export interface ConsoleRoutesOptions {
  /** The console build (index.html + assets/); default packages/console/dist. */
  readonly distDir?: string | undefined;
  /**
   * Build the console when the folder has no build, or (running from the sources) one older than the
   * console's sources (default true).
   */
  readonly buildWhenStale?: boolean;
}

export async function consoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions): Promise<void> {
  const distDir = options.distDir ?? DEFAULT_CONSOLE_DIR;
  const indexPath = join(distDir, 'index.html');
  if (options.buildWhenStale !== false) await buildConsoleIfStale(app, distDir);
  if (!existsSync(indexPath)) {
    app.log.warn({ distDir }, 'the web console is not built: run `npm run build` (or `npm run build -w @promoter/console`); / redirects to /docs until then');
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302));
    return;
  }

  await app.register(fastifyStatic, {
    root: join(distDir, 'assets'),
    prefix: '/ui/assets/',
    decorateReply: false,
    // Names carry their content hash: a changed file is a new URL, so a year and `immutable` are safe.
    maxAge: '365d',
    immutable: true,
    preCompressed: true,
    index: false,
  });

  // Read on each request (a few hundred bytes) so a rebuilt console is served without a restart.
  const sendIndex = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(await readFile(indexPath));
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/', { schema: { hide: true } }, sendIndex);
  app.get('/ui/*', { schema: { hide: true } }, sendIndex);
}

async function buildConsoleIfStale(app: FastifyInstance, distDir: string): Promise<void> {
  // Only present with the dev dependencies (npm start runs from the sources); a production image has the build.
  const builder = await import('@promoter/console/build').catch(() => undefined);
  if (!builder) {
    if (!existsSync(join(distDir, 'index.html'))) app.log.warn({ distDir }, 'the console builder is not installed (production install without dev dependencies)');
    return;
  }
  if (builder.isConsoleBuildCurrent(distDir)) return;
  try {
    const build = builder.buildConsole;
    const started = Date.now();
    const result = await build({ outDir: distDir });
    app.log.info({ distDir, ms: Date.now() - started, files: result.files.length }, 'built the web console');
  } catch (error) {
    app.log.warn({ err: error, distDir }, 'could not build the web console');
  }
}
