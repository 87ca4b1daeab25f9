/** `promoter policy apply|list|get|versions|delete`: the versioned policies. */
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Policy } from '@promoter/sdk';
import { defineCommand, expectPositionals, positiveInteger } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { actorText, counted, policyRows } from '../format.js';

const POLICY_SUBCOMMANDS = ['apply', 'list', 'get', 'versions', 'delete'] as const;

const POLICY_OPTIONS = {
  file: { type: 'string', short: 'f' },
  name: { type: 'string' },
  version: { type: 'string' },
} as const;

export const policyCommand = defineCommand(POLICY_OPTIONS, async (context, { values, positionals }) => {
  const [subcommand, ...rest] = positionals;
  const { client, output } = context;
  const signal = context.signal;
  if (values.file !== undefined && subcommand !== 'apply') throw new UsageError('-f/--file goes with policy apply', 'policy');
  if (values.version !== undefined && subcommand !== 'get') throw new UsageError('--version goes with policy get', 'policy');
  if (values.name !== undefined && subcommand !== 'apply') throw new UsageError('--name goes with policy apply', 'policy');

  switch (subcommand) {
    case 'apply': {
      expectPositionals('policy', rest, []);
      if (values.file === undefined) throw new UsageError('missing required flag -f/--file', 'policy');
      const { name, body } = await readPolicyFile(resolve(context.cwd, values.file), values.name);
      const stored = await client.policies.put(name, body, { signal });
      if (output.json) output.document(stored);
      else output.line(`Policy ${stored.name} is at version ${stored.version} (${counted(stored.document.checks.length, 'check')}).`);
      return EXIT.ok;
    }
    case 'list': {
      expectPositionals('policy', rest, []);
      const policies = await client.policies.list({ signal });
      if (output.json) output.document({ items: policies });
      else if (policies.length === 0) output.line('No policies.');
      else for (const line of policyRows(output.style, policies)) output.line(line);
      return EXIT.ok;
    }
    case 'get': {
      const [name = ''] = expectPositionals('policy', rest, ['NAME']);
      const version = positiveInteger('policy', 'version', values.version);
      const policy = await client.policies.get(name, { signal, ...(version !== undefined ? { version } : {}) });
      if (output.json) output.document(policy);
      else {
        output.line(output.style.dim(`# ${policy.name} v${policy.version}, ${policy.source}, ${policy.createdAt} by ${actorText(policy.createdBy, policy.createdByIdentity)}`));
        output.block(JSON.stringify(policy.document, null, 2));
      }
      return EXIT.ok;
    }
    case 'versions': {
      const [name = ''] = expectPositionals('policy', rest, ['NAME']);
      const versions = await client.policies.versions(name, { signal });
      if (output.json) output.document({ items: versions });
      else for (const line of policyRows(output.style, versions)) output.line(line);
      return EXIT.ok;
    }
    case 'delete': {
      const [name = ''] = expectPositionals('policy', rest, ['NAME']);
      await client.policies.delete(name, { signal });
      if (output.json) output.document({ deleted: name });
      else output.line(`Policy ${name} deleted (its versions stay in the audit trail).`);
      return EXIT.ok;
    }
    case undefined:
      throw new UsageError(`missing subcommand: one of ${POLICY_SUBCOMMANDS.join(', ')}`, 'policy');
    default:
      throw new UsageError(`unknown subcommand '${subcommand}': one of ${POLICY_SUBCOMMANDS.join(', ')}`, 'policy');
  }
});

/**
 * Reads a policy file. YAML goes to the service as it is (its line numbers stay meaningful in errors);
 * it is parsed here only to find the name and to report a syntax error before anything is sent. The
 * name: --name, else the document's `name`, else the file name (as the service's policy folder does).
 */
async function readPolicyFile(path: string, nameFlag: string | undefined): Promise<{ name: string; body: Policy | string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'policy');
  }
  const json = extname(path) === '.json';
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    throw new UsageError(`${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`, 'policy');
  }
  const documentName = typeof parsed === 'object' && parsed !== null && typeof (parsed as { name?: unknown }).name === 'string' ? (parsed as { name: string }).name : undefined;
  const name = nameFlag ?? documentName ?? basename(path, extname(path));
  // JSON is sent as the object (the service validates it either way); YAML as the text itself.
  return { name, body: json ? (parsed as Policy) : text };
}
