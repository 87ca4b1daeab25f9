/** From one HTTP answer of the Prometheus API to its envelope or a classified PrometheusError. */
import { parseEnvelope } from './parse-response.js';
import type { Envelope } from './parse-response.js';
import { PrometheusError } from './prometheus-error.js';
import type { PrometheusErrorKind } from './prometheus-error.js';

/** How much of a non-JSON error body goes into the error message. */
const BODY_EXCERPT = 200;

/**
 * Turns one HTTP answer into the API envelope, or throws the right PrometheusError: the status decides
 * the kind (400 bad_data, 422 execution, 503 unavailable, other codes http), the body supplies
 * Prometheus' errorType and error text when it is the API's JSON.
 */
export function interpretResponse(endpoint: string, status: number, text: string, attempt: number): Envelope {
  let envelope: Envelope | undefined;
  try {
    envelope = parseEnvelope(JSON.parse(text));
  } catch {
    envelope = undefined;
  }
  const success = status >= 200 && status < 300;
  if (envelope?.status === 'success' && success) return envelope;
  if (envelope === undefined && success) {
    throw new PrometheusError({
      kind: 'http',
      endpoint,
      status,
      errorType: 'bad_response',
      serverMessage: `not a Prometheus API response: ${excerpt(text)}`,
      retryable: false,
      attempts: attempt,
    });
  }
  const { kind, retryable } = classify(status, envelope?.errorType);
  throw new PrometheusError({
    kind,
    endpoint,
    status,
    errorType: envelope?.errorType,
    serverMessage: envelope?.error ?? excerpt(text),
    retryable,
    attempts: attempt,
  });
}

/**
 * Prometheus maps errorType to status (bad_data 400, execution 422, timeout and canceled 503,
 * unavailable 503 in newer versions and 500 in older ones); proxies in front of it add their own codes.
 */
function classify(status: number, errorType: string | undefined): { kind: PrometheusErrorKind; retryable: boolean } {
  const serverSide = errorType === 'timeout' || errorType === 'canceled' || errorType === 'unavailable';
  if (status === 400) return { kind: 'bad_data', retryable: false };
  if (status === 422) return { kind: 'execution', retryable: false };
  if (status === 503) return { kind: 'unavailable', retryable: true };
  if (status >= 500) return { kind: serverSide ? 'unavailable' : 'http', retryable: true };
  if (status >= 400) return { kind: 'http', retryable: false };
  // An error envelope with a 2xx/3xx status is not something Prometheus sends; trust the errorType.
  if (errorType === 'bad_data') return { kind: 'bad_data', retryable: false };
  if (errorType === 'execution') return { kind: 'execution', retryable: false };
  return serverSide ? { kind: 'unavailable', retryable: true } : { kind: 'http', retryable: false };
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > BODY_EXCERPT ? `${trimmed.slice(0, BODY_EXCERPT)}...` : trimmed;
}
