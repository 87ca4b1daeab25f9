/**
 * One HTTP attempt to a sink: a timeout on the whole exchange, redirects not followed (a 3xx is a
 * failure: the operator's URL is the only one we send to), and at most `maxResponseBytes` of the answer
 * read. Errors never carry the URL (a Slack URL is a credential) or the request's headers.
 */
import type { AttemptResult } from './delivery-policy.js';
import type { RenderedRequest } from './render.js';

export async function send(url: string, request: RenderedRequest, timeoutMs: number, maxResponseBytes: number): Promise<AttemptResult & { body?: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: 'POST', headers: { ...request.headers, 'user-agent': 'promoter-notifications' }, body: request.body, redirect: 'manual', signal });
    const body = await readLimited(response, maxResponseBytes);
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      body,
      ...(retryAfter === null ? {} : { retryAfter }),
      ...(response.status >= 300 && response.status < 400 ? { error: `redirect (HTTP ${response.status}) not followed` } : {}),
    };
  } catch (error) {
    if (signal.aborted) return { error: `no answer within ${timeoutMs} ms` };
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return { error: code ? `connection failed: ${code}` : 'connection failed' };
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // The rest is not read: a huge or endless answer cannot hold the dispatcher.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}
