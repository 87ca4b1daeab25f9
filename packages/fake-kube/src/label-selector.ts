/**
 * The `labelSelector` query parameter: equality-based (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`,
 * `a notin (x)`, `a`, `!a`) requirements, all of which must hold.
 */
import { StatusError, statuses } from './status.js';

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    return op === 'in'
      ? (labels) => labels[key] !== undefined && values.includes(labels[key])
      : (labels) => labels[key] === undefined || !values.includes(labels[key]);
  }
  const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
  if (equality) {
    const [, key = '', op, value = ''] = equality;
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (labels) => labels[key] === undefined : (labels) => labels[key] !== undefined;
  }
  throw new StatusError(statuses.badRequest(`unable to parse requirement: invalid label selector term "${term}"`));
}

export function parseLabelSelector(selector: string | null): Requirement {
  if (selector === null || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map(parseTerm);
  return (labels) => requirements.every((r) => r(labels));
}

/** `{app: web, tier: api}` -> `app=web,tier=api`, the form the scale subresource reports. */
export function formatMatchLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
