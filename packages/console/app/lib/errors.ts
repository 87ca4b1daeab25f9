/** An error from the SDK (a problem document or a network failure) as one sentence for people. */
import { isPromoterError, isPromoterNetworkError } from '@promoter/sdk';

export function describeError(error: unknown): string {
  if (isPromoterError(error)) return `${error.title} (${error.status}): ${error.detail ?? error.code}`;
  if (isPromoterNetworkError(error)) return `The service did not answer: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
