/**
 * Loads `*.yaml` / `*.yml` / `*.json` policies from PROMOTER_POLICIES_DIR at start-up (a ConfigMap in
 * Kubernetes). A file's policy name is its `name`, else the file name. A changed file becomes a new
 * version; an unchanged one stores nothing. One bad file is reported and skipped, the others still load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { PolicyDocuments } from './policy-documents.js';

export interface PolicyFileResult {
  readonly file: string;
  readonly name?: string;
  readonly version?: number;
  readonly changed?: boolean;
  readonly error?: string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export async function loadPolicyFolder(
  dir: string,
  deps: { policies: PolicyRepository; policyDocuments: PolicyDocuments },
): Promise<PolicyFileResult[]> {
  // Kubernetes mounts ConfigMap keys as symlinks next to `..data` folders: skip dot entries.
  const files = readdirSync(dir)
    .filter((file) => !file.startsWith('.') && EXTENSIONS.has(extname(file)))
    .sort();
  const results: PolicyFileResult[] = [];
  for (const file of files) {
    try {
      const text = readFileSync(join(dir, file), 'utf8');
      const parsed: unknown = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50, uniqueKeys: true, logLevel: 'error' });
      const fallbackName = basename(file, extname(file));
      const name = (parsed as { name?: unknown } | null)?.name;
      const policyName = typeof name === 'string' ? name : fallbackName;
      const document = deps.policyDocuments.check(parsed, '', policyName);
      const result = await deps.policies.put(policyName, document, 'file', `file:${file}`);
      results.push({ file, name: policyName, version: result.policy.version, changed: result.changed });
    } catch (error) {
      const detail =
        error instanceof Error && 'errors' in error && Array.isArray((error as { errors?: unknown }).errors)
          ? ((error as unknown as { errors: { pointer: string; detail: string }[] }).errors.map((e) => `${e.pointer || '/'}: ${e.detail}`).join('; '))
          : error instanceof Error
            ? error.message
            : String(error);
      results.push({ file, error: detail });
    }
  }
  return results;
}
