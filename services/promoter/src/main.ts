/**
 * The service's entry point: configuration -> createService -> listen -> start the engine, with a
 * graceful shutdown on SIGTERM/SIGINT.
 */
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createService } from './service.js';

function configOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`promoter: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const service = await createService(config);
  const log = service.app.log;
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    // Stop taking new work first, finish the steps in flight and hand their leases back, then close.
    await service.close();
  });
  await service.app.listen({ port: config.port, host: config.host });
  service.engine?.start();
  service.notifications?.start();
  service.pipelines?.start();
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  log.info(`promoter ready: http://${shownHost}:${config.port} (Swagger UI at /docs)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`promoter: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
