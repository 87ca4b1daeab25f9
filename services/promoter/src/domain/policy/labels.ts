/**
 * `{{labels.<name>}}`: a pod-template label of the Deployment a query is about, so a policy selects series
 * by the labels the pods really carry (the runbook's canary pods say `variant=test`, production's
 * `variant=production`) instead of the name `{{variant}}` makes up. Which Deployment that is follows
 * `{{deployment}}`: the judged one for the query, production for a baseline (see `checkLabelKeys`).
 * Pure, no I/O.
 */
import { checkKind, type CheckDocument } from './model.js';
import { plainTemplateVariables } from './expand.js';
import { templateVariables } from './template.js';

export const LABEL_VARIABLE_PREFIX = 'labels.';

// Kubernetes label keys: an optional DNS-subdomain prefix and `/`, then a name (apimachinery's
// IsQualifiedName). Validated when the policy is saved, so a typo never waits for a promotion.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME = 63;
const MAX_PREFIX = 253;

/** The label key of a `labels.<key>` variable; undefined for any other variable. */
export function labelKey(variable: string): string | undefined {
  return variable.startsWith(LABEL_VARIABLE_PREFIX) ? variable.slice(LABEL_VARIABLE_PREFIX.length) : undefined;
}

/** Why `key` is not a Kubernetes label key; undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > MAX_PREFIX || !LABEL_PREFIX.test(prefix))) {
    return `'${prefix}' is not a label prefix: a DNS subdomain (lowercase letters, digits, - and .) of at most ${MAX_PREFIX} characters`;
  }
  if (name.length > MAX_NAME || !LABEL_NAME.test(name)) {
    return `'${name}' is not a Kubernetes label name: letters, digits, -, _ and ., starting and ending with a letter or digit, at most ${MAX_NAME} characters`;
  }
  return undefined;
}

/** A Deployment's pod-template labels as template variables, `labels.<key>` each. */
export function labelVariables(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [`${LABEL_VARIABLE_PREFIX}${key}`, value]));
}

/**
 * The label keys a check needs, by the Deployment they are read from: `judged` is the one its query is
 * about (the canary in `pre` when there is one, else production), `production` the target, which a
 * baseline is rendered for unless it is the same query at an earlier time (`offset`), when it keeps the
 * judged Deployment's. Keys a baseline overrides are not read for it.
 */
export function checkLabelKeys(check: CheckDocument): { judged: string[]; production: string[] } {
  const judged = new Set<string>();
  const production = new Set<string>();
  const add = (into: Set<string>, names: readonly string[], overridden: ReadonlySet<string> = new Set()) => {
    for (const name of names) {
      const key = labelKey(name);
      if (key !== undefined && !overridden.has(name)) into.add(key);
    }
  };
  const names = (template: string | undefined): string[] => {
    if (template === undefined) return [];
    const found = templateVariables(template);
    return 'error' in found ? [] : found;
  };
  const kind = checkKind(check);
  if (kind === 'webhook') return { judged: [], production: [] };
  if (kind === 'alerts') {
    for (const value of Object.values(check.alerts ?? {})) add(judged, plainTemplateVariables(value));
    return { judged: [...judged], production: [] };
  }
  add(judged, names(check.query));
  const baseline = check.baseline;
  if (baseline) {
    const overridden = new Set(Object.keys(baseline).filter((key) => key !== 'query' && key !== 'offset'));
    add(baseline.offset === undefined ? production : judged, names(baseline.query ?? check.query), overridden);
  }
  return { judged: [...judged], production: [...production] };
}
