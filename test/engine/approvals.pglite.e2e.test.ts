/** Approvals end to end on the embedded database (the body: approvals-e2e-suite.ts). */
import { approvalsEndToEnd } from './approvals-e2e-suite.js';

approvalsEndToEnd('pglite');
