/** Approvals end to end on PostgreSQL (the body: approvals-e2e-suite.ts). */
import { approvalsEndToEnd } from './approvals-e2e-suite.js';

approvalsEndToEnd('postgres');
