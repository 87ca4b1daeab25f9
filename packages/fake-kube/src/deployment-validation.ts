/**
 * The part of the API server's decoding, defaulting and validation of apps/v1 Deployments that a client can
 * trip over: wrong JSON types (400), missing or invalid fields and the immutable selector (422).
 */
import { ensureObject, isJsonObject, jsonEqual, objectAt, type JsonObject, type JsonValue } from './json.js';
import { StatusError, statuses, type StatusCause } from './status.js';

const DEPLOYMENT_KIND = { group: 'apps', kind: 'Deployment' };

/** Go-style rendering of a rejected value inside `Invalid value: ...`. */
function render(value: JsonValue | undefined): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null);
}

const required = (field: string): StatusCause => ({ type: 'FieldValueRequired', message: 'Required value', field });
const invalid = (field: string, value: JsonValue | undefined, detail: string): StatusCause => ({
  type: 'FieldValueInvalid',
  message: `Invalid value: ${render(value)}: ${detail}`,
  field,
});

/** Decoding into the Go types fails for a wrongly typed label or annotation value: a 400, not a 422. */
export function checkDecodable(obj: JsonObject): void {
  for (const path of [['metadata', 'labels'], ['metadata', 'annotations'], ['spec', 'template', 'metadata', 'labels']]) {
    const map = objectAt(obj, ...path);
    for (const [key, value] of Object.entries(map ?? {})) {
      if (typeof value !== 'string') {
        throw new StatusError(
          statuses.badRequest(`json: cannot unmarshal ${typeof value} into Go struct field of type string (${path.join('.')}.${key})`),
        );
      }
    }
  }
  const replicas = objectAt(obj, 'spec')?.replicas;
  if (replicas !== undefined && replicas !== null && !Number.isInteger(replicas)) {
    throw new StatusError(statuses.badRequest(`json: cannot unmarshal ${typeof replicas} into Go struct field DeploymentSpec.spec.replicas of type int32`));
  }
}

/** Server-side defaults for the fields the fake reads; set as the API server does before validating. */
export function applyDefaults(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  if (spec.strategy === undefined) {
    spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  }
  // Go's omitempty: an empty map is the same as no map.
  const metadata = ensureObject(obj, 'metadata');
  for (const key of ['labels', 'annotations']) {
    const map = metadata[key];
    if (isJsonObject(map) && Object.keys(map).length === 0) delete metadata[key];
  }
}

export function validateDeployment(obj: JsonObject, old: JsonObject | undefined): void {
  const causes: StatusCause[] = [];
  const spec = objectAt(obj, 'spec');
  const replicas = spec?.replicas;
  if (typeof replicas === 'number' && replicas < 0) {
    causes.push(invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  const matchLabels = objectAt(spec, 'selector', 'matchLabels');
  if (matchLabels === undefined || Object.keys(matchLabels).length === 0) {
    causes.push(required('spec.selector'));
  } else {
    const templateLabels = objectAt(spec, 'template', 'metadata', 'labels') ?? {};
    const matches = Object.entries(matchLabels).every(([k, v]) => templateLabels[k] === v);
    if (!matches) {
      causes.push(invalid('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`'));
    }
  }
  const containers = objectAt(spec, 'template', 'spec')?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required('spec.template.spec.containers'));
  } else {
    const seen = new Set<string>();
    containers.forEach((container, i) => {
      const base = `spec.template.spec.containers[${i}]`;
      const name = isJsonObject(container) ? container.name : undefined;
      const image = isJsonObject(container) ? container.image : undefined;
      if (typeof name !== 'string' || name === '') causes.push(required(`${base}.name`));
      else if (seen.has(name)) causes.push({ type: 'FieldValueDuplicate', message: `Duplicate value: ${render(name)}`, field: `${base}.name` });
      else seen.add(name);
      if (typeof image !== 'string' || image.trim() === '') causes.push(required(`${base}.image`));
    });
  }
  if (old !== undefined) {
    const before = objectAt(old, 'spec', 'selector');
    const after = objectAt(obj, 'spec', 'selector');
    if (!jsonEqual(before, after)) causes.push(invalid('spec.selector', after, 'field is immutable'));
  }
  if (causes.length > 0) {
    const name = objectAt(obj, 'metadata')?.name;
    throw new StatusError(statuses.invalid(DEPLOYMENT_KIND, typeof name === 'string' ? name : '', causes));
  }
}
