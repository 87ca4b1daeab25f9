/**
 * The open API (no token configured) closes for good with the first token, on every replica at once.
 * Issue 14: a second replica kept answering anonymous requests (as admin) for its 5 s cache after the
 * first token was created elsewhere, and revoking the last API token reopened the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/promoter/src/app.js';
import { loadOpenApiDocument } from '../../services/promoter/src/contract/openapi.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';

describe('the first-token rule across replicas', () => {
  let database: TestDatabase;
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const document = loadOpenApiDocument();
    // Two replicas on one database, as in a Deployment with two pods.
    a = await buildApp({ db: database.handle.db, document, logLevel: 'silent', rateLimitPerMinute: 0 });
    b = await buildApp({ db: database.handle.db, document, logLevel: 'silent', rateLimitPerMinute: 0 });
    await a.ready();
    await b.ready();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('closes every replica as soon as one creates the first token, and stays closed after it is revoked', async () => {
    // Replica B has just answered an anonymous request (it would have cached "open" for 5 s).
    expect((await b.inject({ method: 'GET', url: '/v1/promotions' })).statusCode).toBe(200);
    const first = await a.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'first-admin', role: 'admin' } });
    expect(first.statusCode).toBe(201);
    const minted = await b.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'sneaky', role: 'admin' } });
    expect(minted.statusCode).toBe(401);
    expect((await b.inject({ method: 'GET', url: '/v1/promotions' })).statusCode).toBe(401);

    const auth = { authorization: `Bearer ${first.json().secret}` };
    expect((await b.inject({ method: 'DELETE', url: '/v1/tokens/first-admin', headers: auth })).statusCode).toBe(204);
    for (const replica of [a, b]) {
      expect((await replica.inject({ method: 'GET', url: '/v1/promotions' })).statusCode).toBe(401);
      expect((await replica.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'reopened', role: 'admin' } })).statusCode).toBe(401);
    }
  });
});

describe('the first token, created on two replicas at once', () => {
  it('is created once: the other replica gets 401', async () => {
    const database = await createTestDatabase('postgres');
    const document = loadOpenApiDocument();
    const replicas = await Promise.all([0, 1, 2, 3].map(() => buildApp({ db: database.handle.db, document, logLevel: 'silent', rateLimitPerMinute: 0 })));
    try {
      const answers = await Promise.all(
        replicas.map((replica, index) => replica.inject({ method: 'POST', url: '/v1/tokens', payload: { name: `first-${index}`, role: 'admin' } })),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 401, 401, 401]);
      const rows = await database.handle.db.selectFrom('api_tokens').select('name').execute();
      expect(rows).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await database.drop();
    }
  });
});
