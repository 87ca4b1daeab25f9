/**
 * Expands `{{variable}}` placeholders to plain text, without escaping, for values that are escaped as a
 * whole afterwards (alert label matchers, webhook payloads). Pure.
 */
import { PLACEHOLDER_NAME } from './template.js';

const PLACEHOLDER = new RegExp(String.raw`\{\{\s*(${PLACEHOLDER_NAME})\s*\}\}`, 'g');

export function expandTemplate(template: string, variables: Readonly<Record<string, string>>): { text: string } | { error: string } {
  let unknown: string | undefined;
  const text = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) unknown ??= name;
    return value ?? '';
  });
  if (unknown !== undefined) return { error: `unknown variable {{${unknown}}}` };
  if (text.includes('{{')) return { error: 'malformed placeholder: write {{name}}' };
  return { text };
}

/** The variable names a plain-text template uses. */
export function plainTemplateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string))];
}
