#!/usr/bin/env node
// The `promoter` command. This file is in the repository (not built), so npm links the command on the
// first `npm install` of a clone; the compiled CLI it loads is built by the root `prepare` script.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('promoter: the CLI is not built yet; run `npm run build` (or `npm install`) in the repository\n');
    process.exit(1);
  }
  throw error;
}
