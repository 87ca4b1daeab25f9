/**
 * Helpers for the chart tests: run the real helm binary, parse what `helm template` renders, and
 * validate each object (kubernetes-models 4.5.1 for built-in kinds, a minimal shape check of our own for
 * the prometheus-operator CRDs).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { helmBinary, repoRoot } from '../fixtures/helm.js';

export const chartDir = join(repoRoot, 'helm', 'promoter');
export const valuesDir = join(repoRoot, 'test', 'helm', 'values');
export const RELEASE = 'promoter';
export const NAMESPACE = 'promoter';

export function valuesFile(name: string): string {
  return join(valuesDir, name);
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with a private, empty HOME-like configuration so a developer's repos and plugins play no part. */
export async function runHelm(args: readonly string[]): Promise<HelmResult> {
  const helm = await helmBinary();
  const scratch = join(repoRoot, 'node_modules', '.cache', 'promoter-helm', 'home');
  return new Promise((resolve, reject) => {
    execFile(
      helm,
      args,
      {
        maxBuffer: 32 * 1024 * 1024,
        timeout: 20_000,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HELM_CACHE_HOME: join(scratch, 'cache'),
          HELM_CONFIG_HOME: join(scratch, 'config'),
          HELM_DATA_HOME: join(scratch, 'data'),
          KUBECONFIG: '/dev/null',
        },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

export interface RenderOptions {
  /** Value files, relative to test/helm/values unless absolute. */
  readonly values?: readonly string[];
  readonly set?: readonly string[];
  readonly setJson?: readonly string[];
  readonly showOnly?: string;
}

function valueArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.values ?? []) args.push('-f', file.startsWith('/') ? file : valuesFile(file));
  for (const value of options.set ?? []) args.push('--set', value);
  for (const value of options.setJson ?? []) args.push('--set-json', value);
  return args;
}

export function templateArgs(options: RenderOptions = {}): string[] {
  const args = ['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...valueArgs(options)];
  if (options.showOnly) args.push('--show-only', options.showOnly);
  return args;
}

export function lintArgs(options: RenderOptions = {}): string[] {
  return ['lint', '--strict', chartDir, '--namespace', NAMESPACE, ...valueArgs(options)];
}

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`not an object: ${JSON.stringify(value)}`);
    const object = value as Partial<K8sObject>;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name) {
      throw new Error(`rendered document without apiVersion/kind/metadata.name: ${JSON.stringify(value)}`);
    }
    objects.push(object as K8sObject);
  }
  return objects;
}

export interface Rendered {
  readonly text: string;
  readonly objects: readonly K8sObject[];
}

export async function render(options: RenderOptions = {}): Promise<Rendered> {
  const result = await runHelm(templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return { text: result.stdout, objects: parseManifests(result.stdout) };
}

/** All objects of a kind, typed as the caller expects (e.g. IDeployment from kubernetes-models). */
export function ofKind<T>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as unknown as T[];
}

/** The one object of a kind; fails when there are none or several. */
export function onlyOfKind<T>(objects: readonly K8sObject[], kind: string): T {
  const found = ofKind<T>(objects, kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0] as T;
}

interface Validatable {
  validate(): void;
}
// The model constructors take their own interface (IDeployment, ...); `never` accepts each of them.
type ModelClass = new (data: never) => Validatable;

const models: Readonly<Record<string, ModelClass>> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

const crdCheckers: Readonly<Record<string, (object: K8sObject) => string[]>> = {
  'monitoring.coreos.com/v1/ServiceMonitor': checkServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': checkPrometheusRule,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

/**
 * Validates one rendered object and returns the problems found (empty when valid). Built-in kinds go
 * through kubernetes-models' JSON schemas; names and label values are checked against the API server's
 * rules, which those schemas do not encode.
 */
export function validateObject(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const where = `${object.kind}/${object.metadata.name}`;
  const problems: string[] = [];
  if (object.metadata.name.length > 253 || !DNS_SUBDOMAIN.test(object.metadata.name)) {
    problems.push(`${where}: metadata.name is not a DNS subdomain`);
  }
  for (const [label, value] of Object.entries(object.metadata.labels ?? {})) {
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`${where}: label ${label}=${String(value)} is not a valid label value`);
    }
  }
  const Model = models[key];
  const checkCrd = crdCheckers[key];
  if (Model) {
    try {
      new Model(object as never).validate();
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else if (checkCrd) {
    problems.push(...checkCrd(object).map((p) => `${where}: ${p}`));
  } else {
    problems.push(`${where}: no validator for ${key}; add one to test/helm/chart.ts`);
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(value).filter((k) => !allowed.includes(k));
}

/** The fields of monitoring.coreos.com/v1 ServiceMonitor the chart uses, with their types. */
function checkServiceMonitor(object: K8sObject): string[] {
  const problems: string[] = [];
  const spec = object.spec;
  if (!isRecord(spec)) return ['spec must be an object'];
  problems.push(...unknownKeys(spec, ['selector', 'namespaceSelector', 'endpoints', 'jobLabel']).map((k) => `spec.${k} is unexpected`));
  if (!isRecord(spec.selector) || !isStringMap(spec.selector.matchLabels)) problems.push('spec.selector.matchLabels must map strings');
  if (spec.namespaceSelector !== undefined) {
    const names = isRecord(spec.namespaceSelector) ? spec.namespaceSelector.matchNames : undefined;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) problems.push('spec.namespaceSelector.matchNames must list strings');
  }
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) return [...problems, 'spec.endpoints must be a non-empty list'];
  spec.endpoints.forEach((endpoint: unknown, i) => {
    if (!isRecord(endpoint)) {
      problems.push(`spec.endpoints[${i}] must be an object`);
      return;
    }
    problems.push(...unknownKeys(endpoint, ['port', 'path', 'interval', 'scrapeTimeout', 'scheme']).map((k) => `spec.endpoints[${i}].${k} is unexpected`));
    if (typeof endpoint.port !== 'string' || endpoint.port === '') problems.push(`spec.endpoints[${i}].port must name a Service port`);
    if (typeof endpoint.path !== 'string' || !endpoint.path.startsWith('/')) problems.push(`spec.endpoints[${i}].path must be an absolute path`);
    for (const field of ['interval', 'scrapeTimeout'] as const) {
      const value = endpoint[field];
      if (value !== undefined && (typeof value !== 'string' || !DURATION.test(value))) problems.push(`spec.endpoints[${i}].${field} must be a duration`);
    }
  });
  return problems;
}

/** monitoring.coreos.com/v1 PrometheusRule: groups of alerting/recording rules (PromQL is left to promtool). */
function checkPrometheusRule(object: K8sObject): string[] {
  const problems: string[] = [];
  const spec = object.spec;
  if (!isRecord(spec)) return ['spec must be an object'];
  problems.push(...unknownKeys(spec, ['groups']).map((k) => `spec.${k} is unexpected`));
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) return [...problems, 'spec.groups must be a non-empty list'];
  const groupNames = new Set<string>();
  spec.groups.forEach((group: unknown, g) => {
    if (!isRecord(group)) {
      problems.push(`spec.groups[${g}] must be an object`);
      return;
    }
    problems.push(...unknownKeys(group, ['name', 'interval', 'rules']).map((k) => `spec.groups[${g}].${k} is unexpected`));
    if (typeof group.name !== 'string' || group.name === '') problems.push(`spec.groups[${g}].name must be a non-empty string`);
    else if (groupNames.has(group.name)) problems.push(`spec.groups[${g}].name ${group.name} is duplicated`);
    else groupNames.add(group.name);
    if (!Array.isArray(group.rules) || group.rules.length === 0) {
      problems.push(`spec.groups[${g}].rules must be a non-empty list`);
      return;
    }
    group.rules.forEach((rule: unknown, r) => {
      const at = `spec.groups[${g}].rules[${r}]`;
      if (!isRecord(rule)) {
        problems.push(`${at} must be an object`);
        return;
      }
      problems.push(...unknownKeys(rule, ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']).map((k) => `${at}.${k} is unexpected`));
      if ((typeof rule.alert === 'string') === (typeof rule.record === 'string')) problems.push(`${at} needs exactly one of alert or record`);
      if (typeof rule.expr !== 'string' || rule.expr.trim() === '') problems.push(`${at}.expr must be a non-empty string`);
      if (rule.for !== undefined && (typeof rule.for !== 'string' || !DURATION.test(rule.for))) problems.push(`${at}.for must be a duration`);
      if (rule.labels !== undefined && !isStringMap(rule.labels)) problems.push(`${at}.labels must map strings`);
      if (rule.annotations !== undefined && !isStringMap(rule.annotations)) problems.push(`${at}.annotations must map strings`);
      if (typeof rule.record === 'string' && rule.annotations !== undefined) problems.push(`${at}: recording rules take no annotations`);
    });
  });
  return problems;
}
