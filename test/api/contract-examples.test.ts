/**
 * Every example in the contract is valid, and every request body has one. Swagger UI's "Try it out" sends
 * these examples as they are, so each is validated against its schema with the service's own validator
 * (ContractValidator: the Ajv set-up routes use), and each request example is then sent to the real API,
 * which must not refuse it (400, 413, 415 or 422). A new operation with a body fails here until it has one.
 */
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOperations, loadOpenApiDocument, rewriteRefs, type JsonSchema, type OpenApiOperation } from '../../services/promoter/src/contract/openapi.js';
import { ContractValidator } from '../../services/promoter/src/contract/validation.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { MANIFEST, makeDelivery } from '../gitops/support.js';

const document = loadOpenApiDocument();
const validator = new ContractValidator(document);

/** What a `$ref` inside `components` points at, e.g. `#/components/examples/PolicyVersion`. */
function resolve(value: JsonSchema): JsonSchema {
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  const [hash, components, section, name, ...rest] = ref.split('/');
  const target = (document.components as unknown as Record<string, Record<string, JsonSchema> | undefined>)[section ?? '']?.[name ?? ''];
  if (hash !== '#' || components !== 'components' || rest.length > 0 || !target) throw new Error(`unresolved reference ${ref}`);
  return resolve(target);
}

interface Example {
  /** Where it is, for failure messages: `createPromotion request application/json fromCanary`. */
  readonly where: string;
  readonly operation: OpenApiOperation;
  readonly mediaType: string;
  readonly schema: JsonSchema;
  readonly name: string;
  /** As written; for a media type that is not JSON, the document's text. */
  readonly value: unknown;
}

type Media = { schema?: JsonSchema; example?: unknown; examples?: Record<string, JsonSchema> };

function examplesOf(media: Media): { name: string; value: unknown }[] {
  const found: { name: string; value: unknown }[] = [];
  if ('example' in media) found.push({ name: 'example', value: media.example });
  for (const [name, raw] of Object.entries(media.examples ?? {})) {
    const example = resolve(raw);
    if (!('value' in example)) throw new Error(`example ${name} has no value (externalValue is not checked)`);
    found.push({ name, value: example.value });
  }
  return found;
}

const requestExamples: Example[] = [];
const responseExamples: Example[] = [];
const bodiesWithoutExamples: string[] = [];
for (const operation of listOperations(document)) {
  const body = operation.definition.requestBody === undefined ? undefined : resolve(operation.definition.requestBody as JsonSchema);
  for (const [mediaType, media] of Object.entries((body?.content ?? {}) as Record<string, Media>)) {
    const examples = examplesOf(media);
    if (examples.length === 0) bodiesWithoutExamples.push(`${operation.operationId} ${mediaType}`);
    for (const { name, value } of examples) {
      requestExamples.push({ where: `${operation.operationId} request ${mediaType} ${name}`, operation, mediaType, schema: media.schema ?? {}, name, value });
    }
  }
  for (const [status, raw] of Object.entries((operation.definition.responses ?? {}) as Record<string, JsonSchema>)) {
    for (const [mediaType, media] of Object.entries((resolve(raw).content ?? {}) as Record<string, Media>)) {
      for (const { name, value } of examplesOf(media)) {
        responseExamples.push({ where: `${operation.operationId} ${status} ${mediaType} ${name}`, operation, mediaType, schema: media.schema ?? {}, name, value });
      }
    }
  }
}

/** The example as the API would receive it: JSON as it is, YAML parsed the way the service parses it. */
function asParsed(example: Example): unknown {
  if (!example.mediaType.includes('yaml')) return example.value;
  if (typeof example.value !== 'string') throw new Error(`${example.where}: a YAML example is the document's text`);
  return parseYaml(example.value, { uniqueKeys: true });
}

/** Ajv's complaints, or [] when the example is valid (on a copy: the body validator fills in defaults). */
function problems(example: Example): string[] {
  const validate = validator.compile(rewriteRefs(example.schema) as JsonSchema, 'body');
  if (validate(structuredClone(asParsed(example)))) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

describe('contract examples', () => {
  it('every request body has an example for each of its media types', () => {
    expect(bodiesWithoutExamples).toEqual([]);
    expect(requestExamples.length).toBeGreaterThan(0);
  });

  it('there are response examples for the promotion record, the list, a policy, an evaluation and the problems', () => {
    const covered = new Set(responseExamples.map((e) => `${e.operation.operationId} ${e.where.split(' ')[1]}`));
    for (const want of ['createPromotion 201', 'listPromotions 200', 'getPromotion 200', 'getPolicy 200', 'putPolicy 201', 'createEvaluation 201', 'createPromotion 400', 'getPromotion 404', 'createPromotion 409', 'createPromotion 422']) {
      expect(covered, want).toContain(want);
    }
  });

  it.each([...requestExamples, ...responseExamples].map((e) => [e.where, e] as const))('%s validates against its schema', (_where, example) => {
    expect(problems(example)).toEqual([]);
  });

  it('the checker refuses an example that does not validate', () => {
    const request = requestExamples.find((e) => e.operation.operationId === 'createPromotion');
    if (!request) throw new Error('createPromotion has no request example');
    const both = { ...request, value: { ...(request.value as object), image: 'ronaldraygun/zai-proxy:1.2.1', deployment: 'x' } };
    expect(problems(both)).toEqual(expect.arrayContaining(['/ must NOT have additional properties']));
  });
});

const ADMIN_SECRET = 'contract-examples-admin-0123456789abcdef';
const POLICY_NAME = 'zai-proxy-default';
/** Refusals of the request itself: an example must never get one of these. */
const REFUSED = [400, 413, 415, 422];

describe('contract examples through the real API', () => {
  let svc: TestService;
  let git: GitServer;
  const headers = { authorization: `Bearer ${ADMIN_SECRET}` };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepository('deploy', { 'apps/zai-proxy/deployment.yaml': MANIFEST });
    const { delivery } = await makeDelivery([{ name: 'deploy', url: git.fileUrl('deploy') }]);
    svc = await startTestService({ git: delivery, apiTokens: [{ name: 'oncall', role: 'admin', namespaces: undefined, secret: ADMIN_SECRET }] });
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await git?.close();
  });

  const send = (example: Example, url: string) =>
    svc.app.inject({
      method: example.operation.method as 'POST' | 'PUT',
      url,
      headers: { ...headers, 'content-type': example.mediaType },
      payload: typeof example.value === 'string' ? example.value : JSON.stringify(example.value),
    });

  /** A pending promotion made from the first create example, for the actions on `/v1/promotions/{id}/…`. */
  const pendingPromotion = async (): Promise<string> => {
    const create = requestExamples.find((e) => e.operation.operationId === 'createPromotion' && (e.value as { delivery?: unknown }).delivery === undefined);
    if (!create) throw new Error('createPromotion has no request example');
    const response = await send(create, '/v1/promotions');
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  };
  /** Frees the target for the next promotion; an already finished one answers 409, which is fine here. */
  const abort = async (id: string) => {
    const response = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort`, headers });
    expect([200, 409], response.body).toContain(response.statusCode);
  };

  const urlFor = async (example: Example): Promise<{ url: string; promotion?: string }> => {
    let promotion: string | undefined;
    const names: Record<string, () => Promise<string> | string> = {
      name: () => POLICY_NAME,
      id: async () => (promotion = await pendingPromotion()),
      // A run of the pipeline the putPipeline example stored under the policy's name (it runs first, in the spec's order).
      runId: async () => {
        const run = await svc.app.inject({ method: 'POST', url: `/v1/pipelines/${POLICY_NAME}/runs`, headers, payload: { image: 'ronaldraygun/zai-proxy:1.2.1' } });
        expect(run.statusCode, run.body).toBe(201);
        return run.json<{ id: string }>().id;
      },
    };
    let url = example.operation.path;
    for (const [placeholder, parameter] of example.operation.path.matchAll(/\{([^}]+)\}/g)) {
      const value = names[parameter ?? ''];
      if (!value) throw new Error(`${example.where}: say in this test what {${parameter}} is for the example`);
      url = url.replace(placeholder, encodeURIComponent(await value()));
    }
    return { url, ...(promotion ? { promotion } : {}) };
  };

  // The policy first: the other examples name it.
  const ordered = [...requestExamples].sort((a, b) => Number(b.operation.operationId === 'putPolicy') - Number(a.operation.operationId === 'putPolicy'));

  it.each(ordered.map((e) => [e.where, e] as const))('%s is accepted', async (_where, example) => {
    const { url, promotion } = await urlFor(example);
    const response = await send(example, url);
    expect(REFUSED, `${example.where}: ${response.body}`).not.toContain(response.statusCode);
    expect(response.statusCode, response.body).toBeLessThan(500);
    assertMatchesSpec(example.operation.operationId, response);
    // The only other answer an action example may get is the state check, which comes after the body's.
    if (response.statusCode >= 300) expect(response.json()).toMatchObject({ status: 409, code: 'invalid-state' });
    if (example.operation.operationId === 'createPromotion') await abort(response.json<{ id: string }>().id);
    if (promotion) await abort(promotion);
  });
});
