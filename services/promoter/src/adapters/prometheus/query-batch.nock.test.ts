import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from './prometheus-client.js';
import { PrometheusError } from './prometheus-error.js';
import { createQueryBatch } from './query-batch.js';

const BASE = 'http://prometheus.test:9090';
const vector = { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '42'] }] } };

function client(): PrometheusClient {
  return new PrometheusClient({ baseUrl: BASE, retries: 0 });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'every mocked request was made').toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('createQueryBatch', () => {
  it('5 identical concurrent instant queries make one HTTP request', async () => {
    let requests = 0;
    nock(BASE)
      .post('/api/v1/query')
      .times(5) // room for five, so a missing dedup shows up as a count, not as a nock error
      .reply(200, () => {
        requests++;
        return vector;
      });
    const batch = createQueryBatch(client());
    const time = new Date(1_700_000_000_000);

    const results = await Promise.all(Array.from({ length: 5 }, () => batch.queryInstant('sum(up)', { time })));

    expect(requests).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(batch.sent).toBe(1);
    expect(batch.shared).toBe(4);
    nock.cleanAll(); // the four spare interceptors
  });

  it('different times, queries or ranges are separate requests; identical ranges are shared', async () => {
    nock(BASE).post('/api/v1/query').times(3).reply(200, vector);
    nock(BASE)
      .post('/api/v1/query_range')
      .reply(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    const batch = createQueryBatch(client());
    const range = { start: new Date(0), end: new Date(60_000), stepSeconds: 15 };

    await Promise.all([
      batch.queryInstant('a', { time: new Date(1_000) }),
      batch.queryInstant('a', { time: new Date(2_000) }),
      batch.queryInstant('b', { time: new Date(1_000) }),
      batch.queryRange('a', range),
      batch.queryRange('a', { ...range }),
    ]);

    expect(batch.sent).toBe(4);
    expect(batch.shared).toBe(1);
  });

  it('queries without a time share "now" within the round', async () => {
    nock(BASE).post('/api/v1/query').reply(200, vector);
    const batch = createQueryBatch(client());
    await Promise.all([batch.queryInstant('a'), batch.queryInstant('a')]);
    expect(batch.sent).toBe(1);
  });

  it('a failure is shared by every caller of the round', async () => {
    nock(BASE).post('/api/v1/query').once().reply(400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
    const batch = createQueryBatch(client());
    const outcomes = await Promise.allSettled([batch.queryInstant('sum('), batch.queryInstant('sum(')]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(PrometheusError);
    }
  });

  it('a new round sends again', async () => {
    nock(BASE).post('/api/v1/query').twice().reply(200, vector);
    const prometheus = client();
    await createQueryBatch(prometheus).queryInstant('a');
    await createQueryBatch(prometheus).queryInstant('a');
  });
});
