/**
 * The chart configures sign-in with people's and workloads' own identities: the identity file it renders is
 * read by the service's own parser, the client secret is a mounted Secret key (never in the ConfigMap), the
 * callback's public address is set, and a release may have no API tokens at all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { parseIdentityConfig } from '../../services/promoter/src/adapters/identity/identity-config.js';
import { lintArgs, onlyOfKind, render, runHelm, validateObject } from './chart.js';

interface Container {
  env: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; defaultMode: number; items?: { key: string; path: string }[] }; configMap?: { name: string } }[];
}
type Rendered = Awaited<ReturnType<typeof render>>;

const podOf = (objects: Rendered['objects']) => onlyOfKind<{ spec: { template: { spec: PodSpec; metadata: { annotations: Record<string, string> } } } }>(objects, 'Deployment').spec.template;
const identityFileOf = (objects: Rendered['objects']) =>
  (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-identity')) as { data: Record<string, string> } | undefined)?.data['identity.yaml'];

it('renders the identity file the service parses, with the client secret read from the mounted Secret key', async () => {
  const { objects, text } = await render({ values: ['identity.yaml'] });
  const file = identityFileOf(objects) ?? '';
  const document = parseYaml(file) as { people: { clientSecretFile: string } };
  expect(document.people.clientSecretFile).toBe('/var/run/secrets/promoter-identity/client-secret');
  // The service reads the rendered file as it would in the pod, with the Secret's key where the mount puts it.
  const folder = mkdtempSync(join(tmpdir(), 'promoter-helm-identity-'));
  writeFileSync(join(folder, 'client-secret'), 'the-client-secret\n');
  const config = parseIdentityConfig(stringify({ ...document, people: { ...document.people, clientSecretFile: join(folder, 'client-secret') } }), join(folder, 'identity.yaml'));
  expect(config.people).toMatchObject({ issuer: 'https://keycloak.example.com/realms/main', clientId: 'promoter', clientSecret: 'the-client-secret', displayName: 'Keycloak', sessionRecheckMs: 300_000 });
  expect(config.people?.rules.map((rule) => [rule.role, rule.namespaces])).toEqual([
    ['admin', undefined],
    ['operator', ['mcp']],
  ]);
  expect(config.workloads.map((w) => [w.issuer, w.audience, w.nameClaim, w.rules[0]?.claims])).toEqual([
    ['https://token.actions.githubusercontent.com', 'promoter', 'repository', { repository: ['org/zai-proxy'], ref: ['refs/heads/main', 'refs/tags/v*'] }],
  ]);
  expect(text).not.toContain('the-client-secret');

  const pod = podOf(objects);
  const container = pod.spec.containers[0] as Container;
  expect(container.env).toContainEqual({ name: 'PROMOTER_IDENTITY_FILE', value: '/etc/promoter/identity/identity.yaml' });
  expect(container.env).toContainEqual({ name: 'PROMOTER_PUBLIC_URL', value: 'https://promoter.example.com' });
  // No API tokens: the release lets in only people and workloads.
  expect(container.env.map((e) => e.name)).not.toContain('PROMOTER_API_TOKENS');
  expect(container.volumeMounts).toContainEqual({ name: 'identity-config', mountPath: '/etc/promoter/identity', readOnly: true });
  expect(container.volumeMounts).toContainEqual({ name: 'identity-client-secret', mountPath: '/var/run/secrets/promoter-identity', readOnly: true });
  expect(pod.spec.volumes).toContainEqual({
    name: 'identity-client-secret',
    secret: { secretName: 'promoter-oidc', items: [{ key: 'client-secret', path: 'client-secret' }], defaultMode: 0o400 },
  });
  expect(pod.spec.volumes).toContainEqual({ name: 'identity-config', configMap: { name: 'promoter-identity' } });
});

it('rolls the pods when the identity file changes', async () => {
  const before = podOf((await render({ values: ['identity.yaml'] })).objects).metadata.annotations['checksum/identity'];
  const after = podOf((await render({ values: ['identity.yaml'], set: ['identity.people.displayName=Okta'] })).objects).metadata.annotations['checksum/identity'];
  expect(before).toMatch(/^[0-9a-f]{64}$/);
  expect(after).not.toBe(before);
});

it('passes helm lint --strict, and renders only objects that validate', async () => {
  const options = { values: ['identity.yaml'] };
  const lint = await runHelm(lintArgs(options));
  expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  const { objects } = await render(options);
  expect(objects.flatMap(validateObject)).toEqual([]);
});

it('renders workloads alone: no client secret mounted, the file without people', async () => {
  const { objects } = await render({ values: ['identity.yaml'], set: ['identity.people=null', 'identity.clientSecret.existingSecret=', 'publicUrl='] });
  const document = parseYaml(identityFileOf(objects) ?? '') as Record<string, unknown>;
  expect(Object.keys(document)).toEqual(['workloads']);
  const pod = podOf(objects);
  expect(pod.spec.volumes.map((v) => v.name)).not.toContain('identity-client-secret');
  expect((pod.spec.containers[0] as Container).env.map((e) => e.name)).not.toContain('PROMOTER_PUBLIC_URL');
});

it('renders nothing of identity without it', async () => {
  const { objects, text } = await render({ values: ['minimal.yaml'] });
  expect(identityFileOf(objects)).toBeUndefined();
  expect(text).not.toContain('PROMOTER_IDENTITY_FILE');
  expect(text).not.toContain('promoter-identity');
});

it.each([
  ['people without a public address', ['publicUrl='], 'identity.people needs publicUrl'],
  ['a client secret without people', ['identity.people=null'], 'identity.clientSecret.existingSecret is set but identity.people is empty'],
  ['no tokens and no identity', ['identity.people=null', 'identity.workloads=null', 'identity.clientSecret.existingSecret='], 'set auth.tokens or auth.existingSecret'],
])('refuses %s', async (_name, set, message) => {
  await expect(render({ values: ['identity.yaml'], set })).rejects.toThrow(message);
});

it.each([
  ['people without rules', ['identity.people.rules=null'], /identity\/people\/rules/],
  ['a rule without claims', ['identity.workloads[0].rules[0].claims=null'], /identity\/workloads\/0\/rules\/0/],
  ['an unknown role', ['identity.people.rules[0].role=root'], /identity\/people\/rules\/0\/role/],
  ['an issuer that is no URL', ['identity.workloads[0].issuer=github'], /identity\/workloads\/0\/issuer/],
  ['a client secret file written by hand', ['identity.people.clientSecretFile=/etc/passwd'], /clientSecretFile/],
])('refuses %s, at the schema', async (_name, set, message) => {
  await expect(render({ values: ['identity.yaml'], set })).rejects.toThrow(message);
});
