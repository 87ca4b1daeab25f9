/**
 * Webhook header values in policies are secrets (an API key for the test suite): they are never read back.
 * A value that references a PROMOTER_WEBHOOK_SECRET_* variable (`${env:NAME}`) is shown as written, since
 * it holds no secret; any other value is replaced.
 */
import type { PolicyDocument } from '../domain/policy/model.js';
import { isSecretReference } from '../adapters/webhook/webhook-client.js';

export const REDACTED = '[redacted]';

export function redactPolicyDocument(document: PolicyDocument): PolicyDocument {
  if (!document.checks.some((check) => check.webhook?.headers !== undefined)) return document;
  return {
    ...document,
    checks: document.checks.map((check) =>
      check.webhook?.headers === undefined
        ? check
        : {
            ...check,
            webhook: {
              ...check.webhook,
              headers: Object.fromEntries(Object.entries(check.webhook.headers).map(([name, value]) => [name, isSecretReference(value) ? value : REDACTED])),
            },
          },
    ),
  };
}
