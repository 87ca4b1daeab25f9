/**
 * A server-sent events parser (the `text/event-stream` format of the WHATWG HTML standard, section
 * "Server-sent events"), for fetch bodies: Node has no EventSource, and EventSource could not send the
 * Authorization header anyway.
 */

export interface SseMessage {
  /** The `event:` field; `message` when the server gave none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen on the stream so far (what `Last-Event-ID` should carry on reconnect). */
  readonly lastEventId: string;
}

/**
 * Feed text in any chunking; complete messages come out. Also reports `retry:` hints.
 *
 * @example
 * ```ts
 * const parser = new SseParser();
 * parser.push('id: 7\nevent: promotion-event\ndata: {"id":7}\n'); // []
 * parser.push('\n'); // [{ event: 'promotion-event', data: '{"id":7}', lastEventId: '7' }]
 * ```
 */
export class SseParser {
  #buffer = '';
  #started = false;
  // A CR ending one chunk may be the first half of a CRLF split across chunks.
  #pendingCr = false;
  #event = '';
  #data: string[] = [];
  #lastEventId = '';
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const char = this.#buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.#buffer.slice(start, i);
      if (char === '\r') {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer[i + 1] === '\n') i++;
        } else {
          this.#pendingCr = true;
        }
      }
      start = i + 1;
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    this.#buffer = this.#buffer.slice(start);
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the standard says.
        break;
    }
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const event = this.#event;
    const data = this.#data;
    this.#event = '';
    this.#data = [];
    if (data.length === 0) return undefined;
    return { event: event === '' ? 'message' : event, data: data.join('\n'), lastEventId: this.#lastEventId };
  }
}

/**
 * The messages of a `text/event-stream` body, as they arrive. A message cut off by the end of the stream is
 * dropped, as the standard says. Reading stops (and the body is cancelled) when the consumer stops.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
 * for await (const message of readEventStream(response.body!)) console.log(message.event, message.data);
 * ```
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>, parser = new SseParser()): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
  } finally {
    // Cancelling tells the server we are gone instead of leaving the connection half-read.
    await reader.cancel().catch(() => undefined);
  }
}
