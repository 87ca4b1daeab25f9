/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
import { loadConfig } from './config.js';
import { openDatabase } from './adapters/db/connection.js';
import { migrate } from './adapters/db/migrations.js';

const config = loadConfig();
const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const applied = await migrate(handle);
  process.stdout.write(
    applied.length === 0 ? `${handle.engine}: schema is up to date\n` : `${handle.engine}: applied ${applied.join(', ')}\n`,
  );
} finally {
  await handle.close();
}
