/** The engine end to end on PostgreSQL (the body: engine-e2e-suite.ts). */
import { engineEndToEnd } from './engine-e2e-suite.js';

engineEndToEnd('postgres');
