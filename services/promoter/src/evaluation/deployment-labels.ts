/**
 * The pod-template labels `{{labels.*}}` stand for, read from the Deployments themselves. Read only for
 * checks that use them, once per round (or per evaluation) for each Deployment, and never guessed: a
 * label that is missing, or a Deployment that cannot be read, makes the measurement an `error` that
 * names the label and the Deployment.
 */
import type { DeploymentRef, KubernetesClient } from '../adapters/kubernetes/types.js';

export type DeploymentReader = Pick<KubernetesClient, 'getDeployment'>;

/** A Deployment's `spec.template.metadata.labels`. */
export type LabelLookup = (ref: DeploymentRef) => Promise<Readonly<Record<string, string>>>;

/** Reads each Deployment once while it is kept; a failed read is forgotten, so a later round tries again. */
export function cachedLabelLookup(reader: DeploymentReader): LabelLookup {
  const cache = new Map<string, Promise<Readonly<Record<string, string>>>>();
  return (ref) => {
    const key = `${ref.namespace}/${ref.name}`;
    let labels = cache.get(key);
    if (!labels) {
      labels = reader.getDeployment(ref).then((deployment) => deployment.templateLabels);
      labels.catch(() => cache.delete(key));
      cache.set(key, labels);
    }
    return labels;
  };
}

export type LabelsOutcome =
  | { readonly labels: Readonly<Record<string, string>> }
  | { readonly error: string; readonly unmeasurable?: true };

/** The labels of `ref` when it has every key in `keys`; nothing is read when `keys` is empty. */
export async function labelsFor(lookup: LabelLookup | undefined, ref: DeploymentRef, keys: readonly string[]): Promise<LabelsOutcome> {
  if (keys.length === 0) return { labels: {} };
  const placeholders = keys.map((key) => `{{labels.${key}}}`).join(', ');
  const deployment = `Deployment ${ref.namespace}/${ref.name}`;
  if (!lookup) {
    // Retrying cannot help until the service is given a cluster: say so at once.
    return { error: `${placeholders} needs the pod-template labels of ${deployment}, but no Kubernetes client is configured`, unmeasurable: true };
  }
  let labels: Readonly<Record<string, string>>;
  try {
    labels = await lookup(ref);
  } catch (error) {
    return { error: `${placeholders}: the labels of ${deployment} could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  const missing = keys.filter((key) => !Object.hasOwn(labels, key));
  if (missing.length > 0) {
    const has = Object.keys(labels).sort();
    return {
      error:
        `${deployment} has no pod-template label ${missing.map((key) => `'${key}'`).join(', ')} for ${missing.map((key) => `{{labels.${key}}}`).join(', ')}` +
        ` (its labels: ${has.length > 0 ? has.join(', ') : 'none'})`,
    };
  }
  return { labels };
}
