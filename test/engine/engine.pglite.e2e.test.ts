/**
 * The engine end to end on the embedded database, the newcomer's default (the body: engine-e2e-suite.ts).
 * One connection: every transaction queues, so a query that escapes its transaction would wedge here.
 */
import { engineEndToEnd } from './engine-e2e-suite.js';

engineEndToEnd('pglite');
