/**
 * When Prometheus is reachable, a saved policy's queries are checked for syntax there (rendered with
 * sample values, since placeholders are not PromQL), so a typo is refused with the check it is in rather
 * than discovered mid-promotion. When Prometheus does not answer, saving still works: it says so in the log.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { QueryValidation } from '../adapters/prometheus/prometheus-client.js';
import { errors, type FieldError } from '../errors.js';
import type { PolicyDocument } from '../domain/policy/model.js';
import { labelKey } from '../domain/policy/labels.js';
import { renderTemplate, templateVariables } from '../domain/policy/template.js';
import { variablesFor } from '../domain/policy/variables.js';

export interface QueryValidator {
  validateQuery(query: string): Promise<QueryValidation>;
}

const SAMPLE_CONTEXT = {
  namespace: 'sample-namespace',
  deployment: 'sample-deployment',
  container: 'sample-container',
  canaryDeployment: 'sample-canary',
  canaryContainer: 'sample-container',
  image: 'registry.example/app:1.0.0',
  canaryImage: 'registry.example/app:1.0.0-canary',
  previousImage: 'registry.example/app:0.9.0',
};

export function policyQueryChecker(validator: QueryValidator, log: FastifyBaseLogger) {
  return async (document: PolicyDocument): Promise<void> => {
    const variables = variablesFor(SAMPLE_CONTEXT, 'pre', document.vars ?? {});
    const queries: { pointer: string; template: string }[] = [];
    document.checks.forEach((check, index) => {
      if (check.query !== undefined) queries.push({ pointer: `/body/checks/${index}/query`, template: check.query });
      if (check.baseline?.query !== undefined) queries.push({ pointer: `/body/checks/${index}/baseline/query`, template: check.baseline.query });
    });
    const problems: FieldError[] = [];
    try {
      for (const { pointer, template } of queries) {
        const rendered = renderTemplate(template, { ...sampleLabels(template), ...variables });
        if ('error' in rendered) continue; // validatePolicy already reported template problems
        const result = await validator.validateQuery(rendered.query);
        if (!result.ok) problems.push({ pointer, detail: `Prometheus rejects the query: ${result.error}` });
      }
    } catch (error) {
      log.warn({ err: error }, 'Prometheus is not reachable: policy queries were not syntax-checked');
      return;
    }
    if (problems.length > 0) throw errors.validation(problems);
  };
}

/** A sample value for each `{{labels.<key>}}` of a template: the real ones are read from a Deployment at run time. */
function sampleLabels(template: string): Record<string, string> {
  const names = templateVariables(template);
  if ('error' in names) return {};
  return Object.fromEntries(names.filter((name) => labelKey(name) !== undefined).map((name) => [name, 'sample-label-value']));
}
