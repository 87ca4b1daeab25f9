import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import {
  NAMESPACE,
  chartDir,
  lintArgs,
  ofKind,
  onlyOfKind,
  render,
  runHelm,
  templateArgs,
  validateObject,
  valuesFile,
  type K8sObject,
  type Rendered,
  type RenderOptions,
} from './chart.js';

// ---------------------------------------------------------------------------------------------------------
// What the chart must grant, exactly (docs/operations.md; rbac-matches-adapter.test.ts ties it to the calls): nothing more.
const LEAST_PRIVILEGE_RULES = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
];
const CANARY_SCALE_RULE = { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] };

// Environment variables that carry credentials: never a plain `value`.
const SECRET_ENV = ['DATABASE_URL', 'PROMOTER_API_TOKENS', 'PROMETHEUS_BEARER_TOKEN', 'PROMETHEUS_PASSWORD'];
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);

interface ValuesCase {
  readonly file: string;
  /** Secrets the chart does not create, which the Deployment may reference. */
  readonly existingSecrets: readonly string[];
  /** Credentials from the values file that must never appear in plain text in the output. */
  readonly plaintextSecrets: readonly string[];
  /** Namespaces that get a Role + RoleBinding (none: cluster-wide). */
  readonly roleNamespaces: readonly string[];
}

const CASES: readonly ValuesCase[] = [
  {
    file: 'minimal.yaml',
    existingSecrets: [],
    plaintextSecrets: ['change-me', 'ci-0123456789abcdef', 'oncall-0123456789abcdef'],
    roleNamespaces: [NAMESPACE],
  },
  {
    file: 'cluster-wide.yaml',
    existingSecrets: [],
    plaintextSecrets: ['change-me', 'deployer-0123456789abcdef', 's3cret-password'],
    roleNamespaces: [],
  },
  {
    file: 'existing-secrets.yaml',
    existingSecrets: ['promoter-database', 'promoter-api-tokens', 'promoter-prometheus'],
    plaintextSecrets: [],
    roleNamespaces: ['mcp', 'payments'],
  },
  {
    file: 'monitoring.yaml',
    existingSecrets: [],
    plaintextSecrets: ['change-me', 'ci-0123456789abcdef', 'prom-token-0123456789'],
    roleNamespaces: [NAMESPACE],
  },
  {
    file: 'embedded.yaml',
    existingSecrets: [],
    plaintextSecrets: ['me-0123456789abcdef'],
    roleNamespaces: [NAMESPACE],
  },
];

// Each distinct rendering once per file run.
const renders = new Map<string, Promise<Rendered>>();
function rendered(options: RenderOptions): Promise<Rendered> {
  const key = JSON.stringify(options);
  let promise = renders.get(key);
  if (!promise) {
    promise = render(options);
    renders.set(key, promise);
  }
  return promise;
}

function deploymentOf(objects: readonly K8sObject[]): IDeployment {
  return onlyOfKind<IDeployment>(objects, 'Deployment');
}

function containerOf(deployment: IDeployment): IContainer {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  expect(containers).toHaveLength(1);
  return containers[0] as IContainer;
}

function envOf(container: IContainer): Map<string, IEnvVar> {
  const env = new Map<string, IEnvVar>();
  for (const variable of container.env ?? []) {
    expect(env.has(variable.name), `${variable.name} is set twice`).toBe(false);
    env.set(variable.name, variable);
  }
  return env;
}

function plainValue(env: Map<string, IEnvVar>, name: string): string | undefined {
  const variable = env.get(name);
  expect(variable?.valueFrom, `${name} should be a plain value`).toBeUndefined();
  return variable?.value;
}

function secretRef(env: Map<string, IEnvVar>, name: string): { name: string; key: string } {
  const ref = env.get(name)?.valueFrom?.secretKeyRef;
  expect(ref, `${name} should come from a Secret`).toBeDefined();
  expect(env.get(name)?.value).toBeUndefined();
  return { name: ref?.name ?? '', key: ref?.key ?? '' };
}

function decodedSecret(objects: readonly K8sObject[]): Record<string, string> {
  const secret = onlyOfKind<ISecret>(objects, 'Secret');
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
  );
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

// ---------------------------------------------------------------------------------------------------------
describe('the helm binary', () => {
  it('is helm v4, unpacked from the kubectl layer', async () => {
    const result = await runHelm(['version', '--short']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^v4\./);
  });
});

describe('the chart defaults alone', () => {
  it('pass helm lint (lint reports the missing values as information only)', async () => {
    const result = await runHelm(lintArgs());
    expect(result.stdout + result.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(result.code).toBe(0);
  });

  it('refuse to render until a database, API tokens and Prometheus are given, naming all three', async () => {
    const result = await runHelm(templateArgs());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('set database.url or database.existingSecret');
    expect(result.stderr).toContain('embeddedDatabase.enabled=true');
    expect(result.stderr).toContain('set auth.tokens or auth.existingSecret');
    expect(result.stderr).toContain('set prometheus.url');
  });
});

describe.each(CASES)('values $file', (valuesCase) => {
  const options: RenderOptions = { values: [valuesCase.file] };
  let objects: readonly K8sObject[] = [];
  let text = '';

  // beforeEach, not beforeAll: a failed render then fails each test instead of skipping it. Renders are memoized.
  beforeEach(async () => {
    ({ objects, text } = await rendered(options));
  });

  it('passes helm lint --strict', async () => {
    const result = await runHelm(lintArgs(options));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(result.code).toBe(0);
  });

  it('renders only objects that validate (kubernetes-models 4.5.1, CRD shape checks)', () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('puts every namespaced object in the release namespace (Roles in the watched ones)', () => {
    for (const object of objects) {
      const where = `${object.kind}/${object.metadata.name}`;
      if (CLUSTER_SCOPED.has(object.kind)) expect(object.metadata.namespace, where).toBeUndefined();
      else if (object.kind === 'Role' || object.kind === 'RoleBinding') expect(valuesCase.roleNamespaces, where).toContain(object.metadata.namespace);
      else expect(object.metadata.namespace, where).toBe(NAMESPACE);
    }
    const names = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('labels every object with the release', () => {
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/instance'], object.kind).toBe('promoter');
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by'], object.kind).toBe('Helm');
    }
  });

  it('runs the container non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    const deployment = deploymentOf(objects);
    const pod = deployment.spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(containerOf(deployment).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // The only writable places: /tmp, and the data directory in embedded mode.
    const tmp = containerOf(deployment).volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(tmp).toBeDefined();
    expect(pod?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    for (const mount of containerOf(deployment).volumeMounts ?? []) {
      const volume = pod?.volumes?.find((v) => v.name === mount.name);
      if (volume?.emptyDir === undefined) expect(mount.readOnly, mount.mountPath).toBe(true);
    }
  });

  it('probes /readyz for readiness and /healthz for liveness and start-up, on the http port', () => {
    const container = containerOf(deploymentOf(objects));
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it('shuts down gracefully and spreads replicas', () => {
    const pod = deploymentOf(objects).spec?.template.spec;
    expect(pod?.terminationGracePeriodSeconds).toBe(30);
    expect(containerOf(deploymentOf(objects)).lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(pod?.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const constraint of pod?.topologySpreadConstraints ?? []) {
      expect(constraint.whenUnsatisfiable).toBe('ScheduleAnyway');
      expect(constraint.labelSelector?.matchLabels).toEqual(deploymentOf(objects).spec?.selector.matchLabels);
    }
  });

  it('sets the service configuration, credentials only from Secrets that exist', () => {
    const deployment = deploymentOf(objects);
    const env = envOf(containerOf(deployment));
    expect(plainValue(env, 'NODE_ENV')).toBe('production');
    expect(plainValue(env, 'PORT')).toBe('8080');
    expect(plainValue(env, 'HOST')).toBe('0.0.0.0');
    expect(plainValue(env, 'PROMETHEUS_URL')).toMatch(/^https?:\/\//);
    expect(['on', 'off']).toContain(plainValue(env, 'PROMOTER_ENGINE'));
    expect(env.has('KUBECONFIG')).toBe(false);
    secretRef(env, 'PROMOTER_API_TOKENS');

    const chartSecrets = ofKind<ISecret>(objects, 'Secret');
    for (const name of SECRET_ENV) {
      if (!env.has(name)) continue;
      const ref = secretRef(env, name);
      const own = chartSecrets.find((s) => s.metadata?.name === ref.name);
      if (own) expect(Object.keys(own.data ?? {}), `${name} -> ${ref.name}`).toContain(ref.key);
      else expect(valuesCase.existingSecrets, `${name} -> ${ref.name}`).toContain(ref.name);
    }
    // Whatever is in the Deployment's environment as a plain value is not a credential.
    for (const [name, variable] of env) {
      if (variable.value !== undefined) expect(SECRET_ENV, name).not.toContain(name);
    }
  });

  it('never writes a credential in plain text', () => {
    for (const secret of valuesCase.plaintextSecrets) expect(text).not.toContain(secret);
  });

  it('gives the pods a service account whose token is mounted, and the Service selects only them', () => {
    const deployment = deploymentOf(objects);
    const pod = deployment.spec?.template.spec;
    const account = onlyOfKind<IServiceAccount>(objects, 'ServiceAccount');
    expect(pod?.serviceAccountName).toBe(account.metadata?.name);
    expect(pod?.automountServiceAccountToken).toBe(true);
    expect(pod?.enableServiceLinks).toBe(false);

    const service = onlyOfKind<IService>(objects, 'Service');
    const selector = service.spec?.selector ?? {};
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(matches(selector, deployment.spec?.template.metadata?.labels)).toBe(true);
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    for (const testPod of ofKind<IPod>(objects, 'Pod')) expect(matches(selector, testPod.metadata?.labels)).toBe(false);
  });

  it('grants exactly the least-privilege rules, bound to the service account', () => {
    const account = onlyOfKind<IServiceAccount>(objects, 'ServiceAccount');
    const subject = { kind: 'ServiceAccount', name: account.metadata?.name, namespace: NAMESPACE };
    // On by default (the example policies scale the canary down); existing-secrets.yaml turns it off.
    const scaleDown = valuesCase.file !== 'existing-secrets.yaml';
    const expected = scaleDown ? [...LEAST_PRIVILEGE_RULES, CANARY_SCALE_RULE] : LEAST_PRIVILEGE_RULES;

    const roles = ofKind<IRole>(objects, 'Role');
    const bindings = ofKind<IRoleBinding>(objects, 'RoleBinding');
    expect(roles.map((r) => r.metadata?.namespace).sort()).toEqual([...valuesCase.roleNamespaces].sort());
    expect(bindings.map((b) => b.metadata?.namespace).sort()).toEqual([...valuesCase.roleNamespaces].sort());
    for (const role of roles) expect(role.rules).toEqual(expected);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([subject]);
      const role = roles.find((r) => r.metadata?.namespace === binding.metadata?.namespace);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata?.name });
    }

    const clusterRoles = ofKind<IClusterRole>(objects, 'ClusterRole');
    const clusterBindings = ofKind<IClusterRoleBinding>(objects, 'ClusterRoleBinding');
    if (valuesCase.roleNamespaces.length > 0) {
      expect(clusterRoles).toEqual([]);
      expect(clusterBindings).toEqual([]);
    } else {
      expect(clusterRoles).toHaveLength(1);
      expect(clusterBindings).toHaveLength(1);
      expect(clusterRoles[0]?.rules).toEqual(expected);
      expect(clusterBindings[0]?.subjects).toEqual([subject]);
      expect(clusterBindings[0]?.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: clusterRoles[0]?.metadata?.name,
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('values minimal.yaml in detail', () => {
  let objects: readonly K8sObject[] = [];
  beforeEach(async () => {
    ({ objects } = await rendered({ values: ['minimal.yaml'] }));
  });

  it('stores the database URL and the tokens (name:role[:ns1|ns2]:secret) in the chart Secret', () => {
    expect(decodedSecret(objects)).toEqual({
      DATABASE_URL: 'postgres://promoter:change-me@postgres.db.svc:5432/promoter?sslmode=require',
      PROMOTER_API_TOKENS: 'ci:operator:mcp:ci-0123456789abcdef,oncall:admin:oncall-0123456789abcdef',
    });
    const env = envOf(containerOf(deploymentOf(objects)));
    expect(secretRef(env, 'DATABASE_URL')).toEqual({ name: 'promoter', key: 'DATABASE_URL' });
    expect(secretRef(env, 'PROMOTER_API_TOKENS')).toEqual({ name: 'promoter', key: 'PROMOTER_API_TOKENS' });
    expect(env.has('PROMOTER_DATA_DIR')).toBe(false);
    expect(env.has('PROMOTER_POLICIES_DIR')).toBe(false);
    expect(env.has('PROMETHEUS_HEADERS')).toBe(false);
    expect(env.has('PROMETHEUS_BEARER_TOKEN')).toBe(false);
    expect(env.has('PROMETHEUS_INSECURE_SKIP_TLS_VERIFY')).toBe(false);
    expect(plainValue(env, 'PROMETHEUS_TIMEOUT_MS')).toBe('10000');
    expect(plainValue(env, 'LOG_LEVEL')).toBe('info');
    expect(plainValue(env, 'PROMOTER_ENGINE')).toBe('on');
  });

  it('runs two replicas with a surge-only rolling update and the image at the chart appVersion', () => {
    const deployment = deploymentOf(objects);
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(containerOf(deployment).image).toBe('registry.example.com/promoter/promoter:0.1.0');
    expect(containerOf(deployment).resources?.limits?.memory).toBe('512Mi');
  });

  it('renders no optional object', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['Deployment', 'Pod', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
  });

  it('makes the helm test pod call /readyz through the Service', () => {
    const pod = onlyOfKind<IPod>(objects, 'Pod');
    expect(pod.metadata?.annotations?.['helm.sh/hook']).toBe('test');
    const env = envOf(pod.spec?.containers[0] as IContainer);
    expect(plainValue(env, 'READYZ_URL')).toBe('http://promoter.promoter.svc:8080/readyz');
    expect(pod.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
  });
});

describe('checksum annotations', () => {
  async function annotations(options: RenderOptions): Promise<Record<string, string>> {
    const { objects } = await rendered(options);
    return deploymentOf(objects).spec?.template.metadata?.annotations ?? {};
  }

  it('change when the Secret or the policies change, and only then', async () => {
    const base = await annotations({ values: ['cluster-wide.yaml'] });
    const otherUrl = await annotations({ values: ['cluster-wide.yaml'], set: ['database.url=postgres://other@db:5432/promoter'] });
    const otherPolicy = await annotations({ values: ['cluster-wide.yaml'], set: ['policies.zai-proxy-default\\.yaml.bake=10m'] });
    const otherLogLevel = await annotations({ values: ['cluster-wide.yaml'], set: ['logLevel=warn'] });
    expect(base['checksum/secret']).toMatch(/^[a-f0-9]{64}$/);
    expect(base['checksum/policies']).toMatch(/^[a-f0-9]{64}$/);
    expect(otherUrl['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(otherUrl['checksum/policies']).toBe(base['checksum/policies']);
    expect(otherPolicy['checksum/policies']).not.toBe(base['checksum/policies']);
    expect(otherPolicy['checksum/secret']).toBe(base['checksum/secret']);
    expect(otherLogLevel).toEqual(base);
  });
});

describe('values cluster-wide.yaml in detail', () => {
  let objects: readonly K8sObject[] = [];
  beforeEach(async () => {
    ({ objects } = await rendered({ values: ['cluster-wide.yaml'] }));
  });

  it('names the cluster-scoped RBAC after the release namespace too', () => {
    expect(onlyOfKind<IClusterRole>(objects, 'ClusterRole').metadata?.name).toBe('promoter-promoter');
  });

  it('passes basic auth (password from the Secret) and the tenant header as JSON', () => {
    const env = envOf(containerOf(deploymentOf(objects)));
    expect(plainValue(env, 'PROMETHEUS_URL')).toBe('https://mimir.example.com/prometheus');
    expect(plainValue(env, 'PROMETHEUS_USERNAME')).toBe('promoter');
    expect(secretRef(env, 'PROMETHEUS_PASSWORD')).toEqual({ name: 'promoter', key: 'PROMETHEUS_PASSWORD' });
    expect(JSON.parse(plainValue(env, 'PROMETHEUS_HEADERS') ?? 'null')).toEqual({ 'X-Scope-OrgID': 'team-a' });
    expect(decodedSecret(objects)['PROMETHEUS_PASSWORD']).toBe('s3cret-password');
    expect(plainValue(env, 'PROMOTER_ENGINE')).toBe('off');
    expect(plainValue(env, 'LOG_LEVEL')).toBe('debug');
    expect(plainValue(env, 'NODE_EXTRA_CA_CERTS')).toBe('/etc/promoter/ca/ca.crt');
    const pod = deploymentOf(objects).spec?.template.spec;
    expect(pod?.volumes?.find((v) => v.name === 'internal-ca')?.configMap?.name).toBe('internal-ca');
    expect(containerOf(deploymentOf(objects)).volumeMounts).toContainEqual({ name: 'internal-ca', mountPath: '/etc/promoter/ca', readOnly: true });
  });

  it('mounts the policies ConfigMap read-only at PROMOTER_POLICIES_DIR, each file a policy document', () => {
    const deployment = deploymentOf(objects);
    const container = containerOf(deployment);
    const dir = plainValue(envOf(container), 'PROMOTER_POLICIES_DIR');
    const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount?.readOnly).toBe(true);
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
    const configMap = onlyOfKind<IConfigMap>(objects, 'ConfigMap');
    expect(volume?.configMap?.name).toBe(configMap.metadata?.name);

    const files = configMap.data ?? {};
    expect(Object.keys(files).sort()).toEqual(['canary-latency.json', 'tokens-counted.yaml', 'zai-proxy-default.yaml']);
    const policy = parse(files['zai-proxy-default.yaml'] ?? '') as { name: string; checks: { query: string }[] };
    expect(policy.name).toBe('zai-proxy-default');
    // Template variables reach the service untouched: helm does not render values.
    expect(policy.checks[0]?.query).toContain('variant="{{variant}}"');
    expect(parse(files['tokens-counted.yaml'] ?? '')).toMatchObject({ name: 'tokens-counted', checks: [{ exclusiveMin: true }] });
    expect(JSON.parse(files['canary-latency.json'] ?? '')).toMatchObject({ checks: [{ name: 'p95-no-regression', maxIncrease: '10%' }] });
  });
});

describe('values existing-secrets.yaml in detail', () => {
  let objects: readonly K8sObject[] = [];
  beforeEach(async () => {
    ({ objects } = await rendered({ values: ['existing-secrets.yaml'] }));
  });

  it('creates no Secret and reads every credential from the named Secrets and keys', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    const env = envOf(containerOf(deploymentOf(objects)));
    expect(secretRef(env, 'DATABASE_URL')).toEqual({ name: 'promoter-database', key: 'url' });
    expect(secretRef(env, 'PROMOTER_API_TOKENS')).toEqual({ name: 'promoter-api-tokens', key: 'tokens' });
    expect(secretRef(env, 'PROMETHEUS_BEARER_TOKEN')).toEqual({ name: 'promoter-prometheus', key: 'token' });
    expect(env.has('PROMETHEUS_USERNAME')).toBe(false);
    expect(env.has('PROMETHEUS_PASSWORD')).toBe(false);
  });

  it('pulls the image by digest with the pull secret', () => {
    const pod = deploymentOf(objects).spec?.template.spec;
    expect(pod?.containers[0]?.image).toBe(
      'registry.internal/promoter@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(pod?.imagePullSecrets).toEqual([{ name: 'registry-internal' }]);
  });
});

describe('values monitoring.yaml in detail', () => {
  let objects: readonly K8sObject[] = [];
  beforeEach(async () => {
    ({ objects } = await rendered({ values: ['monitoring.yaml'] }));
  });

  it('scrapes /metrics on the http port of the chart Service', () => {
    const monitor = onlyOfKind<K8sObject>(objects, 'ServiceMonitor');
    const service = onlyOfKind<IService>(objects, 'Service');
    expect(monitor.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(monitor['spec']).toEqual({
      selector: { matchLabels: service.spec?.selector },
      namespaceSelector: { matchNames: [NAMESPACE] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    });
    expect(matches(service.spec?.selector ?? {}, service.metadata?.labels)).toBe(true);
  });

  it('alerts on the service being down, failing promotions, rollbacks, a stalled engine, Prometheus and API errors', () => {
    const rule = onlyOfKind<K8sObject>(objects, 'PrometheusRule');
    const spec = rule['spec'] as { groups: { rules: { alert: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] };
    const rules = spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'PromoterDown',
      'PromoterPromotionsFailing',
      'PromoterRollbacksFrequent',
      'PromoterEngineStalled',
      'PromoterPrometheusQueriesFailing',
      'PromoterApiErrors',
      'PromoterNotificationsUndelivered',
    ]);
    for (const r of rules) {
      expect(['critical', 'warning']).toContain(r.labels['severity']);
      expect(r.labels['team']).toBe('platform');
      expect(r.annotations['summary']).toBeTruthy();
      expect(r.annotations['runbook_url']).toBe(
        `https://git.example.com/promoter/blob/main/docs/operations.md#${r.alert.toLowerCase()}`,
      );
    }
  });

  it('can switch single alerts off', async () => {
    const { objects: fewer } = await rendered({
      values: ['monitoring.yaml'],
      set: ['prometheusRule.alerts.apiErrors.enabled=false', 'prometheusRule.alerts.rollbacks.enabled=false'],
    });
    const spec = onlyOfKind<K8sObject>(fewer, 'PrometheusRule')['spec'] as { groups: { rules: { alert: string }[] }[] };
    expect(spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).not.toContain('PromoterApiErrors');
    expect(spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).not.toContain('PromoterRollbacksFrequent');
  });

  it('passes the engine lease time when set, and leaves the poll interval to the service', () => {
    const env = envOf(containerOf(deploymentOf(objects)));
    expect(plainValue(env, 'PROMOTER_ENGINE_LEASE_MS')).toBe('30000');
    expect(env.has('PROMOTER_ENGINE_POLL_MS')).toBe(false);
    expect(env.has('PROMOTER_ENGINE_CONCURRENCY')).toBe(false);
  });

  it('passes the engine concurrency when set', async () => {
    const { objects: tuned } = await rendered({ values: ['monitoring.yaml'], set: ['engine.concurrency=64'] });
    expect(plainValue(envOf(containerOf(deploymentOf(tuned))), 'PROMOTER_ENGINE_CONCURRENCY')).toBe('64');
  });

  it('keeps a PodDisruptionBudget that never blocks a drain on its own', () => {
    const pdb = onlyOfKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    expect(pdb.spec?.maxUnavailable).toBe(1);
    expect(pdb.spec?.minAvailable).toBeUndefined();
    expect(pdb.spec?.selector?.matchLabels).toEqual(deploymentOf(objects).spec?.selector.matchLabels);
  });

  it('limits ingress to the http port from the listed peers and egress to DNS plus the listed rules', () => {
    const policy = onlyOfKind<INetworkPolicy>(objects, 'NetworkPolicy');
    expect(policy.spec?.podSelector.matchLabels).toEqual(deploymentOf(objects).spec?.selector.matchLabels);
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.ingress).toHaveLength(1);
    expect(policy.spec?.ingress?.[0]?.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    const peers = policy.spec?.ingress?.[0]?.from ?? [];
    expect(peers).toHaveLength(3);
    // The last peer lets the helm test pod in, and only it.
    const testPod = onlyOfKind<IPod>(objects, 'Pod');
    expect(matches(peers[2]?.podSelector?.matchLabels ?? {}, testPod.metadata?.labels)).toBe(true);
    expect(matches(peers[2]?.podSelector?.matchLabels ?? {}, deploymentOf(objects).spec?.template.metadata?.labels)).toBe(false);
    const egress = policy.spec?.egress ?? [];
    expect(egress[0]).toEqual({ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] });
    expect(egress.slice(1).map((rule) => rule.ports?.[0]?.port)).toEqual([443, 5432, 9090]);
  });
});

describe('values embedded.yaml in detail', () => {
  let objects: readonly K8sObject[] = [];
  beforeEach(async () => {
    ({ objects } = await rendered({ values: ['embedded.yaml'] }));
  });

  it('keeps PGlite in an emptyDir at PROMOTER_DATA_DIR, one replica, never two pods at once', () => {
    const deployment = deploymentOf(objects);
    const container = containerOf(deployment);
    const env = envOf(container);
    expect(env.has('DATABASE_URL')).toBe(false);
    const dir = plainValue(env, 'PROMOTER_DATA_DIR');
    const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount?.readOnly).toBeUndefined();
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.emptyDir).toEqual({ sizeLimit: '1Gi' });
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.strategy).toEqual({ type: 'Recreate' });
    expect(decodedSecret(objects)).toEqual({ PROMOTER_API_TOKENS: 'me:admin:me-0123456789abcdef' });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('values.schema.json', () => {
  const INVALID: readonly (readonly [file: string, message: RegExp])[] = [
    ['replicas-string.yaml', /at '\/replicas': got string, want integer/],
    ['rbac-unknown-key.yaml', /at '\/rbac': additional properties 'clusterwide' not allowed/],
    ['token-secret-with-comma.yaml', /at '\/auth\/tokens\/0\/secret'/],
    ['token-role.yaml', /at '\/auth\/tokens\/0\/role'/],
    ['writable-root-filesystem.yaml', /at '\/securityContext\/readOnlyRootFilesystem'/],
    ['policy-file-name.yaml', /zai-proxy-default\.txt/],
    ['alert-window.yaml', /at '\/prometheusRule\/alerts\/rollbacks\/window'/],
  ];

  it.concurrent.each(INVALID)('rejects invalid/%s at helm template and helm lint', async (file, message) => {
    const options: RenderOptions = { values: ['minimal.yaml', `invalid/${file}`] };
    const [template, lint] = await Promise.all([runHelm(templateArgs(options)), runHelm(lintArgs(options))]);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(template.stderr).toMatch(message);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(message);
  });

  it('rejects an unknown top-level key', async () => {
    const result = await runHelm(templateArgs({ values: ['minimal.yaml'], set: ['replicaCount=3'] }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/additional properties 'replicaCount' not allowed/);
  });
});

describe('combinations the templates refuse', () => {
  let dir: Promise<string> | undefined;
  const scratch = (): Promise<string> => (dir ??= mkdtemp(join(tmpdir(), 'promoter-helm-')));
  afterAll(async () => {
    if (dir) await rm(await dir, { recursive: true, force: true });
  });

  const CONFLICTS: readonly (readonly [name: string, values: string, message: string])[] = [
    ['embedded with two replicas', 'embeddedDatabase: {enabled: true}\ndatabase: {url: ""}\nreplicas: 2\n', 'needs replicas: 1'],
    ['embedded with a database URL', 'embeddedDatabase: {enabled: true}\nreplicas: 1\n', 'cannot be combined with database.url'],
    ['a database URL and an existing Secret', 'database: {existingSecret: db}\n', 'set database.url or database.existingSecret, not both'],
    ['tokens and an existing Secret', 'auth: {existingSecret: tokens}\n', 'set auth.tokens or auth.existingSecret, not both'],
    ['bearer auth without a token', 'prometheus: {auth: {type: bearer}}\n', 'type=bearer needs exactly one of'],
    ['basic auth without a user name', 'prometheus: {auth: {type: basic, password: x}}\n', 'type=basic needs prometheus.auth.username'],
    ['credentials with auth type none', 'prometheus: {auth: {bearerToken: abc}}\n', 'prometheus.auth.type is none'],
    ['cluster-wide RBAC with namespaces', 'rbac: {clusterWide: true, namespaces: [mcp]}\n', 'rbac.namespaces must be empty'],
  ];

  it.concurrent.each(CONFLICTS)('%s', async (_name, values, message) => {
    const file = join(await scratch(), `${_name.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, values);
    const result = await runHelm(templateArgs({ values: ['minimal.yaml', file] }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('NOTES.txt', () => {
  it('tells how to reach Swagger UI and run the first CLI command', async () => {
    const result = await runHelm([
      'install',
      'promoter',
      chartDir,
      '--namespace',
      NAMESPACE,
      '--dry-run=client',
      '--hide-secret',
      '-f',
      valuesFile('minimal.yaml'),
    ]);
    expect(result.code).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl --namespace promoter port-forward service/promoter 8080:8080');
    expect(notes).toContain('http://127.0.0.1:8080/docs');
    expect(notes).toContain('export PROMOTER_URL=http://127.0.0.1:8080');
    expect(notes).toContain('export PROMOTER_TOKEN=');
    expect(notes).toContain('node_modules/.bin/promoter list');
    expect(notes).toContain('exec deploy/promoter -- env PROMOTER_TOKEN=<secret> promoter list');
    expect(notes).not.toMatch(/^\s*npx promoter/m);
  });
});
