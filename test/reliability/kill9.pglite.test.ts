/** kill -9 of the service on the embedded database, its data directory on disk (the body: kill9-suite.ts). */
import { kill9Suite } from './kill9-suite.js';

kill9Suite('pglite');
