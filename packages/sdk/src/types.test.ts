/**
 * Type tests of the public surface. `tsc --noEmit` (run before vitest by `npm test`) makes every
 * `@ts-expect-error` real: if a wrong call started to compile, the unused directive would fail the build.
 * The calls sit in functions that never run, so this file does no I/O.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  createPromoterClient,
  isPromoterError,
  PROMOTION_STATES,
  waitForPromotion,
  type Evaluation,
  type FieldError,
  type Policy,
  type PolicyVersion,
  type PromoterError,
  type Promotion,
  type PromotionDetail,
  type PromotionEvent,
  type PromotionPage,
  type PromotionRequest,
  type PromotionState,
} from './index.js';

const client = createPromoterClient({ baseUrl: 'http://127.0.0.1:1' });
const target = { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' };

describe('promotion requests', () => {
  it('take exactly one of image and source', () => {
    const image = (): Promise<Promotion> => client.promotions.create({ target, policy: 'default', image: 'registry.example.com/zai-proxy:1.2.1' });
    const source = (): Promise<Promotion> =>
      client.promotions.create({ target, policy: 'default', source: { deployment: 'zai-proxy-canary', container: 'proxy' } });
    // @ts-expect-error neither image nor source
    const neither = (): Promise<Promotion> => client.promotions.create({ target, policy: 'default' });
    const both = (): Promise<Promotion> =>
      // @ts-expect-error both image and source
      client.promotions.create({ target, policy: 'default', image: 'registry.example.com/zai-proxy:1.2.1', source: { deployment: 'zai-proxy-canary' } });
    expectTypeOf([image, source, neither, both]).toBeArray();
  });
});

describe('promotions', () => {
  it('methods take and give the contract types', () => {
    expectTypeOf(client.promotions.create).parameter(0).toEqualTypeOf<PromotionRequest>();
    expectTypeOf(client.promotions.create).returns.resolves.toEqualTypeOf<Promotion>();
    expectTypeOf(client.promotions.get).returns.resolves.toEqualTypeOf<PromotionDetail>();
    expectTypeOf(client.promotions.list).returns.resolves.toEqualTypeOf<PromotionPage>();
    expectTypeOf(client.promotions.listAll).returns.toEqualTypeOf<AsyncGenerator<Promotion, void, undefined>>();
    expectTypeOf(client.promotions.events).returns.resolves.toEqualTypeOf<PromotionEvent[]>();
    expectTypeOf(client.promotions.follow).returns.toEqualTypeOf<AsyncGenerator<PromotionEvent, void, undefined>>();
    expectTypeOf(client.promotions.abort).returns.resolves.toEqualTypeOf<Promotion>();
    expectTypeOf(client.waitForPromotion).returns.resolves.toEqualTypeOf<PromotionDetail>();
    expectTypeOf(waitForPromotion).returns.resolves.toEqualTypeOf<PromotionDetail>();
    expectTypeOf<PromotionDetail['state']>().toEqualTypeOf<PromotionState>();
  });

  it('wrong requests do not compile', () => {
    const compileOnly = () => {
      void client.promotions.create({ target, image: 'registry/app:1', policy: 'default' });
      void client.promotions.create({ target, source: { deployment: 'app-canary', tagSuffixToStrip: '-canary' }, policy: 'default', dryRun: true });
      // @ts-expect-error: target is required
      void client.promotions.create({ image: 'registry/app:1', policy: 'default' });
      // @ts-expect-error: policy is required
      void client.promotions.create({ target, image: 'registry/app:1' });
      // @ts-expect-error: dryRun is a boolean
      void client.promotions.create({ target, image: 'registry/app:1', policy: 'default', dryRun: 'yes' });
      // @ts-expect-error: target needs a container
      void client.promotions.create({ target: { namespace: 'mcp', deployment: 'zai-proxy' }, image: 'registry/app:1', policy: 'default' });
      // @ts-expect-error: no such field
      void client.promotions.create({ target, image: 'registry/app:1', policy: 'default', force: true });
      // @ts-expect-error: source needs its deployment
      void client.promotions.create({ target, source: { tagSuffixToStrip: '-canary' }, policy: 'default' });
      // @ts-expect-error: not a promotion state
      void client.promotions.list({ state: 'done' });
      // @ts-expect-error: limit is a number
      void client.promotions.list({ limit: '10' });
      // @ts-expect-error: the reason is a string
      void client.promotions.abort('id', { reason: 42 });
    };
    expectTypeOf(compileOnly).toBeFunction();
  });
});

describe('policies and evaluations', () => {
  it('put takes a Policy object or a YAML string', () => {
    expectTypeOf(client.policies.put).parameter(1).toEqualTypeOf<Policy | string>();
    expectTypeOf(client.policies.get).returns.resolves.toEqualTypeOf<PolicyVersion>();
    expectTypeOf(client.policies.versions).returns.resolves.toEqualTypeOf<PolicyVersion[]>();
    expectTypeOf(client.policies.delete).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf(client.evaluations.create).returns.resolves.toEqualTypeOf<Evaluation>();
    const compileOnly = () => {
      void client.policies.put('p', { checks: [{ name: 'errors', query: 'up', max: 1 }] });
      // @ts-expect-error: checks is a list
      void client.policies.put('p', { checks: { name: 'errors' } });
      // @ts-expect-error: a policy is an object or YAML text
      void client.policies.put('p', 42);
      // @ts-expect-error: onNoData is fail | inconclusive | pass
      void client.policies.put('p', { checks: [{ name: 'errors' }], onNoData: 'ignore' });
      // @ts-expect-error: the version is a number
      void client.policies.get('p', { version: 'latest' });
      // @ts-expect-error: not a phase
      void client.evaluations.create({ target, policy: 'default', phase: 'mid' });
      // @ts-expect-error: target is required
      void client.evaluations.create({ policy: 'default' });
    };
    expectTypeOf(compileOnly).toBeFunction();
  });
});

describe('errors and constants', () => {
  it('the guard narrows to PromoterError', () => {
    const error: unknown = new Error('x');
    if (isPromoterError(error)) {
      expectTypeOf(error).toEqualTypeOf<PromoterError>();
      expectTypeOf(error.errors).toEqualTypeOf<readonly FieldError[]>();
      expectTypeOf(error.requestId).toEqualTypeOf<string | undefined>();
      expectTypeOf(error.status).toBeNumber();
    }
  });

  it('PROMOTION_STATES lists exactly the contract states', () => {
    expectTypeOf<(typeof PROMOTION_STATES)[number]>().toEqualTypeOf<PromotionState>();
  });
});
