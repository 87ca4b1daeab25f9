/** The contract's version is the project's version (package.json), in one place for both to follow. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOpenApiDocument } from '../../services/promoter/src/contract/openapi.js';

const version = (path: string): string => (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;

describe('contract version', () => {
  it('is the version of the root package and of every workspace', () => {
    const root = version('../../package.json');
    expect((loadOpenApiDocument().info as { version: string }).version).toBe(root);
    for (const workspace of ['services/promoter', 'packages/sdk', 'packages/cli']) {
      expect(version(`../../${workspace}/package.json`), workspace).toBe(root);
    }
  });
});
