/** The `approval` field of a policy through the real API: the object form is stored, and each mistake names its field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const CHECKS = [{ name: 'error-rate', query: 'vector(0)', max: 0.05 }];

describe('policy approval field', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ engine: 'pglite' });
  }, 60_000);
  afterAll(() => svc?.close());

  const put = (approval: unknown) => svc.app.inject({ method: 'PUT', url: '/v1/policies/gated', payload: { checks: CHECKS, approval } });

  it.each([
    ['required', 'required'],
    ['none', 'none'],
    ['two from sre or admins', { required: 2, from: { groups: ['sre'], roles: ['admin'] } }],
    ['one of anyone', { required: 1 }],
  ])('stores approval %s as written', async (_, approval) => {
    const response = await put(approval);
    assertMatchesSpec('putPolicy', response);
    expect(response.statusCode, response.body).toBeLessThan(300);
    expect((await svc.app.inject({ method: 'GET', url: '/v1/policies/gated' })).json().document.approval).toEqual(approval);
  });

  it.each<[string, unknown, { pointer: string; detail: RegExp }]>([
    ['zero approvals', { required: 0 }, { pointer: '/body/approval/required', detail: />= 1/ }],
    ['more than ten', { required: 11 }, { pointer: '/body/approval/required', detail: /<= 10/ }],
    ['a fraction', { required: 1.5 }, { pointer: '/body/approval/required', detail: /integer/ }],
    ['no count', { from: { groups: ['sre'] } }, { pointer: '/body/approval/required', detail: /is required/ }],
    ['an unknown role', { required: 1, from: { roles: ['boss'] } }, { pointer: '/body/approval/from/roles/0', detail: /viewer/ }],
    ['groups not a list', { required: 1, from: { groups: 'sre' } }, { pointer: '/body/approval/from/groups', detail: /array/ }],
    ['an unknown word', 'maybe', { pointer: '/body/approval', detail: /"none", "required"/ }],
  ])('refuses %s (422) naming the field', async (_, approval, want) => {
    const response = await put(approval);
    assertMatchesSpec('putPolicy', response);
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([{ pointer: want.pointer, detail: expect.stringMatching(want.detail) }]);
  });
});
