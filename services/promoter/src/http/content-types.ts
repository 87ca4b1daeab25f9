/** YAML request bodies (policies). Parsed as plain data: no custom tags, few aliases (no "billion laughs"). */
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml, YAMLError } from 'yaml';
import { errors } from '../errors.js';

export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export function registerYamlParser(app: FastifyInstance): void {
  app.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseYaml(body as string, { maxAliasCount: 50, prettyErrors: false, uniqueKeys: true, logLevel: 'error' }));
    } catch (error) {
      const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'unreadable YAML';
      done(errors.malformedBody(`The body is not valid YAML${where(body as string, error)}: ${message}`), undefined);
    }
  });
}

/** ` at line L, column C` of a YAML error, from its character offset (1-based, as editors count). */
function where(source: string, error: unknown): string {
  if (!(error instanceof YAMLError)) return '';
  const offset = Math.min(error.pos[0], source.length);
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return ` at line ${line}, column ${column}`;
}
