/**
 * Semantic validation of a policy document, after its JSON shape has been checked against the OpenAPI
 * schema: one kind per check, bounds that make sense, durations, and template variables that exist, so a
 * mistake is caught when the policy is saved rather than in the middle of a promotion. Pure, no I/O.
 */
import type { FieldError } from '../../errors.js';
import { MERGE_TIMEOUT_LIMITS } from '../delivery.js';
import { parseDuration } from '../duration.js';
import { checkKind, type CheckDocument, type PolicyDocument } from './model.js';
import { plainTemplateVariables } from './expand.js';
import { labelKey, labelKeyProblem } from './labels.js';
import { PLACEHOLDER_NAME, templateVariables } from './template.js';
import { BUILTIN_VARIABLES } from './variables.js';

/** Bounds on what one policy may ask of the service (RELIABILITY.md, Security model). */
export const POLICY_LIMITS = {
  /** The shortest interval between measurements. */
  minIntervalMs: 500,
  /** The longest a webhook call may wait for its answer (a functional test suite may take minutes). */
  maxWebhookTimeoutMs: 600_000,
  /** The longest a check's query may take. */
  maxCheckTimeoutMs: 120_000,
} as const;

/** A header value naming a Secret-provided variable instead of holding the secret (see webhook-client.ts). */
const SECRET_REFERENCE = /^\$\{env:([A-Za-z0-9_]+)\}$/;
const SECRET_VARIABLE = /^PROMOTER_WEBHOOK_SECRET_[A-Z0-9_]+$/;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BASELINE_RESERVED = new Set(['query', 'offset']);
const WELL_FORMED_PLACEHOLDER = new RegExp(String.raw`\{\{\s*${PLACEHOLDER_NAME}\s*\}\}`, 'g');

const KIND_FIELDS = {
  threshold: ['query', 'min', 'max', 'exclusiveMin', 'exclusiveMax', 'reduce'],
  baseline: ['query', 'baseline', 'maxIncrease', 'maxDecrease', 'reduce'],
  statistical: ['query', 'baseline', 'statistical'],
  alerts: ['alerts'],
  webhook: ['webhook'],
} as const;

const KIND_SPECIFIC_FIELDS = [
  'query',
  'min',
  'max',
  'exclusiveMin',
  'exclusiveMax',
  'reduce',
  'baseline',
  'maxIncrease',
  'maxDecrease',
  'statistical',
  'alerts',
  'webhook',
] as const;

/** Returns the field errors of a document (pointers relative to the document); empty when valid. */
export function validatePolicy(document: PolicyDocument): FieldError[] {
  const problems: FieldError[] = [];
  const add = (pointer: string, detail: string) => problems.push({ pointer, detail });

  // YAML's .nan and .inf are numbers to the schema, and JSON would store them as null.
  for (const pointer of nonFiniteNumbers(document, '')) add(pointer, 'must be a finite number');

  for (const field of ['interval', 'bake', 'rolloutTimeout'] as const) {
    const value = document[field];
    if (value !== undefined) checkDuration(value, `/${field}`, add, { positive: field !== 'bake' });
  }
  if (document.mergeTimeout !== undefined) {
    const ms = parseDuration(document.mergeTimeout);
    if (ms === undefined || ms < MERGE_TIMEOUT_LIMITS.minMs || ms > MERGE_TIMEOUT_LIMITS.maxMs) {
      add('/mergeTimeout', `'${document.mergeTimeout}' is not a duration ${MERGE_TIMEOUT_LIMITS.text} (e.g. 30m, 24h)`);
    }
  }
  const intervalMs = document.interval === undefined ? undefined : parseDuration(document.interval);
  if (intervalMs !== undefined && intervalMs > 0 && intervalMs < POLICY_LIMITS.minIntervalMs) {
    add('/interval', `must be at least ${POLICY_LIMITS.minIntervalMs}ms (the limit on how often checks run)`);
  }

  const known = new Set<string>(BUILTIN_VARIABLES);
  for (const name of Object.keys(document.vars ?? {})) {
    if (!VARIABLE_NAME.test(name)) add(`/vars/${escapePointer(name)}`, 'a variable name is letters, digits and _');
    else if ((BUILTIN_VARIABLES as readonly string[]).includes(name)) {
      add(`/vars/${escapePointer(name)}`, `'${name}' is a built-in variable and cannot be redefined`);
    }
    known.add(name);
  }

  const seen = new Set<string>();
  document.checks.forEach((check, index) => {
    const at = `/checks/${index}`;
    if (seen.has(check.name)) add(`${at}/name`, `another check is already named '${check.name}'`);
    seen.add(check.name);
    validateCheck(check, at, known, add);
  });
  return problems;
}

type Add = (pointer: string, detail: string) => void;

function validateCheck(check: CheckDocument, at: string, known: ReadonlySet<string>, add: Add): void {
  const kind = checkKind(check);
  const allowed: readonly string[] = KIND_FIELDS[kind];
  for (const field of KIND_SPECIFIC_FIELDS) {
    if (check[field] !== undefined && !allowed.includes(field)) {
      add(`${at}/${field}`, `'${field}' does not belong in a ${kind} check`);
    }
  }

  if (kind === 'threshold' || kind === 'baseline' || kind === 'statistical') {
    if (check.query === undefined) add(`${at}/query`, `a ${kind} check needs a query`);
    else checkTemplate(check.query, `${at}/query`, known, add);
  }

  switch (kind) {
    case 'threshold':
      if (check.min === undefined && check.max === undefined) {
        add(at, 'a threshold check needs min, max or both (or alerts, baseline, statistical or webhook)');
      }
      if (check.exclusiveMin !== undefined && check.min === undefined) add(`${at}/exclusiveMin`, 'exclusiveMin needs min');
      if (check.exclusiveMax !== undefined && check.max === undefined) add(`${at}/exclusiveMax`, 'exclusiveMax needs max');
      if (check.min !== undefined && check.max !== undefined && check.min > check.max) {
        add(`${at}/min`, `min ${check.min} is greater than max ${check.max}`);
      } else if (check.min !== undefined && check.min === check.max && (check.exclusiveMin || check.exclusiveMax)) {
        add(`${at}/min`, `min and max are both ${check.min} with an exclusive bound, so no value could pass`);
      }
      break;
    case 'baseline':
      if (check.maxIncrease === undefined && check.maxDecrease === undefined) {
        add(at, 'a baseline check needs maxIncrease, maxDecrease or both');
      }
      validateBaseline(check, at, known, add);
      break;
    case 'statistical':
      if (check.baseline === undefined) add(`${at}/baseline`, 'a statistical check compares with a baseline: give one');
      else validateBaseline(check, at, known, add);
      checkDuration(check.statistical?.window, `${at}/statistical/window`, add, { positive: true });
      checkDuration(check.statistical?.step, `${at}/statistical/step`, add, { positive: true });
      break;
    case 'alerts':
      for (const [label, value] of Object.entries(check.alerts ?? {})) {
        const pointer = `${at}/alerts/${escapePointer(label)}`;
        if (!LABEL_NAME.test(label)) add(pointer, `'${label}' is not a Prometheus label name`);
        // Matcher values are plain text, escaped as a whole when the query is built: only names matter.
        for (const name of plainTemplateVariables(value)) {
          const problem = variableProblem(name, known);
          if (problem) add(pointer, problem);
        }
        if (value.replace(WELL_FORMED_PLACEHOLDER, '').includes('{{')) add(pointer, 'malformed placeholder: write {{name}}');
      }
      break;
    case 'webhook': {
      const url = check.webhook?.url ?? '';
      if (!/^https?:\/\//i.test(url)) add(`${at}/webhook/url`, 'a webhook URL must be http:// or https://');
      checkDuration(check.webhook?.timeout, `${at}/webhook/timeout`, add, { positive: true, maxMs: POLICY_LIMITS.maxWebhookTimeoutMs });
      for (const [name, value] of Object.entries(check.webhook?.headers ?? {})) {
        const reference = SECRET_REFERENCE.exec(value);
        if (reference && !SECRET_VARIABLE.test(reference[1] ?? '')) {
          add(`${at}/webhook/headers/${escapePointer(name)}`, 'a header may reference only PROMOTER_WEBHOOK_SECRET_* variables, e.g. ${env:PROMOTER_WEBHOOK_SECRET_CI}');
        } else if (!reference && value.includes('${env:')) {
          add(`${at}/webhook/headers/${escapePointer(name)}`, 'a secret reference is the whole value: ${env:PROMOTER_WEBHOOK_SECRET_NAME}');
        }
      }
      break;
    }
  }

  checkDuration(check.timeout, `${at}/timeout`, add, { positive: true, maxMs: POLICY_LIMITS.maxCheckTimeoutMs });
  const samples = check.samples ?? 1;
  if (check.failureLimit !== undefined && check.failureLimit >= samples) {
    add(`${at}/failureLimit`, `failureLimit ${check.failureLimit} must be less than samples (${samples}), or the check could never fail`);
  }
}

function validateBaseline(check: CheckDocument, at: string, known: ReadonlySet<string>, add: Add): void {
  const baseline = check.baseline ?? {};
  const overrides = Object.keys(baseline).filter((key) => !BASELINE_RESERVED.has(key));
  if (baseline.query === undefined && baseline.offset === undefined && overrides.length === 0) {
    add(`${at}/baseline`, 'give the baseline a query, an offset, or variables to override (e.g. { variant: production })');
  }
  if (baseline.query !== undefined) checkTemplate(baseline.query, `${at}/baseline/query`, known, add);
  if (baseline.offset !== undefined && baseline.offset !== 'promotion-start') {
    checkDuration(baseline.offset, `${at}/baseline/offset`, add, { positive: true });
  }
  const used = check.query === undefined ? undefined : templateVariables(baseline.query ?? check.query);
  for (const name of overrides) {
    const pointer = `${at}/baseline/${escapePointer(name)}`;
    const key = labelKey(name);
    const keyProblem = key === undefined ? undefined : labelKeyProblem(key);
    if (keyProblem) add(pointer, keyProblem);
    else if (!known.has(name) && key === undefined) add(pointer, `unknown variable '${name}'`);
    else if (used && !('error' in used) && !used.includes(name)) {
      add(pointer, `the query does not use {{${name}}}, so overriding it changes nothing`);
    }
  }
}

function checkTemplate(template: string, pointer: string, known: ReadonlySet<string>, add: Add): void {
  const names = templateVariables(template);
  if ('error' in names) {
    add(pointer, names.error);
    return;
  }
  for (const name of names) {
    const problem = variableProblem(name, known);
    if (problem && labelKey(name) !== undefined) add(pointer, problem);
    else if (problem) add(pointer, `${problem}; known: ${[...known].sort().join(', ')} and labels.<label>`);
  }
}

/**
 * Why a placeholder's variable cannot be rendered; undefined when it can. `labels.<key>` is accepted
 * with any valid label key: whether the Deployment has that label is known only when it is read.
 */
function variableProblem(name: string, known: ReadonlySet<string>): string | undefined {
  if (known.has(name)) return undefined;
  const key = labelKey(name);
  if (key === undefined) return `unknown variable {{${name}}}`;
  const problem = labelKeyProblem(key);
  return problem === undefined ? undefined : `{{${name}}}: ${problem}`;
}

function checkDuration(value: string | undefined, pointer: string, add: Add, { positive, maxMs }: { positive: boolean; maxMs?: number }): void {
  if (value === undefined) return;
  const ms = parseDuration(value);
  if (ms === undefined) add(pointer, `'${value}' is not a duration (e.g. 30s, 5m, 1h30m)`);
  else if (positive && ms <= 0) add(pointer, 'must be longer than zero');
  else if (maxMs !== undefined && ms > maxMs) add(pointer, `must be at most ${maxMs / 1000}s (the limit for this timeout)`);
}

/** Pointers of every NaN or infinite number in a parsed document. */
function nonFiniteNumbers(value: unknown, pointer: string): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [pointer || '/'];
  if (Array.isArray(value)) return value.flatMap((item, index) => nonFiniteNumbers(item, `${pointer}/${index}`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => nonFiniteNumbers(item, `${pointer}/${escapePointer(key)}`));
  }
  return [];
}

/** RFC 6901: `~` and `/` in a key. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
