import { describe, expect, it } from 'vitest';
import { readEventStream, SseParser, type SseMessage } from './sse.js';

const cases: [string, { given: string[]; want: SseMessage[]; retryMs?: number }][] = [
  ['one event', { given: ['id: 1\nevent: promotion-event\ndata: {"id":1}\n\n'], want: [{ event: 'promotion-event', data: '{"id":1}', lastEventId: '1' }] }],
  ['default event type', { given: ['data: x\n\n'], want: [{ event: 'message', data: 'x', lastEventId: '' }] }],
  ['multi-line data joined with LF', { given: ['data: a\ndata: b\n\n'], want: [{ event: 'message', data: 'a\nb', lastEventId: '' }] }],
  ['CRLF and lone CR line endings', { given: ['data: a\r\n\r\ndata: b\r\r'], want: [{ event: 'message', data: 'a', lastEventId: '' }, { event: 'message', data: 'b', lastEventId: '' }] }],
  ['CRLF split across chunks', { given: ['data: a\r', '\n\r', '\n'], want: [{ event: 'message', data: 'a', lastEventId: '' }] }],
  ['a field split across chunks', { given: ['da', 'ta: he', 'llo\n', '\n'], want: [{ event: 'message', data: 'hello', lastEventId: '' }] }],
  ['comments and heartbeats are skipped', { given: [': promotion events\n\n: heartbeat\n\ndata: x\n\n'], want: [{ event: 'message', data: 'x', lastEventId: '' }] }],
  ['only one leading space is removed', { given: ['data:  two\ndata:none\n\n'], want: [{ event: 'message', data: ' two\nnone', lastEventId: '' }] }],
  ['a field without colon has an empty value', { given: ['data\n\n'], want: [{ event: 'message', data: '', lastEventId: '' }] }],
  ['no data: nothing dispatched, event type reset', { given: ['event: x\n\ndata: y\n\n'], want: [{ event: 'message', data: 'y', lastEventId: '' }] }],
  ['the id persists to later events', { given: ['id: 7\ndata: a\n\ndata: b\n\n'], want: [{ event: 'message', data: 'a', lastEventId: '7' }, { event: 'message', data: 'b', lastEventId: '7' }] }],
  ['an id with NUL is ignored', { given: ['id: 3\ndata: a\n\nid: 4\0\ndata: b\n\n'], want: [{ event: 'message', data: 'a', lastEventId: '3' }, { event: 'message', data: 'b', lastEventId: '3' }] }],
  ['retry: sets the reconnection delay, non-digits ignored', { given: ['retry: 2500\n\nretry: soon\n\n'], want: [], retryMs: 2500 }],
  ['unknown fields are ignored', { given: ['foo: bar\ndata: x\n\n'], want: [{ event: 'message', data: 'x', lastEventId: '' }] }],
  ['a leading BOM is dropped', { given: ['\uFEFFdata: x\n\n'], want: [{ event: 'message', data: 'x', lastEventId: '' }] }],
  ['an unfinished event is held back', { given: ['data: x\n'], want: [] }],
];

describe('SseParser', () => {
  it.each(cases)('%s', (_name, { given, want, retryMs }) => {
    const parser = new SseParser();
    const got = given.flatMap((chunk) => parser.push(chunk));
    expect(got).toEqual(want);
    if (retryMs !== undefined) expect(parser.retryMs).toBe(retryMs);
  });
});

describe('readEventStream', () => {
  it('decodes UTF-8 split inside a character and drops an event cut off by the end', async () => {
    const bytes = new TextEncoder().encode('data: état\n\ndata: cut');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8)); // ends inside 'é'
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    const messages: SseMessage[] = [];
    for await (const message of readEventStream(body)) messages.push(message);
    expect(messages).toEqual([{ event: 'message', data: 'état', lastEventId: '' }]);
  });
});
