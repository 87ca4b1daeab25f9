/**
 * Reading an answer from another system (a forge, an identity provider) without trusting its size: the body
 * is read chunk by chunk and given up past the limit, so a huge or endless answer costs at most `limit` bytes.
 */

/** The body as UTF-8 text, or undefined when it is longer than `limit` bytes (the rest is not read). */
export async function readTextAtMost(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
